"""Soft error pages: an HTTP 200 whose page is not the article ("service temporarily
unavailable", a consent wall, a site's front page).

Stored as the article, such a page would stand for it for good: a stored URL is never
fetched again. `SoftErrorCheck.check` takes a page for one when
- it reads as an error page: its title, or its very short text, is a known error phrase
  (ERROR_PHRASES) with at most a site name around it;
- its text was already served at another link of the source in this run, and the feed's
  (or listing's) titles of the two links differ: two articles cannot have one text;
- its title and text share no word with the feed's title for the link.
A real article must never be dropped, so the first and the last rule also need the page
to be short, to carry no publication date (news pages do, error pages do not) and not to
be confirmed by the feed's title for the link (a brief titled "Сервис eGov временно
недоступен" is news). docs/crawling.md has the figures measured on real pages.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# What servers, CDNs and CMSs put in place of a page, in the languages of the monitored
# sites and a few common others. Matched as whole words, case-insensitively, ё as е.
ERROR_PHRASES = (
    # English
    "service temporarily unavailable", "service unavailable", "temporarily unavailable",
    "site is under maintenance", "down for maintenance", "page not found", "404 not found",
    "403 forbidden", "file not found", "bad gateway", "gateway timeout", "internal server error",
    "access denied", "too many requests", "rate limit exceeded", "please try again later",
    "try again later", "something went wrong", "an error occurred", "we'll be back soon",
    "just a moment", "checking your browser before accessing", "checking your browser",
    "this process is automatic", "attention required", "error 404", "error 500",
    "error 502", "error 503",
    "the server is temporarily unable to service your request",
    # Russian
    "сервис временно недоступен", "сайт временно недоступен", "временно недоступен",
    "временно недоступна", "временно недоступно", "страница не найдена",
    "страница не существует", "ведутся технические работы", "проводятся технические работы",
    "технические работы", "внутренняя ошибка сервера", "доступ запрещен", "доступ ограничен",
    "слишком много запросов", "попробуйте позже", "повторите попытку позже",
    "что-то пошло не так", "произошла ошибка", "сервер перегружен", "ошибка 404",
    "ошибка 500", "ошибка 502", "ошибка 503",
    # Kazakh
    "қызмет уақытша қолжетімсіз", "сайт уақытша қолжетімсіз", "уақытша қолжетімсіз",
    "уақытша жұмыс істемейді", "бет табылмады", "парақ табылмады",
    "техникалық жұмыстар жүргізілуде", "техникалық жұмыстар", "кейінірек қайталап көріңіз",
    "қате орын алды", "қол жеткізу шектелген", "сұраныстар тым көп", "қате 404",
    # German, French
    "seite nicht gefunden", "vorübergehend nicht verfügbar", "wartungsarbeiten",
    "page introuvable", "temporairement indisponible", "maintenance en cours",
)
SHORT_BODY = 1000  # characters: error pages are short; this is a short news brief
TINY_BODY = 300  # a text this short may itself be the error message
MAX_EXTRA_WORDS = 3  # beside the phrase: a site name, "nginx"
RELATED = 0.5  # a feed title this close to the page title confirms the page

_NON_WORD = re.compile(r"[\W_]+")
_LETTERS = re.compile(r"[^\W\d_]")


def _normal(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", text.casefold().replace("ё", "е").replace("'", "")).split())


_PHRASES = sorted({_normal(p) for p in ERROR_PHRASES}, key=len, reverse=True)


def _stems(text: str) -> set[str]:
    """Word stems crude enough for Russian and Kazakh endings (Харькова, Харьковой)."""
    return {w[:5] for w in _normal(text).split() if len(w) >= 4 and _LETTERS.match(w)}


def similarity(a: str, b: str) -> float:
    """Share of stems in common (Jaccard), 0 when either has none."""
    sa, sb = _stems(a), _stems(b)
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


def error_phrase(text: str) -> str | None:
    """The error phrase that `text` consists of, give or take a site name; else None."""
    rest = f" {_normal(text)} "
    found = None
    for phrase in _PHRASES:
        if f" {phrase} " in rest:
            found = found or phrase
            rest = rest.replace(f" {phrase} ", " ")
    if found is None:
        return None
    extra = [w for w in rest.split() if len(w) >= 2 and _LETTERS.match(w)]
    return found if len(extra) <= MAX_EXTRA_WORDS else None


def body_key(body: str) -> str:
    """The text's identity, blind to case, spacing and punctuation. Digits count: two daily
    exchange-rate briefs differ only in them (an error page's request id then makes each
    copy unique, but the error-phrase rule still knows it)."""
    # [\W_] is exactly what str.isalnum() refuses (re's \w is isalnum() or "_"): one pass in C,
    # not a generator step per character (1-2 ms of a 20 kB article). White space goes first,
    # by str.split (the same characters as re's \s): the regex then matches a few
    # punctuation marks instead of every gap between words, a third faster.
    kept = _NON_WORD.sub("", "".join(body.casefold().split()))
    return hashlib.sha256(kept.encode("utf-8", errors="replace")).hexdigest()


@dataclass(frozen=True, slots=True)
class SoftError:
    reason: str
    earlier: str | None = None  # a link already taken as an article whose page was this one


class SoftErrorCheck:
    """The soft-error rules for one source's run (it remembers the texts it has seen)."""

    def __init__(self) -> None:
        self._texts: dict[str, tuple[str, str | None]] = {}  # body key -> (url, its title hint)
        self._flagged: set[str] = set()

    def check(self, url: str, title: str, body: str, *, hint: str | None = None,
              dated: bool = False, key: str | None = None) -> SoftError | None:
        """Whether the page at `url` is a soft error. `hint`: the feed's or listing's title
        for the link, if any; `dated`: the page itself gives a publication date; `key`: the
        body's `body_key`, when it was computed already."""
        found = self._check(url, title, body, hint or None, dated, key or body_key(body))
        if found is not None:
            self._flagged.add(url)
        return found

    def _check(self, url: str, title: str, body: str, hint: str | None, dated: bool,
               key: str) -> SoftError | None:
        first_url, first_hint = self._texts.setdefault(key, (url, hint))
        repeated = first_url != url
        earlier = first_url if repeated and first_url not in self._flagged else None
        suspect = len(body) < SHORT_BODY and not dated
        if suspect and not (hint is not None and similarity(hint, title) >= RELATED):
            phrase = error_phrase(title) or (error_phrase(body) if len(body) < TINY_BODY else None)
            if phrase:
                return SoftError(f"an error page, not the article: {phrase!r} (title {title[:120]!r})",
                                 earlier)
        if repeated and hint and first_hint and _normal(hint) != _normal(first_hint):
            return SoftError(f"the same text as {first_url}, though the links' titles differ "
                             f"({first_hint[:80]!r}, {hint[:80]!r})", earlier)
        wanted = _stems(hint) if hint else set()
        if suspect and len(wanted) >= 2 and not wanted & (_stems(title) | _stems(body)):
            return SoftError(f"title {title[:120]!r} and text share no word with the link's title "
                             f"{(hint or '')[:120]!r}")
        return None
