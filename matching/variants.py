"""Spellings of a surname the admin did not list, and the words one letter away from one.

Keys (translit.py) already fold the usual romanisations (Dzhaksybekov = Jaksybekov =
Zhaqsybekov, Abliazov = Ablyazov, -ii = -iy = -y). Two kinds of variant remain. Both are
indexed at compile time in an index of their own, which only a capitalised word that no
listed form spells is looked up in (the index every word goes through stays as small as the
watchlist); they count only where precision allows (persons.py, engine.py):
- an unstressed е written и, or и written е, once in the stem (Белинский / Билинский);
- a Kazakh surname with or without the Russian suffix: Қалдыбай / Калдыбаев, Жақсыбек /
  Жақсыбеков (and -ова / -ева for a woman).
Anything else one edit away (a letter dropped, added or changed) is only reported, as a near
miss, by `Watchlist.inspect`.
"""

from __future__ import annotations

from collections.abc import Iterator

_LOOSE = str.maketrans({"e": "i"})
_VOWELS = frozenset("aeiou")
_SOFT = ("j", "c", "sh", "ch")  # -ев, not -ов, after ж ц ш ч (as keys spell them)
_FLIP = {"e": "i", "i": "e"}
_CYRILLIC = {"e": "е", "i": "и"}
_KEEP = 2  # last letters of a stem that carry its paradigm (-ов, -ин): never flipped


def loose(k: str) -> str:
    """The key with the vowels that unstressed syllables confuse (е / и) made one."""
    return k.translate(_LOOSE)


def vowel_flips(stem: str) -> Iterator[tuple[str, str]]:
    """The stem with one е written и or и written е; not its first letter nor its last two, nor
    a vowel next to another (й, я, ю, ы after a vowel: Қалдыбай, Әлия are not е / и)."""
    for n in range(1, len(stem) - _KEEP):
        flipped = _FLIP.get(stem[n])
        if flipped and stem[n - 1] not in _VOWELS and stem[n + 1] not in _VOWELS:
            yield stem[:n] + flipped + stem[n + 1 :], f"{_CYRILLIC[stem[n]]} written {_CYRILLIC[flipped]}"


_WRITTEN = {"ov": "ов", "ev": "ев", "ova": "ова", "eva": "ева"}


def suffix_variants(nk: str, cls: str, gender: str | None) -> list[tuple[str, str]]:
    """(nominative key, what changed) for the surname with / without the Russian suffix."""
    feminine = gender == "f"
    if cls == "M_OV" or (cls == "F_OVA" and nk.endswith(("ova", "eva"))):
        base = nk[:-3] if cls == "F_OVA" else nk[:-2]
        if len(base) < 4:
            return []
        what = f"without the Russian suffix -{_WRITTEN[nk[len(base) :]]}"
        # Калдыба-ев -> Қалдыбай; Жақсыбек-ов -> Жақсыбек
        return [(base + "i" if base[-1] in _VOWELS else base, what)]
    if cls in ("M_AI", "M_CONS") and len(nk) >= 4:
        tail, written_tail = ("a", "а") if feminine else ("", "")
        if cls == "M_AI":  # Қалдыбай -> Калдыбаев
            return [(nk[:-1] + "ev" + tail, f"with the Russian suffix -ев{written_tail}")]
        ov = "ev" if nk.endswith(_SOFT) else "ov"  # Жақсыбек -> Жақсыбеков
        return [(nk + ov + tail, f"with the Russian suffix -{_WRITTEN[ov]}{written_tail}")]
    return []


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
