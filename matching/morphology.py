"""Closed sets of Kazakh, Russian and English endings, expressed in key space.

A name is indexed as (stem key, endings): a token matches when its key is the stem followed
by one of the stem's endings. Endings depend on the paradigm (masculine -ов, feminine -ова,
-ский, -ай, given names in -а/-я, ...) and, for Kazakh, on the last sound of the nominative
(docs/matching.md, "Endings"). Front and back vowel harmony are both accepted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from matching.translit import key

Endings = Mapping[str, tuple["Ending", ...]]


@dataclass(frozen=True)
class Ending:
    """What one ending means: its case, its language and its written form."""

    case: str
    lang: str  # "kk" | "ru" | "en" | "" (nominative, any language)
    suffix: str  # as written in the table, e.g. "ға" or "'s"
    # When the reading depends on the sentence's language:
    # "not_ru": a Kazakh ending a Russian word can end in too (Елеусиновка is a village, not
    #           Елеусіновқа typed with Russian letters);
    # "ru":     a Russian case form that in Kazakh or English text is a woman's surname
    #           (Елеусинова: his genitive in Russian, her name in "Eleusinova said").
    needs: str = ""


NOMINATIVE = Ending("nominative", "", "")
INFLECTED = Ending("inflected", "", "")


def _table(spec: str) -> tuple[tuple[str, str], ...]:
    """ "case: suffix suffix | case: ..." -> ((case, suffix), ...); "-" is the bare stem."""
    out = []
    for cell in spec.split("|"):
        case, _, suffixes = cell.partition(":")
        for suffix in suffixes.split():
            out.append((case.strip(), "" if suffix == "-" else suffix))
    return tuple(out)


# Kazakh case endings by the last sound of the word, both vowel harmonies (name-matching §1).
_KK = {
    "vowel": _table(
        "genitive: ның нің | dative: ға ге | accusative: ны ні | locative: да де"
        " | ablative: дан ден | instrumental: мен | plural: лар лер"
        " | attributive locative: дағы дегі | similative: дай дей"
    ),
    "nasal": _table(
        "genitive: ның нің | dative: ға ге | accusative: ды ді | locative: да де"
        " | ablative: нан нен | instrumental: мен | plural: дар дер"
        " | attributive locative: дағы дегі | similative: дай дей"
    ),
    "sonorant": _table(
        "genitive: дың дің | dative: ға ге | accusative: ды ді | locative: да де"
        " | ablative: дан ден | instrumental: мен бен | plural: лар лер дар дер"
        " | attributive locative: дағы дегі | similative: дай дей"
    ),
    "voiceless": _table(  # в counts as voiceless [f]: Елеусіновтің, Құшақбаевқа
        "genitive: тың тің | dative: қа ке | accusative: ты ті | locative: та те"
        " | ablative: тан тен | instrumental: пен | plural: тар тер"
        " | attributive locative: тағы тегі | similative: тай тей"
    ),
    # after the 3rd-person possessive of -ұлы / -қызы names: Кемелұлының, Кемелұлына
    "possessive": _table(
        "genitive: ның нің | dative: на не | accusative: н | locative: нда нде"
        " | ablative: нан нен | instrumental: мен"
    ),
}
_GATED_KK = frozenset({"ka", "ke"})

# Russian endings relative to the stem, per paradigm, nominative first (name-matching §2).
_MASC = (
    "nominative: - | genitive/accusative: а | dative: у | instrumental: ым | prepositional: е"
    " | plural: ы | plural genitive/prepositional: ых | plural instrumental: ыми"
)
_OBLIQUE_F = "genitive/dative/instrumental/prepositional"
_RU = {
    "M_OV": _table(_MASC),
    "M_IN": _table(_MASC + " | instrumental: ом"),  # foreign -ин: Дарвином
    "F_OVA": _table(f"nominative: а | {_OBLIQUE_F}: ой | accusative: у | instrumental: ою"),
    "M_SKY": _table(
        "nominative: ий | genitive/accusative: ого | dative: ому | instrumental: им"
        " | prepositional: ом | plural: ие | plural genitive/prepositional: их"
        " | plural instrumental: ими"
    ),
    "F_SKAYA": _table(f"nominative: ая | {_OBLIQUE_F}: ой | accusative: ую | instrumental: ою"),
    "M_ADJ_OI": _table(
        "nominative: ой | genitive/accusative: ого | dative: ому | instrumental: ым"
        " | prepositional: ом | plural: ые | plural genitive/prepositional: ых"
    ),
    "M_AI": _table(
        "nominative: й | genitive/accusative: я | dative: ю | instrumental: ем | prepositional: е"
    ),
    "M_II": _table("nominative: - | genitive/accusative: я | dative: ю | instrumental: ем"),
    "F_A": _table(
        "nominative: а | genitive: ы и | dative/prepositional: е | accusative: у | instrumental: ой ою ей"
    ),
    "F_IA": _table(
        "nominative: я | genitive/dative/prepositional: и | dative/prepositional: е"
        " | accusative: ю | instrumental: ей ею ией"
    ),
    "M_CONS": _table(
        "nominative: - | genitive/accusative: а | dative: у | instrumental: ом ем | prepositional: е"
    ),
    # -р / -л given names, hard or soft (the key cannot see ь): Анвара, Анваром; Игоря, Игорем
    "M_SOFT": _table(
        "nominative: - | genitive/accusative: а я | dative: у ю | instrumental: ом ем | prepositional: е"
    ),
    "INDECL": _table("nominative: -"),
}
# How many key letters the nominative loses to form the stem, per paradigm.
_CUT = {"F_OVA": 1, "M_SKY": 1, "F_SKAYA": 3, "M_ADJ_OI": 2, "M_AI": 1, "F_A": 1, "F_IA": 2}
FEMININE = frozenset({"F_OVA", "F_SKAYA"})
SURNAME_SHAPED = frozenset({"M_OV", "M_IN", "F_OVA", "M_SKY", "F_SKAYA", "KK_POSS"})
MASCULINE = frozenset({"M_OV", "M_IN", "M_SKY", "M_ADJ_OI"})

_VOWELS = frozenset("aeiou")


def classify(nk: str, role: str) -> str:
    """Paradigm of a nominative key; role is "surname" or "given"."""
    last = nk[-1:]
    if role == "surname":
        if len(nk) >= 5 and nk.endswith(("ova", "eva", "ina")):
            return "F_OVA"
        if len(nk) >= 4 and nk.endswith(("ov", "ev")):
            return "M_OV"
        if len(nk) >= 4 and nk.endswith("in"):
            return "M_IN"
        if nk.endswith(("skaia", "ckaia")):
            return "F_SKAYA"
        if nk.endswith(("ski", "cki")):
            return "M_SKY"
        if len(nk) >= 6 and nk.endswith(("uli", "kizi")):
            return "KK_POSS"
        if len(nk) >= 4 and nk.endswith("oi") and nk[-3] not in _VOWELS:
            return "M_ADJ_OI"
    if nk.endswith("ia"):
        return "F_IA"
    if last == "a":
        return "F_A"
    if last == "i":
        return "M_AI" if nk[-2:-1] in _VOWELS else "M_II"
    if last in _VOWELS:
        return "INDECL"
    if role == "given" and last in ("l", "r"):
        return "M_SOFT"
    return "M_CONS"


def looks_like_surname(k: str) -> bool:
    """-ов, -ова, -ин, -ский, -ұлы ... : a word shaped like a surname."""
    return classify(k, "surname") in SURNAME_SHAPED


def _kk_classes(last: str, cls: str) -> tuple[str, ...]:
    """Kazakh ending sets after a nominative ending in the key letter `last`."""
    if cls == "KK_POSS":
        return ("possessive",)
    if cls == "M_AI":
        return ("sonorant",)
    if last == "i":  # и/ы/і or й: the key cannot tell
        return ("vowel", "sonorant")
    if last in _VOWELS:
        return ("vowel",)
    if last in ("m", "n"):
        return ("nasal",)
    if last in ("l", "r", "z", "j"):
        return ("sonorant",)
    return ("voiceless",)


def join(stem_last: str, ending: str) -> str:
    """The ending as it follows a stem in a key, where doubled letters collapse."""
    if ending and stem_last and ending[0] == stem_last:
        return ending[1:]
    return ending


@dataclass(frozen=True)
class Paradigm:
    cls: str
    nominative: str
    stem: str
    endings: Endings
    gender: str | None  # "m" | "f" | None when the surname does not say


def paradigm(nk: str, role: str) -> Paradigm:
    """Stem and endings of a name part from its nominative key."""
    cls = classify(nk, role)
    cut = _CUT.get(cls, 0)
    stem = nk[: len(nk) - cut]
    gender = "f" if cls in FEMININE else "m" if cls in MASCULINE else None
    return Paradigm(cls, nk, stem, _name_endings(cls, nk[len(stem) :], stem[-1:], nk[-1:]), gender)


@lru_cache(maxsize=4096)
def _name_endings(cls: str, cut_part: str, stem_last: str, nom_last: str) -> Endings:
    out: dict[str, list[Ending]] = {}

    def add(rel: str, ending: Ending) -> None:
        out.setdefault(join(stem_last, rel), []).append(ending)

    ru = _RU.get(cls, _RU["INDECL"])
    for case, suffix in ru:
        if case == "nominative":
            add(key(suffix) if suffix else "", NOMINATIVE)
            continue
        needs = "ru" if cls in ("M_OV", "M_IN") and suffix == "а" else ""
        add(key(suffix), Ending(case, "ru", suffix, needs))
    for kk_class in _kk_classes(nom_last, cls):
        for case, suffix in _KK[kk_class]:
            sk = key(suffix)
            needs = "not_ru" if kk_class == "voiceless" and sk in _GATED_KK else ""
            add(cut_part + join(nom_last, sk), Ending(case, "kk", suffix, needs))
    add(cut_part + "s", Ending("possessive", "en", "'s"))
    return {k: tuple(v) for k, v in out.items()}


# --- generic endings for organisation words and topic terms -------------------------------

_RU_NOUN = "а я у ю ом ем ём е и ы ов ев ей ам ям ами ями ах ях ой ою ь ью ье ья о"
_RU_ADJECTIVE = "ый ий ой ая яя ое ее ые ие ого его ому ему ым им ых их ыми ими ую юю ою ею ей"
_RU_GENERIC = (*_RU_NOUN.split(), *_RU_ADJECTIVE.split())
_KK_PLURAL = ("", "лар", "лер", "дар", "дер", "тар", "тер")
_KK_POSSESSIVE = ("", "ы", "і", "сы", "сі")
_KK_CASE = (
    "",
    "ның",
    "нің",
    "дың",
    "дің",
    "тың",
    "тің",
    "ға",
    "ге",
    "қа",
    "ке",
    "на",
    "не",
    "ны",
    "ні",
    "ды",
    "ді",
    "ты",
    "ті",
    "н",
    "да",
    "де",
    "та",
    "те",
    "нда",
    "нде",
    "дан",
    "ден",
    "тан",
    "тен",
    "нан",
    "нен",
    "мен",
    "бен",
    "пен",
    "дағы",
    "дегі",
    "тағы",
    "тегі",
    "ндағы",
    "ндегі",
    "дай",
    "дей",
)
_EN_GENERIC = ("", "e", "s", "es", "ed", "d", "ing", "er", "ers")
# Derived words a topic keyword should still find: профсоюз-н-ого, кәсіподақ-тық,
# сот-тал-ды ("was sentenced"), сот-тал-ған.
_RU_DERIVED = tuple(d + a for d in ("н", "ск") for a in _RU_ADJECTIVE.split())
_KK_DERIVED = (
    *(
        d + t
        for d in ("тал", "дал", "лал", "тел", "дел", "лел")
        for t in ("", "ды", "ді", "ған", "ген", "ып", "іп", "у", "уы", "ушы", "атын", "етін")
    ),
    *("тық", "тік", "дық", "дік", "лық", "лік", "шы", "ші"),
)


def _kk_combinations() -> frozenset[str]:
    out = set()
    for parts in product(_KK_PLURAL, _KK_POSSESSIVE, _KK_CASE):
        out.add(key("".join(parts)))
    return frozenset(out)


KK_SUFFIX_KEYS = _kk_combinations()
RU_GENERIC_KEYS = frozenset(key(s) for s in _RU_GENERIC)
_CYRILLIC_GENERIC = frozenset({key(s) for s in (*_RU_GENERIC, *_RU_DERIVED, *_KK_DERIVED)}) | KK_SUFFIX_KEYS
_LATIN_GENERIC = frozenset(_EN_GENERIC)


_RU_OBLIQUE_ADJECTIVE = ("ogo", "ego", "omu", "emu", "imi", "ih")


def generic_stem(k: str, latin: bool) -> tuple[str, str]:
    """(stem, cut part) of a keyword's key: trailing vowels (Cyrillic) or English suffixes."""
    if latin:
        for suffix in ("ing", "ed", "es", "s", "e"):
            if k.endswith(suffix) and len(k) - len(suffix) >= 4:
                return k[: -len(suffix)], suffix
        return k, ""
    # an adjective written in an oblique case (топливно-энергетического, независимых)
    for ending in _RU_OBLIQUE_ADJECTIVE:
        if k.endswith(ending) and len(k) - len(ending) >= 4:
            return k[: -len(ending)], ending
    stem = k
    # the Kazakh possessive after a vowel: бюро-сы, конфедерация-сы (бюро, конфедерациясының)
    if k.endswith("si") and len(k) >= 6 and k[-3] in _VOWELS:
        stem = k[:-2]
    while len(stem) > 3 and stem[-1] in _VOWELS and len(k) - len(stem) < 4:
        stem = stem[:-1]
    return stem, k[len(stem) :]


