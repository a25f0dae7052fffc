"""The compiled watchlist's parts: a stem index, and what each indexed stem points back to."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from matching.morphology import Ending, Endings

if TYPE_CHECKING:
    from matching.organisations import OrgName

P = TypeVar("P")
_HEAD = 4  # letters of a word checked against the stems' first letters before any look-up


class WordIndex(Generic[P]):
    """Key -> payloads, by stem plus a closed set of endings: a few hash look-ups per word."""

    def __init__(self) -> None:
        self._stems: dict[str, list[tuple[Endings, P]]] = {}
        self._lengths: list[int] = []
        self._max_end = 0
        # What is indexed already, by endings table: a given name shared by a thousand
        # watched people must not be compared with each of them on every add.
        self._added: set[tuple[str, int, P]] = set()
        self._longest: dict[int, int] = {}
        # The first letters of every stem: most words of a text start like no watched name.
        self._head = _HEAD
        self._heads: set[str] = set()
        self._spans: dict[int, tuple[int, ...]] = {}  # word length -> stem lengths to try

    def __len__(self) -> int:
        return len(self._stems)

    def add(self, stem: str, endings: Endings, payload: P) -> None:
        entry = (stem, id(endings), payload)
        if entry in self._added:
            return
        self._added.add(entry)
        self._stems.setdefault(stem, []).append((endings, payload))
        if len(stem) < self._head:
            self._head = len(stem)
            self._heads = {s[: self._head] for s in self._stems}
        self._heads.add(stem[: self._head])
        if len(stem) not in self._lengths:
            self._lengths.append(len(stem))
            self._lengths.sort()
            self._spans.clear()
        longest = self._longest.get(id(endings))
        if longest is None:
            longest = self._longest[id(endings)] = max(map(len, endings), default=0)
        if longest > self._max_end:
            self._max_end = longest
            self._spans.clear()

    def forms(self) -> Iterator[str]:
        """Every key this index recognises (stem + ending), e.g. for a regex baseline."""
        for stem, entries in self._stems.items():
            for endings, _ in entries:
                for ending in endings:
                    yield stem + ending

    def items(self) -> Iterator[tuple[str, Endings, P]]:
        """Every (stem, endings, payload) indexed."""
        for stem, entries in self._stems.items():
            for endings, payload in entries:
                yield stem, endings, payload

    def lookup(self, k: str) -> list[tuple[P, str, tuple[Ending, ...]]]:
        """Every (payload, ending, meanings) whose stem + ending spells k."""
        out: list[tuple[P, str, tuple[Ending, ...]]] = []
        if k[: self._head] not in self._heads:
            return out
        n = len(k)
        span = self._spans.get(n)
        if span is None:
            span = self._spans[n] = tuple(x for x in self._lengths if n - self._max_end <= x <= n)
        stems = self._stems
        for length in span:
            entries = stems.get(k[:length])
            if entries:
                rest = k[length:]
                for endings, payload in entries:
                    meanings = endings.get(rest)
                    if meanings:
                        out.append((payload, rest, meanings))
        return out


@dataclass(eq=False)
class Person:
    """A watched person, compiled: gender, initials, exclusions (given names are indexed apart)."""

    index: int
    gender: str | None = None  # "m" | "f" from the surname's form or the given name
    initials: frozenset[str] = frozenset()
    exclude: tuple[tuple[str, ...], ...] = ()
    surname_display: dict[str, str] = field(default_factory=dict)  # by script (normalise.script_of)


@dataclass(eq=False, slots=True)  # not frozen: tens of thousands are made per compile
class SurnameRef:
    person: Person
    cls: str  # morphology paradigm
    nominative: str  # key of the nominative
    stem: str = ""  # key of the stem the endings follow
    # A spelling the admin did not list ("without the Russian suffix -ев", matching/variants.py);
    # "" for a listed surname.
    variant: str = ""


# One word of a phrase: any of these (stem, endings) alternatives.
WordPattern = tuple[tuple[str, Endings], ...]


@dataclass(frozen=True, eq=False)
class Phrase:
    """An organisation name or a topic keyword: words in a row, each stem-aware."""

    entity: int
    tier: str  # "name" | "term"
    group: int  # keyword group of a term; 0 for organisations
    words: tuple[WordPattern, ...]
    capitalised: bool
    display: str
    exclude: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, eq=False)
class PhraseRef:
    phrase: Phrase


@dataclass(frozen=True, eq=False)
class Acronym:
    entity: int
    tier: str  # "acronym" | "term"
    group: int
    display: str
    exclude: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, eq=False)
class SplitAcronym:
    """The first part of an acronym written in two (КНП РК for КНПРК); `rest` must follow."""

    acronym: Acronym
    rest: str  # folded, as the acronym index keys it


@dataclass(frozen=True, eq=False)
class OrgRef:
    name: OrgName
