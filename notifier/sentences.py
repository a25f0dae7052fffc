"""The sentence around a mention, cut to a readable snippet for the digest."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? … (plus closing quotes/brackets) followed by space and a capital or
# digit, or at a line break: scraped bodies often lose the final full stop of a paragraph.
_CANDIDATE = re.compile(r"[.!?…\n]")
_CLOSERS = "\"'»”’)]"
_OPENERS = "\"'«“„(["
# Tokens that end with a full stop without ending a sentence: initials (А. Елеусінов) and
# common abbreviations in the three languages.
_ABBREV = frozenset(
    {
        "г", "гг", "ул", "им", "т", "тт", "пр", "др", "см", "стр", "рис", "тыс", "млн", "млрд",
        "руб", "ж", "жж", "mr", "mrs", "ms", "dr", "st", "no", "vs", "jr", "sr",
    }
)
MAX_SNIPPET = 320  # characters; a scraped "sentence" can run for pages


def _abbreviation_before(text: str, pos: int) -> bool:
    """Whether the full stop at pos follows an initial or a known abbreviation."""
    j = pos
    while j > 0 and pos - j < 20 and text[j - 1].isalnum():
        j -= 1
    token = text[j:pos]
    if not token:
        return False
    return (len(token) == 1 and token.isupper()) or token.casefold() in _ABBREV


def _boundary(text: str, pos: int) -> tuple[int, int] | None:
    """If text[pos] ends a sentence: (end of this sentence, start of the next); else None."""
    n = len(text)
    if text[pos] == "\n":
        nxt = pos
        while nxt < n and text[nxt].isspace():
            nxt += 1
        return pos, nxt
    end = pos
    while end < n and (text[end] in ".!?…" or text[end] in _CLOSERS):
        end += 1
    nxt = end
    while nxt < n and text[nxt].isspace() and text[nxt] != "\n":
        nxt += 1
    if nxt == end or nxt >= n:
        return (end, nxt) if nxt >= n else None
    first = text[nxt + 1] if text[nxt] in _OPENERS and nxt + 1 < n else text[nxt]
    if not (first.isupper() or first.isdigit()):
        return None
    if text[pos] == "." and _abbreviation_before(text, pos):
        return None
    return end, nxt


# matching.sentence_span does the same job, but its abbreviation check rescans the text from
# offset 0 at every full stop (about 140 µs per mention even on a 650-character window, 6x
# this one): at 10,000 subscribers × 50 items that alone would take 70 s. Switch to it once
# that is fixed; tests/notifier/test_render.py pins the behaviour either must have.
def sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Start and end offsets of the sentence holding text[start:end]."""
    sent_start = 0
    for m in _CANDIDATE.finditer(text, 0, start):
        b = _boundary(text, m.start())
        if b is not None and b[1] <= start:
            sent_start = b[1]
    sent_end = len(text)
    for m in _CANDIDATE.finditer(text, end):
        b = _boundary(text, m.start())
        if b is not None:
            sent_end = b[0]
            break
    return sent_start, sent_end


@dataclass(frozen=True, slots=True)
class Snippet:
    """A sentence split around the highlighted mention; empty `match` means nothing to highlight."""

    before: str
    match: str
    after: str

    @property
    def text(self) -> str:
        return f"{self.before}{self.match}{self.after}"


_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """One line: scraped titles carry CR/LF and tabs that must not reach headers or layouts."""
    return _WS.sub(" ", text).strip()


def clip(text: str, limit: int) -> str:
    text = squash(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def snippet(text: str, start: int, end: int, limit: int = MAX_SNIPPET) -> Snippet:
    """The mention's sentence, clipped to about `limit` characters centred on the mention."""
    if not (0 <= start < end <= len(text)):
        return Snippet(clip(text[: 2 * limit], limit), "", "")
    # Only the sentence's part within `limit` of the mention can be shown: split that window
    # rather than the whole body (long bodies made this the slowest step of a digest).
    lo, hi = max(0, start - limit), min(len(text), end + limit)
    s, e = sentence_span(text[lo:hi], start - lo, end - lo)
    s, e = min(s + lo, start), max(e + lo, end)
    room = max(0, limit - (end - start)) // 2
    lead = "…" if start - s > room else ""
    tail = "…" if e - end > room else ""
    before = squash_keep_edges(text[max(s, start - room) : start])
    after = squash_keep_edges(text[end : min(e, end + room)])
    if lead and " " in before.strip():  # cut at a word boundary, not inside a word
        before = before[before.index(" ", 1 if before.startswith(" ") else 0) :]
    if tail and " " in after.strip():
        after = after[: after.rstrip().rindex(" ")]
    return Snippet(lead + before.lstrip(), squash(text[start:end]), after.rstrip() + tail)


def squash_keep_edges(text: str) -> str:
    """Collapse whitespace runs to single spaces but keep a leading/trailing one."""
    return _WS.sub(" ", text)
