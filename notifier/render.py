"""Turning a DigestPreview into subjects, email bodies, Telegram messages and a file page."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Template
from markupsafe import Markup

from notifier import i18n
from notifier.content import ArticleRef, DigestPreview, Group, Story
from notifier.i18n import DEFAULT_LANGUAGE
from notifier.sentences import Snippet, clip, squash

TELEGRAM_LIMIT = 4096  # UTF-16 code units per sendMessage text
SUBJECT_LIMIT = 150
MAX_URL = 2048
SUBJECT_NAMES = 3  # main entities a subject names; "+N more" for the rest


@lru_cache(maxsize=65536)
def safe_url(url: str) -> str | None:
    """The URL if it is fit for an href: http(s) only (autoescape does not stop javascript:)."""
    url = url.strip()
    if len(url) > MAX_URL or any(c in url for c in "\r\n\t "):
        return None
    return url if urlsplit(url).scheme.lower() in ("http", "https") else None


@dataclass(frozen=True, slots=True)
class Link:
    source: str  # the source's name, as config.yaml gives it
    url: str | None


@dataclass(frozen=True, slots=True)
class StoryView:
    """A story as every template shows it, the strings already cut to size."""

    title: str
    url: str | None
    source: str
    date: str
    language: str
    snippet: Snippet | None
    also_names: tuple[str, ...]  # the other watched names the story mentions
    also_reported: tuple[Link, ...]  # the other outlets' reports and syndicated copies
    story: int = 0
    section: str = ""


@dataclass(frozen=True, slots=True)
class GroupView:
    name: str
    kind: str
    stories: list[StoryView]
    id: str = ""


@dataclass(frozen=True, slots=True)
class DigestView:
    subscriber: str
    date: str
    since: str  # local time of the previous digest: what is new is new since then ("" first)
    subject: str
    story_count: int
    watching: list[str]
    groups: list[GroupView]
    lang: str = DEFAULT_LANGUAGE
    older_count: int = 0  # matches too old to list (digest.max_age_days)
    max_age_days: int = 0


def tr(lang: str, message: str) -> str:
    """A fixed string of Python code in the subscriber's language (extracted as `tr:2`)."""
    return i18n.gettext(lang, message)


def ntr(lang: str, singular: str, plural: str, n: int) -> str:
    """The plural form for n (extracted as `ntr:2,3`); Russian has three, Kazakh two."""
    return i18n.ngettext(lang, singular, plural, n)


def _story_view(preview: DigestPreview, group: Group, story: Story, tz: ZoneInfo, lang: str) -> StoryView:
    art = story.primary
    others = [e for e in story.entity_ids if e != group.entity.id]
    return StoryView(
        title=squash(art.title),
        url=safe_url(art.url),
        source=squash(preview.source_name(art.source)),
        date=i18n.short_date(art.published or art.fetched, tz, lang),
        language=(art.language or "").upper(),
        snippet=story.snippet_for(group.entity.id),
        also_names=tuple(squash(preview.entity(e).name_in(lang)) for e in others),
        also_reported=tuple(Link(squash(preview.source_name(c.source)), safe_url(c.url))
                            for c in _distinct_outlets(story)),
        story=story.id,
        section=group.entity.id,
    )


def _distinct_outlets(story: Story) -> list[ArticleRef]:
    """One link per other outlet: a source's second report of the story adds nothing."""
    seen = {story.primary.source}
    out = []
    for c in story.copies:
        if c.source not in seen:
            seen.add(c.source)
            out.append(c)
    return out


def subject_line(preview: DigestPreview) -> str:
    """Say what is inside: '5 new: Kushakbayev (3), Eleusinov (2)', or the headline of one story."""
    lang = preview.subscriber.subscriber.language
    n = preview.story_count
    if n == 0:
        lists = ", ".join(preview.subscriber.options.lists) or ", ".join(
            squash(preview.entity(e).label_in(lang)) for e in preview.subscriber.entity_ids[:SUBJECT_NAMES])
        return clip(tr(lang, "unionwatch · %(lists)s: nothing new today") % {"lists": lists},
                    SUBJECT_LIMIT)
    if n == 1:
        g = preview.groups[0]
        return clip(tr(lang, "1 new: %(name)s — %(title)s")
                    % {"name": squash(g.entity.label_in(lang)), "title": squash(g.stories[0].primary.title)},
                    SUBJECT_LIMIT)
    names = [f"{squash(g.entity.label_in(lang))} ({len(g.stories)})" for g in preview.groups]
    shown = ", ".join(names[:SUBJECT_NAMES])
    if len(names) > SUBJECT_NAMES:
        rest = len(names) - SUBJECT_NAMES
        shown += " " + ntr(lang, "+%(num)d more", "+%(num)d more", rest) % {"num": rest}
    return clip(ntr(lang, "%(num)d new: %(names)s", "%(num)d new: %(names)s", n)
                % {"num": n, "names": shown}, SUBJECT_LIMIT)


