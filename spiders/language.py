"""Which of kk / ru / en an article is written in, from its letters and words; `und` for others."""

from __future__ import annotations

import re
from functools import lru_cache

from matching.translit import KAZAKH_LETTERS

# Kazakh text carries several of its own letters per sentence; Russian carries none, but a
# Russian article can quote a Kazakh name (Құшақбаев), so demand a share, not one letter.
KAZAKH_SHARE = 0.01
# Letters of Ukrainian, Belarusian, Serbian and Macedonian that Russian and Kazakh lack
# (Ukrainian і is Kazakh too, so it is not among them).
OTHER_CYRILLIC_SHARE = 0.005
# Function words make up 40-65% of English prose and under 5% of German, Spanish, Zulu or
# Indonesian prose (the fundus pages, bench/extraction.py), so a fifth tells them apart.
ENGLISH_SHARE = 0.2
_SAMPLE = 6000  # characters: about a thousand words
_WORDS_SAMPLE = 2000  # for the function-word share, a few hundred words are plenty
UNDETERMINED = "und"  # ISO 639-2 for a language we do not tell apart
MIN_LETTERS = 20
# Runs of letters, not single ones: findall then makes one string per word, not per letter.
_CYRILLIC = re.compile(r"[\u0400-\u04ff]+")
_KAZAKH = re.compile("[" + "".join(sorted(KAZAKH_LETTERS)) + "]+")
_OTHER_CYRILLIC = re.compile("[їЇєЄґҐўЎђЂјЈљЉњЊћЋџЏѓЃќЌѕЅ]+")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]+")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f']+")


@lru_cache(maxsize=1)
def _english_function_words() -> frozenset[str]:
    import justext  # trafilatura's dependency; its stoplists are what jusText classifies by

    return frozenset(justext.get_stoplist("English"))


def _count(letters: re.Pattern[str], text: str) -> int:
    """How many characters of the text the pattern's runs cover."""
    return sum(map(len, letters.findall(text)))


def detect_language(text: str, fallback: str | None = None) -> str | None:
    """kk if >= 1% of the Cyrillic letters are Kazakh-specific, ru for other Cyrillic, en for
    Latin text that reads as English; `und` for other Cyrillic or Latin languages (Ukrainian,
    German, …), which are not told apart; the fallback when there are too few letters."""
    # Counting with regexes runs in C: a per-character Python loop cost ~3 ms per article;
    # the first few thousand characters settle it.
    text = text[:_SAMPLE]
    cyrillic = _count(_CYRILLIC, text)
    latin = _count(_LATIN, text)
    if cyrillic + latin < MIN_LETTERS:
        return fallback
    if cyrillic >= latin:
        if _count(_OTHER_CYRILLIC, text) >= OTHER_CYRILLIC_SHARE * cyrillic:
            return UNDETERMINED
        kazakh = _count(_KAZAKH, text)
        return "kk" if kazakh >= KAZAKH_SHARE * cyrillic else "ru"
    words = _LATIN_WORD.findall(text[:_WORDS_SAMPLE].lower())
    common = _english_function_words()
    english = sum(1 for w in words if w in common)
    return "en" if english >= ENGLISH_SHARE * len(words) else UNDETERMINED