@lru_cache(maxsize=4096)
def generic_endings(cut_part: str, stem_last: str, latin: bool) -> Endings:
    """Any common inflection of a keyword: Russian noun/adjective, Kazakh case chains, English."""
    base = _LATIN_GENERIC if latin else _CYRILLIC_GENERIC
    prefixes = [""] if latin else [cut_part[:i] for i in range(len(cut_part) + 1)]
    out: dict[str, tuple[Ending, ...]] = {}
    for prefix in prefixes:
        for e in base:
            out[join(stem_last, prefix + e)] = (INFLECTED,)
    out[join(stem_last, cut_part)] = (NOMINATIVE,)
    return out


KK_CASE_NAMES: dict[str, str] = {}
for _cls in ("vowel", "nasal", "sonorant", "voiceless"):
    for _case, _suffix in _KK[_cls]:
        KK_CASE_NAMES.setdefault(key(_suffix), _case)


# --- patronymics -------------------------------------------------------------------------

_PATRONYMIC_M = re.compile(r"(?:ovich|evich|ich)(?:a|u|em|om|e)?$|.{3}uli$")
_PATRONYMIC_F = re.compile(r"(?:ovn|evn|ichn)(?:a|i|e|u|oi|oiu)$|.{3}kizi$")


def patronymic_gender(k: str) -> str | None:
    """Gender ("m"/"f") of a key shaped like a patronymic (Сергеевна, Кемелұлы), else None."""
    if _PATRONYMIC_F.search(k):
        return "f"
    if _PATRONYMIC_M.search(k):
        return "m"
    return None
