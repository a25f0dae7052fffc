"""Script-independent comparison keys: Kazakh, Russian and Latin spellings of a name meet here.

Algorithm (docs/matching.md, "Keys"): lowercase, fold Kazakh letters to Russian ones,
transliterate Cyrillic to a canonical Latin, strip Latin diacritics, drop apostrophes,
reduce the usual romanisation variants (Ye-/E-, -ayev/-aev, kh/h, zh/j, q/k, y/i) and
collapse doubled letters (Kassym = Kasym). Acronyms never go through keys.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

KAZAKH_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")  # the one list: spiders.language counts them too


def _pairs(spec: str) -> dict[str, str]:
    """ "а=a б=b ъ=" -> {"а": "a", "б": "b", "ъ": ""}."""
    return dict(pair.split("=") for pair in spec.split())


# Cyrillic (Russian + Kazakh + a few neighbours) straight to the final key alphabet, so that
# the Latin clean-up rules below only ever change Latin input (ы and й become i, not y).
_CYRILLIC = _pairs(
    "а=a б=b в=v г=g д=d е=e ё=e ж=j з=z и=i й=i к=k л=l м=m н=n о=o п=p р=r с=s т=t у=u "
    "ф=f х=h ц=c ч=ch ш=sh щ=sh ъ= ы=i ь= э=e ю=iu я=ia "
    "ә=a ғ=g қ=k ң=n ө=o ұ=u ү=u һ=h і=i "
    "ў=u ї=i є=e ґ=g ј=j"
)
# Latin letters that NFKD would not reduce well (ISO 9 and Kazakh Latin letters for digraphs),
# apostrophes (dropped) and dash variants.
_LATIN = _pairs(
    "ş=sh ç=ch š=sh č=ch ž=zh ğ=g ñ=n ŋ=n ı=i ə=a ǝ=a ß=ss æ=ae ø=o đ=d ł=l '= ’= ʼ= `= ´= ʻ= ′= ‘= ‐=- ‑=-"
)
_TABLE = str.maketrans({**_CYRILLIC, **_LATIN})
_SINGLE = str.maketrans({"y": "i", "q": "k", "w": "u"})
_DIGRAPHS = (("shch", "sh"), ("zh", "j"), ("dj", "j"), ("kh", "h"), ("gh", "g"), ("ts", "c"))
_YE_START = re.compile(r"(?:^|(?<=-))ye")
_YE_AFTER_VOWEL = re.compile(r"(?<=[aeiouy])ye")
_DOUBLES = re.compile(r"([a-z])\1+")


def _strip_marks(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


@lru_cache(maxsize=1 << 18)
def key(word: str) -> str:
    """The comparison key of one word (hyphens kept: Қасым-Жомарт -> kasim-jomart)."""
    s = word.lower().translate(_TABLE)
    if not s.isascii():
        s = _strip_marks(s)
    if "ye" in s:
        s = _YE_AFTER_VOWEL.sub("e", _YE_START.sub("e", s))
    for a, b in _DIGRAPHS:
        if a in s:
            s = s.replace(a, b)
    s = s.translate(_SINGLE)
    return _DOUBLES.sub(r"\1", s)


def key_with_ng(word: str) -> str:
    """Key variant with ң spelt `ng` (Kazakh BGN: Zhangaözen), for compile-time expansion."""
    return key(word.replace("ң", "нг").replace("Ң", "НГ"))


def has_kazakh_letter(word: str) -> bool:
    return not KAZAKH_LETTERS.isdisjoint(word)


def fold_kazakh(word: str) -> str:
    """Kazakh-specific letters to the Russian ones typed in their place (case kept)."""
    return word.translate(_FOLD)


_FOLD = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")
