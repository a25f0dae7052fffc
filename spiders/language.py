"""Which of kk / ru / en an article is written in, from its letters alone."""

from __future__ import annotations

import re

from matching.translit import KAZAKH_LETTERS

# Kazakh text carries several of its own letters per sentence; Russian carries none, but a
# Russian article can quote a Kazakh name (Құшақбаев), so demand a share, not one letter.
KAZAKH_SHARE = 0.01
MIN_LETTERS = 20
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_KAZAKH = re.compile("[" + "".join(sorted(KAZAKH_LETTERS)) + "]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")


def detect_language(text: str, fallback: str | None = None) -> str | None:
    """kk if >= 1% of the Cyrillic letters are Kazakh-specific, ru for other Cyrillic,
    en for Latin; the fallback when there are too few letters to tell."""
    # Counting with regexes runs in C: a per-character Python loop cost ~3 ms per article.
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    if cyrillic + latin < MIN_LETTERS:
        return fallback
    if cyrillic >= latin:
        kazakh = len(_KAZAKH.findall(text))
        return "kk" if kazakh >= KAZAKH_SHARE * cyrillic else "ru"
    return "en"
