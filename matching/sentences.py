"""Sentence bounds around a mention, for digest snippets (Kazakh, Russian, English punctuation)."""

from __future__ import annotations

import re
from typing import NamedTuple

MAX_SNIPPET = 300  # characters around a mention that a snippet shows at most
# A sentence start further back than the limit is clipped away anyway, so only this much more
# text is scanned for sentence ends (a digest cuts one snippet per article and watched name).
_LOOK_PAST_LIMIT = 40

# A sentence ends at . ! ? … (closing quotes or brackets may follow) before white space,
# or at a line break.
_END = re.compile(r"[.!?…]+[\"»”’')\]]*(?=\s)|\n")
# Not sentence ends: initials (Ә. Елеусінов) and common abbreviations.
_ABBREVIATION_LIST = """
г гг т тт ст им ул д др пр н см стр млн млрд тыс руб обл р-н р-на пос с ж жж б бб
mr mrs ms dr st no vs jr sr inc ltd co corp gen gov sen rep prof art e g i
"""
_ABBREVIATIONS = frozenset(_ABBREVIATION_LIST.split())


def _is_boundary(text: str, m: re.Match[str]) -> bool:
    if m.group() == "\n":
        return True
    if m.group()[0] != ".":
        return True
    # Walk back over the word before the full stop (a regex anchored at the end would try
    # every start position in the window).
    j = pos = m.start()
    while j > 0 and pos - j < 32 and (text[j - 1].isalnum() or text[j - 1] in "_-"):
        j -= 1
    word = text[j:pos]
    if not word:
        return True
    if len(word) <= 2 and word[:1].isupper() and word.isalpha():
        return False  # an initial
    return word.lower() not in _ABBREVIATIONS


def _clip(text: str, start: int, end: int, s: int, e: int, limit: int) -> tuple[int, int]:
    """Clip [s, e) to about `limit` characters around [start, end), on word bounds."""
    if e - s <= limit:
        return s, e
    room = max(0, limit - (end - start))
    lo = max(s, start - room // 2)
    hi = min(e, end + (room - (start - lo)))
    lo = max(s, min(lo, hi - limit))
    if lo > s:
        space = text.find(" ", lo, start)
        if space != -1:
            lo = space + 1
    if hi < e:
        space = text.rfind(" ", end, hi)
        if space != -1:
            hi = space
    return lo, hi


class Clipped(NamedTuple):
    """A sentence's bounds around a mention, and whether the limit cut it at either end."""

    start: int
    end: int
    cut_before: bool
    cut_after: bool


def sentence_span(text: str, start: int, end: int, limit: int = MAX_SNIPPET) -> tuple[int, int]:
    """Bounds of the sentence holding text[start:end], clipped to ~`limit` characters around it."""
    s, e, _, _ = clipped_sentence(text, start, end, limit)
    return s, e


def clipped_sentence(text: str, start: int, end: int, limit: int = MAX_SNIPPET) -> Clipped:
    """The sentence holding text[start:end], clipped on word bounds to ~`limit` characters.

    The one clipper of snippets: search results and digests both show this span.
    """
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    # Only a window around the mention matters: anything further is clipped away anyway.
    look = limit + _LOOK_PAST_LIMIT
    s = max(0, start - look)
    for m in _END.finditer(text, s, start):
        if _is_boundary(text, m):
            s = m.end()
    e = min(len(text), end + look)
    for m in _END.finditer(text, end, e):
        if _is_boundary(text, m):
            e = m.end() if m.group() != "\n" else m.start()
            break
    while s < start and text[s].isspace():
        s += 1
    while e > end and text[e - 1].isspace():
        e -= 1
    lo, hi = _clip(text, start, end, s, e, limit)
    return Clipped(lo, hi, lo > s, hi < e)