def view(preview: DigestPreview) -> DigestView:
    sub = preview.subscriber
    lang = sub.subscriber.language
    tz = ZoneInfo(sub.subscriber.timezone)
    return DigestView(
        subscriber=squash(sub.subscriber.display_name),
        date=i18n.local_date(preview.now, tz, lang),
        since=i18n.local_datetime(preview.since, tz, lang) if preview.since else "",
        subject=subject_line(preview),
        story_count=preview.story_count,
        watching=[squash(preview.entity(e).name_in(lang)) for e in sub.entity_ids],
        groups=[
            GroupView(
                squash(g.entity.name_in(lang)),
                g.entity.kind,
                [_story_view(preview, g, s, tz, lang) for s in g.stories],
                g.entity.id,
            )
            for g in preview.groups
        ],
        lang=lang,
        older_count=len(preview.older),
        max_age_days=sub.subscriber.digest.max_age_days or 0,
    )


@lru_cache(maxsize=32)
def _template(name: str, lang: str) -> Template:
    return i18n.environment(lang).get_template(name)


# Many subscribers watch the same names, so one story appears in many digests: render each
# story once per language and reuse the fragment (a StoryView is immutable and hashable).
# A real day has hundreds of matching stories; the size covers the 20,000 of bench/digest.py
# in three languages (about 2 KB per story and language for the three fragments).
ITEM_CACHE = 65536


@lru_cache(maxsize=ITEM_CACHE)
def _html_item(s: StoryView, lang: str) -> Markup:
    fragment: Markup = _template("items.html.j2", lang).module.item(s)  # type: ignore[attr-defined]
    return fragment  # autoescaped by the template, so already safe


@lru_cache(maxsize=ITEM_CACHE)
def _text_item(s: StoryView, lang: str) -> str:
    return str(_template("items.txt.j2", lang).module.item(s)).rstrip()  # type: ignore[attr-defined]


@lru_cache(maxsize=ITEM_CACHE)
def _telegram_item(s: StoryView, lang: str) -> str:
    return str(_template("telegram.html.j2", lang).module.item(s)).strip()  # type: ignore[attr-defined]


def _item_globals(lang: str) -> dict[str, object]:
    return {"html_item": lambda s: _html_item(s, lang), "text_item": lambda s: _text_item(s, lang)}


def clear_caches() -> None:
    for fn in (_html_item, _text_item, _telegram_item, safe_url):
        fn.cache_clear()
    i18n.clear_caches()


def email_text(v: DigestView) -> str:
    return _template("email.txt.j2", v.lang).render(d=v, **_item_globals(v.lang))


def email_html(v: DigestView) -> str:
    return _template("email.html.j2", v.lang).render(d=v, **_item_globals(v.lang))


def page_html(v: DigestView) -> str:
    """The standalone page the file channel writes (and `digest --preview` shows)."""
    return _template("page.html.j2", v.lang).render(d=v, **_item_globals(v.lang))


# --- Telegram -------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]*>")


def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def html_to_plain(text: str) -> str:
    """Our Telegram HTML as plain text, for resending after 'can't parse entities'."""
    return html.unescape(_TAG.sub("", text))


def _fit(block: str, limit: int) -> str:
    """A block that alone exceeds the limit loses its markup and is cut (never inside a tag)."""
    if tg_len(block) <= limit:
        return block
    plain = html_to_plain(block)
    while True:
        out = str(Markup.escape(clip(plain, len(plain))))
        if tg_len(out) <= limit:
            return out
        plain = plain[: max(1, len(plain) * 9 // 10)]


def telegram_parts(v: DigestView, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """The digest as Telegram HTML messages of at most `limit` UTF-16 units, split between items.

    Each block is rendered on its own so every message holds only whole, balanced tags; a
    message that starts inside a group repeats the group's heading.
    """
    mod = _template("telegram.html.j2", v.lang).make_module({"d": v})
    header = _fit(str(mod.header()).strip(), limit)  # type: ignore[attr-defined]
    footer = _fit(str(mod.footer()).strip(), limit)  # type: ignore[attr-defined]
    if not v.groups:
        return [f"{header}\n\n{footer}" if footer else header]
    parts: list[str] = []
    current, size = header, tg_len(header)  # size kept as we go: no re-measuring the message
    for g in v.groups:
        heading = str(mod.group(g)).strip()  # type: ignore[attr-defined]
        cont = str(mod.group(g, True)).strip()  # type: ignore[attr-defined]
        first = True
        for s in g.stories:
            item = _telegram_item(s, v.lang)
            piece = _fit(f"{heading}\n\n{item}" if first else item, limit)
            piece_size = tg_len(piece)
            if size + 2 + piece_size <= limit:
                current, size = f"{current}\n\n{piece}", size + 2 + piece_size
            else:
                parts.append(current)
                current = piece if first else _fit(f"{cont}\n\n{item}", limit)
                size = tg_len(current)
            first = False
    if footer:
        if size + 2 + tg_len(footer) <= limit:
            current = f"{current}\n\n{footer}"
        else:
            parts.append(current)
            current = footer
    parts.append(current)
    return parts
