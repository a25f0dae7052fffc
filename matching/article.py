"""One text as the matcher sees it: tokens with offsets, the gaps between them, and facts about
each word computed once per distinct spelling."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from matching import language
from matching.index import Acronym, OrgRef, PhraseRef, SplitAcronym, SurnameRef
from matching.morphology import Ending, looks_like_surname

_DIGRAPH_INITIALS = frozenset({"Zh", "Sh", "Ch", "Kh", "Ye", "Yu", "Ya", "Ts"})
_PHRASE_GAP = re.compile(r"[\s\"«»“”„']*")
_INITIAL_GAP = re.compile(r"\.\s*")
_SENTENCE_END = re.compile(r"[.!?…\n]")
_SENTENCE_WORDS = 40  # the language of a sentence shows within this many words


@dataclass(frozen=True, slots=True)
class Hit:
    """A token (or a hyphen-separated part of it) that spells an indexed form."""

    ref: SurnameRef | PhraseRef | OrgRef | Acronym | SplitAcronym
    cleaned: str  # the matched (part of the) token, cleaned
    ending: str
    meanings: tuple[Ending, ...]
    lo: int  # offsets of the matched part within the raw token
    hi: int


@dataclass(frozen=True, slots=True)
class Token:
    """What a word is, whoever asks."""

    cleaned: str
    key: str
    capitalised: bool
    patronymic: str | None
    owners: frozenset[int]  # watched persons whose given name this is
    given_name: bool  # anybody's given name (watched or in the lexicon)

    @property
    def surname_shaped(self) -> bool:
        """-ов, -ова, -ский ...: shaped like a surname."""
        return looks_like_surname(self.key)


@dataclass(slots=True)
class Occurrence:
    """A mention found, before the article-level policy."""

    entity: int
    start: int
    end: int
    tier: str
    explanation: str
    group: int = 0
    # "variant": an unlisted spelling without a given name; "short": an organisation without
    # its country. Either counts only if the text names the entity otherwise (engine policy).
    pending: str = ""
    reject: str = ""  # why this near match does not count (a near miss); "" = it counts
    variant: bool = False  # found by an unlisted spelling
    resembles: str = ""  # the listed form a variant or near miss is close to
    form_key: str = ""  # key of the nominative of the form found (a variant's, for an alias)

class Article:
    """The tokens of one text, with per-token details computed on demand."""

    def __init__(self, text: str, tokens: list[re.Match[str]], facts: Callable[[str], Token]) -> None:
        self.text = text
        self.tokens = tokens
        self._facts = facts
        self._lang: dict[tuple[int, int], str | None] = {}
        self.hit_tokens: frozenset[int] = frozenset()  # tokens that spell an indexed form

    def has_hits(self, i: int) -> bool:
        return i in self.hit_tokens

    def token(self, i: int) -> Token:
        return self._facts(self.tokens[i].group())

    def cleaned(self, i: int) -> str:
        return self.token(i).cleaned

    def key(self, i: int) -> str:
        return self.token(i).key

    def joined(self, i: int, j: int) -> bool:
        """Tokens i < j = i + 1 separated by white space only."""
        if i < 0 or j >= len(self.tokens):
            return False
        gap = self.text[self.tokens[i].end() : self.tokens[j].start()]
        return not gap or (gap.isspace() and gap.count("\n") < 2)  # not across paragraphs

    def is_initial(self, i: int) -> bool:
        c = self.cleaned(i)
        if not (len(c) == 1 and c.isalpha() and c.isupper()) and c not in _DIGRAPH_INITIALS:
            return False
        return self.text.startswith(".", self.tokens[i].end())

    def initial_gap(self, i: int, j: int) -> bool:
        """Token i is an initial, then only its dot and white space before token j."""
        if i < 0 or j >= len(self.tokens):
            return False
        gap = self.text[self.tokens[i].end() : self.tokens[j].start()]
        return _INITIAL_GAP.fullmatch(gap) is not None and "\n" not in gap

    def phrase_gap(self, i: int, j: int) -> bool:
        gap = self.text[self.tokens[i].end() : self.tokens[j].start()]
        return _PHRASE_GAP.fullmatch(gap) is not None and gap.count("\n") < 2

    def _sentence_end(self, i: int) -> bool:
        """A sentence ends between token i and the next one."""
        if i < 0 or i + 1 >= len(self.tokens):
            return True
        gap = self.text[self.tokens[i].end() : self.tokens[i + 1].start()]
        return _SENTENCE_END.search(gap) is not None

    def language(self, i: int) -> str | None:
        """Language of the sentence around token i (token i itself left out), by its words."""
        first = i
        while first > max(0, i - _SENTENCE_WORDS) and not self._sentence_end(first - 1):
            first -= 1
        last = i
        while last < min(len(self.tokens) - 1, i + _SENTENCE_WORDS) and not self._sentence_end(last):
            last += 1
        if (first, last) in self._lang:
            return self._lang[(first, last)]
        indices = [j for j in range(first, last + 1) if j != i]
        words = [self.cleaned(j) for j in indices]
        # Names say little about the language (Құшақбаевым in a Russian sentence): judge by
        # the lower-case words, unless the whole sentence is in capitals.
        lower = [
            w
            for j, w in zip(indices, words, strict=True)
            if not self.token(j).capitalised or w.lower() in language.FUNCTION_WORDS
        ]
        lang = language.guess(lower if lower else words)
        self._lang[(first, last)] = lang
        return lang

    def country_word(
        self, countries: set[str], places: Callable[[str], tuple[str, ...] | None]
    ) -> str | None:
        """The first word of the text that names one of these countries, if any."""
        if not countries:
            return None
        for i in range(len(self.tokens)):
            found = places(self.cleaned(i))
            if found and not countries.isdisjoint(found):
                return self.cleaned(i)
        return None

    def inside(self, first: int, last: int, phrases: Sequence[tuple[str, ...]]) -> bool:
        """Tokens first..last lie inside an occurrence of one of the (key) phrases."""
        n = len(self.tokens)
        for phrase in phrases:
            m = len(phrase)
            for s in range(max(0, last - m + 1), min(first, n - m) + 1):
                if all(self.key(s + t) == phrase[t] for t in range(m)) and all(
                    self.phrase_gap(s + t, s + t + 1) for t in range(m - 1)
                ):
                    return True
        return False
