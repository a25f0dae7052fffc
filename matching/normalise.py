"""Tokens with offsets into the original text, and the repair of each token's spelling.

Text is never rewritten as a whole: tokens are found in the original string (soft hyphens,
zero-width characters and combining marks count as part of a word), and only each token's
own spelling is cleaned, so every offset we report points into the text we were given.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from matching.translit import KAZAKH_LETTERS

IGNORABLE = "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
_WORD = r"\w\u00ad\u200b-\u200f\u2060\ufeff\u0300-\u036f\u0483-\u0489"
# Inner hyphens and apostrophes stay inside a token: ҚТКК-ны, Қасым-Жомарт, Kushakbaev's.
TOKEN_RE = re.compile(rf"[{_WORD}]+(?:[-\u2010\u2011'\u2019\u02bc][{_WORD}]+)*")
_HYPHEN_SPLIT = re.compile(r"[-\u2010\u2011]")

_DELETE = dict.fromkeys(map(ord, IGNORABLE))
_PUNCT = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2019": "'", "\u02bc": "'"})
# Latin letters that look like Cyrillic ones, typed inside Cyrillic words.
_LOOKALIKE = str.maketrans(
    "acepoxyikmthəǝöüABCEHIKMOPTXYƏÖÜ",
    "асерохуікмтһәәөүАВСЕНІКМОРТХУӘӨҮ",
)


def _is_cyrillic(c: str) -> bool:
    return "\u0400" <= c <= "\u04ff"


def _repair_part(part: str) -> str:
    if any(_is_cyrillic(c) for c in part) and any(c.isalpha() and not _is_cyrillic(c) for c in part):
        return part.translate(_LOOKALIKE)
    return part


@lru_cache(maxsize=1 << 18)
def clean(raw: str) -> str:
    """A token's spelling without invisible characters, composed, look-alikes repaired."""
    s = raw.translate(_DELETE).translate(_PUNCT)
    if s.isascii():
        return s
    s = unicodedata.normalize("NFC", s)
    if "-" in s:
        return "-".join(_repair_part(p) for p in s.split("-"))
    return _repair_part(s)


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow [start, end) so it neither starts nor ends on an invisible character."""
    while start < end and text[start] in IGNORABLE:
        start += 1
    while end > start and text[end - 1] in IGNORABLE:
        end -= 1
    return start, end


def hyphen_parts(raw: str) -> list[tuple[int, int]]:
    """Offsets of the hyphen-separated parts of a raw token."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _HYPHEN_SPLIT.finditer(raw):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(raw)))
    return spans


def is_capitalised(cleaned: str) -> bool:
    """First letter upper case (an all-caps word is capitalised too)."""
    for c in cleaned:
        if c.isalpha():
            return c.isupper()
    return False


def script_of(word: str) -> str:
    """ "latin", "kk" (Cyrillic with a Kazakh letter) or "ru" (other Cyrillic)."""
    if not any(_is_cyrillic(c) for c in word):
        return "latin"
    return "kk" if not KAZAKH_LETTERS.isdisjoint(word) else "ru"
