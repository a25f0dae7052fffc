"""Which of kk / ru / en an article is written in, from its letters alone."""

from __future__ import annotations

KAZAKH_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
# Kazakh text carries several of its own letters per sentence; Russian carries none, but a
# Russian article can quote a Kazakh name (Құшақбаев), so demand a share, not one letter.
KAZAKH_SHARE = 0.01
MIN_LETTERS = 20


def detect_language(text: str, fallback: str | None = None) -> str | None:
    """kk if >= 1% of the Cyrillic letters are Kazakh-specific, ru for other Cyrillic,
    en for Latin; the fallback when there are too few letters to tell."""
    cyrillic = latin = kazakh = 0
    for ch in text:
        if not ch.isalpha():
            continue
        code = ord(ch)
        if 0x0400 <= code <= 0x04FF:
            cyrillic += 1
            if ch in KAZAKH_LETTERS:
                kazakh += 1
        elif code < 0x0250:
            latin += 1
    if cyrillic + latin < MIN_LETTERS:
        return fallback
    if cyrillic >= latin:
        return "kk" if kazakh >= KAZAKH_SHARE * cyrillic else "ru"
    return "en"
