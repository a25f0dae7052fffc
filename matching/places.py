"""Countries as organisation names qualify themselves with them, in key space.

A body's name carries its country in many shapes: "of Kazakhstan", "Республики Казахстан",
"Kazakhstan's", "казахстанского", "Қазақстанның", "Kazakh". To tell the country a name was
written with from another country's body of the same name (Bulgaria's Confederation of
Independent Trade Unions), a word is recognised as a country word by its root and a closed
set of derivations and endings. Only the countries a labour-rights text about the region
names next to a union or a bureau are listed; an unknown country after "of" or in the
Russian genitive is caught by the organisation rules themselves (matching/organisations.py).
"""

from __future__ import annotations

from functools import lru_cache

from matching.morphology import KK_SUFFIX_KEYS, RU_GENERIC_KEYS

NEUTRAL = ""  # a qualifier that names no country: Republic, International

# Roots in key space (matching/translit.py): one line per country, Latin and Cyrillic roots.
_ROOTS = """
KZ kazah kazak
KG kirgiz
UZ uzbek ozbek
TJ tajik
TM turkmen turikmen
RU rosi rus resei
UA ukrain
BY belarus belorus
BG bulgar bolgar
GE georgi gruzi
AM armen armian
AZ azerbaijan azirbaijan azeri
MD moldov moldav
MN mongol
CN chin kitai
TR turk turc
US amerik americ
GB britan british
"""
_NEUTRAL_ROOTS = """
respublik republic republik international mejdunarodn halikaralik national nacional ulttik
"""
# Country acronyms as written (not keys: США would key to "sha").
_ACRONYMS = {"США": "US", "АҚШ": "US", "USA": "US", "РФ": "RU", "UK": "GB", "РК": "KZ", "ҚР": "KZ"}

# What may follow a root: a stem extension (Kazakh-stan, Bulgar-ia, Americ-an), then a
# derivation (-ский, -дық, -ish), then an ending of any of the three languages.
_EXTENSIONS = ("", "stan", "istan", "ia", "i", "a", "e", "an", "ian", "in", "ei")
_DERIVATIONS = ("", "sk", "ck", "dik", "tik", "lik", "ish", "ese", "i")
_HEADS = frozenset(x + d for x in _EXTENSIONS for d in _DERIVATIONS)
_MAX_HEAD = max(map(len, _HEADS))
# Not -ов/-ев: Казахов is a surname before it is "of the Kazakhs".
_ENDINGS = (KK_SUFFIX_KEYS | RU_GENERIC_KEYS | frozenset({"", "s", "es"})) - {"ov", "ev"}


def _roots() -> list[tuple[str, str]]:
    out = []
    for line in _ROOTS.strip().splitlines():
        country, *roots = line.split()
        out += [(root, country) for root in roots]
    out += [(root, NEUTRAL) for root in _NEUTRAL_ROOTS.split()]
    # The longest root first: turkmen before turk.
    return sorted(out, key=lambda r: -len(r[0]))


_BY_PREFIX: dict[str, list[tuple[str, str]]] = {}
for _root, _country in _roots():
    _BY_PREFIX.setdefault(_root[:3], []).append((_root, _country))


def _rest_fits(rest: str) -> bool:
    for n in range(min(len(rest), _MAX_HEAD) + 1):
        head, end = rest[:n], rest[n:]
        if head in _HEADS and (end in _ENDINGS or (n > 0 and head[-1] + end in _ENDINGS)):
            return True
    return False


@lru_cache(maxsize=1 << 14)
def place_of(k: str) -> str | None:
    """The country a word's key names ("KZ"), NEUTRAL for Republic/International, else None."""
    for root, country in _BY_PREFIX.get(k[:3], ()):
        if k.startswith(root):
            rest = k[len(root) :]
            # a doubled letter collapsed at the join: белорус-ский -> belorus-ki
            if _rest_fits(rest) or _rest_fits(root[-1] + rest):
                return country
    return None


def acronym_place(cleaned: str) -> str | None:
    """The country a written acronym names (США, РФ), else None."""
    return _ACRONYMS.get(cleaned)
