"""Spellings of a surname the admin did not list, and the words one letter away from one.

Keys (translit.py) already fold the usual romanisations (Dzhaksybekov = Jaksybekov =
Zhaqsybekov, Abliazov = Ablyazov, -ii = -iy = -y). Two kinds of variant remain, and both are
indexed apart from the listed forms (a loose index), because they count only where precision
allows (persons.py, engine.py):
- an unstressed е written и, or и written е (Белинский / Билинский): the loose key spells
  both `i`;
- a Kazakh surname with or without the Russian suffix: Қалдыбай / Калдыбаев, Жақсыбек /
  Жақсыбеков, and the Kazakh -ұлы (Жақсыбекұлы).
Anything else one edit away (a letter dropped, added or changed) is only reported, as a near
miss, by `Watchlist.inspect`.
"""

from __future__ import annotations

from collections.abc import Iterator

from matching.morphology import Ending, Endings

_LOOSE = str.maketrans({"e": "i"})
LOOSE_VOWELS = "е and и confused"  # what a loose hit on a listed surname is
_VOWELS = frozenset("aeiou")
_SOFT = ("j", "c", "sh", "ch")  # -ев, not -ов, after ж ц ш ч (as keys spell them)


def loose(k: str) -> str:
    """The key with the vowels that unstressed syllables confuse (е / и) made one."""
    return k.translate(_LOOSE)


_loose_endings: dict[int, tuple[Endings, Endings]] = {}


def loose_endings(endings: Endings) -> Endings:
    """The same endings, loosely spelt (cached per endings table)."""
    cached = _loose_endings.get(id(endings))
    if cached is not None and cached[0] is endings:
        return cached[1]
    out: dict[str, tuple[Ending, ...]] = {}
    for ending, meanings in endings.items():
        k = loose(ending)
        out[k] = out.get(k, ()) + meanings
    _loose_endings[id(endings)] = (endings, out)
    return out


_WRITTEN = {"ov": "ов", "ev": "ев", "ova": "ова", "eva": "ева"}


def suffix_variants(nk: str, cls: str, gender: str | None) -> list[tuple[str, str]]:
    """(nominative key, what changed) for the surname with / without the Russian suffix."""
    out: list[tuple[str, str]] = []
    feminine = gender == "f"
    if cls in ("M_OV", "F_OVA"):
        base = nk[:-3] if cls == "F_OVA" else nk[:-2]
        suffix = _WRITTEN.get(nk[len(base) :], nk[len(base) :])
        if len(base) < 4:
            return out
        if base[-1] in _VOWELS:  # Калдыба-ев -> Калдыбай
            out.append((base + "i", f"without the Russian suffix -{suffix}"))
        else:  # Жақсыбек-ов -> Жақсыбек, Жақсыбекұлы
            out.append((base, f"without the Russian suffix -{suffix}"))
            kazakh = "kizi" if feminine else "uli"
            out.append((base + kazakh, f"-{suffix} written as the Kazakh -ұлы/-қызы"))
        return out
    if cls in ("KK_POSS",):
        base = nk[:-4] if nk.endswith("kizi") else nk[:-3]
        if len(base) >= 4 and base[-1] not in _VOWELS:
            out.append((base, "without -ұлы/-қызы"))
            out.append((base + ("ova" if feminine else "ov"), "-ұлы/-қызы written as the Russian -ов"))
        return out
    if cls in ("M_AI", "M_CONS") and len(nk) >= 4:
        tail = "a" if feminine else ""
        if cls == "M_AI":  # Қалдыбай -> Калдыбаев
            out.append((nk[:-1] + "ev" + tail, f"with the Russian suffix -ев{tail and 'а'}"))
        else:  # Жақсыбек -> Жақсыбеков
            ov = "ev" if nk.endswith(_SOFT) else "ov"
            written = "ев" if ov == "ev" else "ов"
            out.append((nk + ov + tail, f"with the Russian suffix -{written}{tail and 'а'}"))
    return out


def distance_at_most_one(a: str, b: str) -> bool:
    """Levenshtein distance (with transposition) of a and b is at most 1."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        if len(diff) != 2 or diff[1] != diff[0] + 1:
            return False
        return a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]  # two letters swapped
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


def deletions(k: str) -> Iterator[str]:
    """k and every string one letter shorter."""
    yield k
    for i in range(len(k)):
        yield k[:i] + k[i + 1 :]
