"""Turn EntitySpecs into the indexes the engine looks words up in (done once per watchlist)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from matching.engine import Watchlist
from matching.given_names import names as lexicon_names
from matching.index import (
    Acronym,
    OrgRef,
    Person,
    Phrase,
    PhraseRef,
    SplitAcronym,
    SurnameRef,
    WordIndex,
    WordPattern,
)
from matching.morphology import (
    NOMINATIVE,
    Endings,
    Paradigm,
    generic_endings,
    generic_stem,
    looks_like_surname,
    paradigm,
)
from matching.normalise import TOKEN_RE, clean, script_of
from matching.organisations import OrgEntity, compile_name
from matching.spec import EntitySpec
from matching.translit import fold_kazakh, key, key_with_ng
from matching.variants import suffix_variants, vowel_flips

_MIN_VARIANT = 5  # key letters a variant spelling needs: shorter ones are too often other words
_MIN_SPLIT_ACRONYM = 4  # letters of an acronym that is also looked for in two parts

# Function words of organisation names and keyword phrases: matched exactly, never inflected.
_FUNCTION_WORDS = (
    "и в во на по с со к о об от до за из у для мен пен бен және of the a an and in on for to at by"
)
_STOPWORDS = frozenset(_FUNCTION_WORDS.split())
_EXACT: Endings = {"": (NOMINATIVE,)}


def _words(text: str) -> list[str]:
    return [clean(t) for t in TOKEN_RE.findall(text)]


def _is_latin(word: str) -> bool:
    return not any("\u0400" <= c <= "\u04ff" for c in word)


def is_acronym(alias: str) -> bool:
    """A single token with two or more capitals: ҚТКК, KNPRK, KazTAG."""
    words = alias.split()
    return len(words) == 1 and sum(c.isupper() for c in alias) >= 2 and len(alias) >= 2


def _name_keys(word: str) -> set[str]:
    keys = {key(word)}
    if "ң" in word.lower():
        keys.add(key_with_ng(word))
    return keys


def _split_person(words: list[str]) -> tuple[list[str], str]:
    """(given names, surname): the surname is last unless only the first word looks like one."""
    if len(words) == 1:
        return [], words[0]
    first, last = key(words[0]), key(words[-1])
    if looks_like_surname(first) and not looks_like_surname(last):
        return [words[1]], words[0]
    return [words[0]], words[-1]


def _phrase_keys(text: str) -> tuple[str, ...]:
    return tuple(key(w) for w in _words(text))


@lru_cache(maxsize=1)
def given_name_lexicon() -> WordIndex[str]:
    """Common given names in every inflection; payload is the gender."""
    index: WordIndex[str] = WordIndex()
    for name, gender in lexicon_names():
        for nk in _name_keys(name):
            p = paradigm(nk, "given")
            index.add(p.stem, p.endings, gender)
    return index


def _word_pattern(word: str) -> WordPattern:
    k = key(word)
    latin = _is_latin(word)
    if word.lower() in _STOPWORDS or (latin and len(k) <= 3):
        return ((k, _EXACT),)
    stem, cut = generic_stem(k, latin)
    alts: list[tuple[str, Endings]] = [(stem, generic_endings(cut, stem[-1:], latin))]
    if not latin and not cut and stem[-1:] in ("k", "p"):
        # Kazakh voicing before a vowel: кәсіподақ -> кәсіподағы
        voiced = stem[:-1] + ("g" if stem[-1] == "k" else "b")
        alts.append((voiced, generic_endings("", voiced[-1], latin)))
    return tuple(alts)


class _Builder:
    def __init__(self) -> None:
        self.index: WordIndex[SurnameRef | PhraseRef | OrgRef] = WordIndex()
        # Unlisted spellings (variants.py) apart: looked up only for a capitalised word the
        # index does not know, so the index every word goes through stays as small as the list.
        self.variant_index: WordIndex[SurnameRef] = WordIndex()
        self.acronyms: dict[str, list[Acronym]] = {}
        self.given: WordIndex[int] = WordIndex()  # payload: the person's index
        self.orgs: dict[int, OrgEntity] = {}
        self.split_acronyms: dict[str, list[SplitAcronym]] = {}

    def person(self, n: int, spec: EntitySpec) -> None:
        exclude = tuple(_phrase_keys(e) for e in spec.exclude)
        person = Person(n, exclude=exclude)
        given_words: list[str] = []
        surnames: list[str] = []
        for full in (spec.name, *spec.aliases):
            words = _words(full)
            if not words:
                continue
            given, surname = _split_person(words)
            given_words += given
            surnames.append(surname)
            person.surname_display.setdefault(script_of(surname), surname)
        seen: dict[str, Paradigm] = {}  # by nominative key
        for surname in surnames:
            for nk in _name_keys(surname):
                if nk in seen:
                    continue
                p = seen[nk] = paradigm(nk, "surname")
                self.index.add(p.stem, p.endings, SurnameRef(person, p.cls, nk, p.stem))
                person.gender = person.gender or p.gender
        initials = set()
        lexicon = given_name_lexicon()
        for word in given_words:
            initials.add(key(word[0])[:1])
            for nk in _name_keys(word):
                initials.add(nk[:1])
                p = paradigm(nk, "given")
                self.given.add(p.stem, p.endings, n)
                genders = {g for g, _, _ in lexicon.lookup(nk)}
                if person.gender is None and len(genders) == 1:
                    person.gender = genders.pop()
        person.initials = frozenset(i for i in initials if i)
        self.variants(person, seen)

    def variants(self, person: Person, listed: dict[str, Paradigm]) -> None:
        """Index the unlisted spellings of the listed surnames (variants.py), marked as such."""
        lexicon = given_name_lexicon()
        for nk, p in listed.items():
            if len(nk) < _MIN_VARIANT:
                continue
            forms: list[tuple[Paradigm, str]] = [(p, "")]
            for vk, what in suffix_variants(nk, p.cls, person.gender):
                if len(vk) < _MIN_VARIANT or vk in listed or (len(vk) < len(nk) and lexicon.lookup(vk)):
                    continue  # Алиев without -ев is the given name Али
                v = paradigm(vk, "surname")
                forms.append((v, what))
                self.variant_index.add(v.stem, v.endings, SurnameRef(person, v.cls, vk, v.stem, what))
            for v, what in forms:
                tail = v.nominative[len(v.stem) :]
                for flipped, how in vowel_flips(v.stem):
                    label = f"{what}, {how}" if what else how
                    ref = SurnameRef(person, v.cls, flipped + tail, flipped, label)
                    self.variant_index.add(flipped, v.endings, ref)

    def acronym(self, n: int, spec: EntitySpec, text: str, tier: str, group: int) -> None:
        exclude = tuple(_phrase_keys(e) for e in spec.exclude)
        word = clean(text.strip())
        entry = Acronym(n, tier, group, word, exclude)
        folded = fold_kazakh(word)
        self.acronyms.setdefault(folded, []).append(entry)
        if len(folded) >= _MIN_SPLIT_ACRONYM and folded.isupper():  # КНПРК as КНП РК
            for cut in range(2, len(folded) - 1):
                split = SplitAcronym(entry, folded[cut:])
                self.split_acronyms.setdefault(folded[:cut], []).append(split)
        if tier == "acronym":
            self.orgs.setdefault(n, OrgEntity(n)).acronyms.add(fold_kazakh(word))

    def phrase(self, n: int, spec: EntitySpec, text: str, tier: str, group: int) -> None:
        words = _words(text)
        if not words:
            return
        exclude = tuple(_phrase_keys(e) for e in spec.exclude)
        patterns = tuple(_word_pattern(w) for w in words)
        if tier == "name":
            org = self.orgs.setdefault(n, OrgEntity(n))
            name = compile_name(org, text, words, list(patterns), exclude)
            if name is not None:
                for stem, endings in name.cores[0]:
                    self.index.add(stem, endings, OrgRef(name))
                return
        capitalised = tier == "name" and words[0][:1].isupper()
        phrase = Phrase(n, tier, group, patterns, capitalised, text.strip(), exclude)
        for stem, endings in patterns[0]:
            self.index.add(stem, endings, PhraseRef(phrase))

    def entity(self, n: int, spec: EntitySpec) -> None:
        if spec.kind == "person":
            self.person(n, spec)
            return
        if spec.kind == "organisation":
            groups: tuple[tuple[str, ...], ...] = ((spec.name, *spec.aliases),)
            tier = "name"
        else:
            groups = spec.groups or ((spec.name, *spec.aliases),)
            tier = "term"
        for g, keywords in enumerate(groups):
            for text in keywords:
                if not text.strip():
                    continue
                if is_acronym(text.strip()):
                    self.acronym(n, spec, text, "acronym" if tier == "name" else tier, g)
                else:
                    self.phrase(n, spec, text, tier, g)


def compile_watchlist(entities: Iterable[EntitySpec]) -> Watchlist:
    """Compile entities once; the Watchlist is then reused for every article."""
    specs = tuple(entities)
    dupes = sorted(i for i, n in Counter(s.id for s in specs).items() if n > 1)
    if dupes:
        raise ValueError(f"duplicate entity ids: {', '.join(dupes)}")
    b = _Builder()
    for n, spec in enumerate(specs):
        b.entity(n, spec)
    return Watchlist(
        specs=specs,
        index=b.index,
        acronyms={k: tuple(v) for k, v in b.acronyms.items()},
        lexicon=given_name_lexicon(),
        given=b.given,
        variants=b.variant_index,
        orgs=b.orgs,
        split_acronyms={k: tuple(v) for k, v in b.split_acronyms.items()},
    )
