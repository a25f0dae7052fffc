"""Sentence bounds around a mention, for digest snippets (Kazakh, Russian, English punctuation)."""

from __future__ import annotations

import re

MAX_SNIPPET = 300
# A sentence start further back than this is clipped away anyway, so only this much text is
# scanned for sentence ends (a digest cuts one snippet per article and watched name).
_LOOK = MAX_SNIPPET + 40

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


def _clip(text: str, start: int, end: int, s: int, e: int) -> tuple[int, int]:
    """Clip [s, e) to about MAX_SNIPPET characters around [start, end), on word bounds."""
    if e - s <= MAX_SNIPPET:
        return s, e
    room = max(0, MAX_SNIPPET - (end - start))
    lo = max(s, start - room // 2)
    hi = min(e, end + (room - (start - lo)))
    lo = max(s, min(lo, hi - MAX_SNIPPET))
    if lo > s:
        space = text.find(" ", lo, start)
        if space != -1:
            lo = space + 1
    if hi < e:
        space = text.rfind(" ", end, hi)
        if space != -1:
            hi = space
    return lo, hi


def sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Bounds of the sentence holding text[start:end], clipped to ~300 characters around it."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    # Only a window around the mention matters: anything further is clipped away anyway.
    s = max(0, start - _LOOK)
    for m in _END.finditer(text, s, start):
        if _is_boundary(text, m):
            s = m.end()
    e = min(len(text), end + _LOOK)
    for m in _END.finditer(text, end, e):
        if _is_boundary(text, m):
            e = m.end() if m.group() != "\n" else m.start()
            break
    while s < start and text[s].isspace():
        s += 1
    while e > end and text[e - 1].isspace():
        e -= 1
    return _clip(text, start, end, s, e)
