"""Matching an article against a compiled watchlist, and the article-level policy.

Per token: its raw spelling -> (cached) hits from the stem index, so the cost of a word does
not depend on how many entities are watched. Only the few tokens with hits are looked at
again, with their neighbours: given name or initial next to the surname, another person's
given name, patronymic gender, prepositions that make a surname form a place, exclusions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from matching import language
from matching.index import Acronym, Person, Phrase, PhraseRef, SurnameRef, WordIndex
from matching.morphology import (
    KK_CASE_NAMES,
    KK_SUFFIX_KEYS,
    Ending,
    looks_like_surname,
    patronymic_gender,
)
from matching.normalise import TOKEN_RE, clean, hyphen_parts, is_capitalised, trim_span
from matching.sentences import sentence_span
from matching.spec import EntitySpec, Mention
from matching.translit import fold_kazakh, has_kazakh_letter, key

_CACHE_LIMIT = 200_000
_DIGRAPH_INITIALS = frozenset({"Zh", "Sh", "Ch", "Kh", "Ye", "Yu", "Ya", "Ts"})
_PHRASE_GAP = re.compile(r"[\s\"«»“”„']*")
_INITIAL_GAP = re.compile(r"\.\s*")

# A preposition that a woman's surname cannot follow in this form: after из/от/у... she is
# Харьковой, so "из Харькова" is a place or a man; after к/по she is Харьковой too.
_GENITIVE = "из от до около возле близ у без для после вокруг против среди мимо вдоль с со"
_GENITIVE_PREPOSITIONS = frozenset(key(w) for w in _GENITIVE.split())
_GUARDS: dict[tuple[str, str], frozenset[str]] = {
    ("F_OVA", "a"): _GENITIVE_PREPOSITIONS,
    ("F_OVA", "u"): frozenset({"k", "ko", "po"}),
    ("M_OV", "e"): frozenset({"v", "vo", "na"}),  # в Елеусинове is a village
    ("M_IN", "e"): frozenset({"v", "vo", "na"}),
}


@dataclass(frozen=True, slots=True)
class Hit:
    ref: SurnameRef | PhraseRef | Acronym
    cleaned: str  # the matched (part of the) token, cleaned
    ending: str
    meanings: tuple[Ending, ...]
    lo: int  # offsets of the matched part within the raw token
    hi: int


@dataclass(slots=True)
class _Occurrence:
    entity: int
    start: int
    end: int
    tier: str
    explanation: str
    group: int = 0


_OWN = frozenset({"own_given", "own_initial"})
_OTHER = frozenset({"other_given", "other_initial"})
_TIER_RANK = {"full_name": 0, "initial": 1, "name": 2, "acronym": 3, "surname": 4, "term": 5}


class _Article:
    """The tokens of one text, with per-token details computed on demand."""

    def __init__(self, text: str, tokens: list[re.Match[str]]) -> None:
        self.text = text
        self.tokens = tokens
        self._lang: dict[tuple[int, int], str | None] = {}

    def cleaned(self, i: int) -> str:
        return clean(self.tokens[i].group())

    def key(self, i: int) -> str:
        return key(self.cleaned(i))

    def joined(self, i: int, j: int) -> bool:
        """Tokens i < j = i + 1 separated by white space only."""
        if i < 0 or j >= len(self.tokens):
            return False
        gap = self.text[self.tokens[i].end() : self.tokens[j].start()]
        return gap.isspace() or not gap

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
        return _INITIAL_GAP.fullmatch(gap) is not None

    def phrase_gap(self, i: int, j: int) -> bool:
        gap = self.text[self.tokens[i].end() : self.tokens[j].start()]
        return _PHRASE_GAP.fullmatch(gap) is not None

    def span(self, i: int) -> tuple[int, int]:
        return self.tokens[i].start(), self.tokens[i].end()

    def language(self, i: int) -> str | None:
        s, e = sentence_span(self.text, *self.span(i))
        cached = self._lang.get((s, e), "?")
        if cached != "?":
            return cached
        words = [
            self.cleaned(j)
            for j, t in enumerate(self.tokens)
            if j != i and s <= t.start() and t.end() <= e
        ]
        # Names say little about the language (Құшақбаевым in a Russian sentence): judge by
        # the lower-case words, unless the whole sentence is in capitals.
        lower = [w for w in words if not is_capitalised(w)]
        lang = language.guess(lower if lower else words)
        self._lang[(s, e)] = lang
        return lang

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


def _describe(meanings: Sequence[Ending]) -> str:
    seen: list[str] = []
    for m in meanings:
        text = f"{m.case} ({m.lang})" if m.lang else m.case
        if text not in seen:
            seen.append(text)
    return " / ".join(seen)


class Watchlist:
    """A compiled watchlist: `match(text)` finds every watched entity in an article."""

    def __init__(
        self,
        specs: tuple[EntitySpec, ...],
        index: WordIndex[SurnameRef | PhraseRef],
        acronyms: dict[str, tuple[Acronym, ...]],
        lexicon: WordIndex[str],
        extra_given: WordIndex[str],
    ) -> None:
        self.specs = specs
        self.entity_ids: tuple[str, ...] = tuple(s.id for s in specs)
        self._index = index
        self._acronyms = acronyms
        self._lexicon = lexicon
        self._extra_given = extra_given
        self._full_name = frozenset(
            n for n, s in enumerate(specs) if s.kind == "person" and s.match == "full_name"
        )
        self._groups = {n: max(1, len(s.groups)) for n, s in enumerate(specs) if s.kind == "term"}
        self._cache: dict[str, tuple[Hit, ...]] = {}

    def __len__(self) -> int:
        return len(self.specs)

    # --- per token ------------------------------------------------------------------------

    def _word_hits(self, cleaned: str, lo: int, hi: int) -> list[Hit]:
        return [
            Hit(ref, cleaned, ending, meanings, lo, hi)
            for ref, ending, meanings in self._index.lookup(key(cleaned))
        ]

    def _acronym_hits(self, cleaned: str, lo: int, hi: int, suffix: str) -> list[Hit]:
        entries = self._acronyms.get(fold_kazakh(cleaned))
        if not entries:
            return []
        return [Hit(a, cleaned, suffix, (), lo, hi) for a in entries]

    def _lookup(self, raw: str) -> tuple[Hit, ...]:
        cleaned = clean(raw)
        hits = self._word_hits(cleaned, 0, len(raw))
        if self._acronyms:
            base = cleaned[:-2] if cleaned.endswith("'s") else cleaned
            hits += self._acronym_hits(base, 0, len(raw), "")
        if "-" in cleaned and not hits:
            parts = hyphen_parts(raw)
            lo, hi = parts[0]
            suffix = clean(raw[parts[1][0] :])
            if suffix.islower() and key(suffix) in KK_SUFFIX_KEYS:
                hits += self._acronym_hits(clean(raw[lo:hi]), 0, len(raw), suffix)
            if not hits:
                for lo, hi in parts:
                    hits += self._word_hits(clean(raw[lo:hi]), lo, hi)
        return tuple(hits)

    # --- persons --------------------------------------------------------------------------

    def _neighbour(self, person: Person, j: int, art: _Article) -> tuple[str, str]:
        """What token j is to this person: own/other given name or initial, patronymic, word."""
        c = art.cleaned(j)
        if art.is_initial(j):
            own = key(c)[:1] in person.initials
            return ("own_initial" if own else "other_initial"), c + "."
        if not is_capitalised(c):
            return "word", c
        k = key(c)
        if person.given.lookup(k):
            return "own_given", c
        gender = patronymic_gender(k)
        if gender:
            return "patronymic_" + gender, c
        if self._lexicon.lookup(k) or self._extra_given.lookup(k):
            return "other_given", c
        return "word", c

    def _context(self, person: Person, i: int, art: _Article) -> tuple[str, int, int, str] | None:
        """(tier, first token, last token, given-name part) or None: another person's name."""
        own: tuple[str, int, int, str] | None = None
        conflict = False

        def claim(kind: str, first: int, last: int, text: str) -> None:
            nonlocal own
            if own is None:
                tier = "initial" if kind == "own_initial" else "full_name"
                own = (tier, first, last, text)

        def gender_clash(kind: str) -> bool:
            return kind.startswith("patronymic_") and person.gender not in (None, kind[-1])

        # left: [given|initial] [patronymic|initial|any word]? SURNAME
        if art.joined(i - 1, i) or art.initial_gap(i - 1, i):
            kind1, text1 = self._neighbour(person, i - 1, art)
            if kind1 in _OWN:
                claim(kind1, i - 1, i, text1)
            elif gender_clash(kind1):
                return None
            else:
                kind2, text2 = "", ""
                if art.joined(i - 2, i - 1) or art.initial_gap(i - 2, i - 1):
                    kind2, text2 = self._neighbour(person, i - 2, art)
                if kind2 in _OWN:
                    claim(kind2, i - 2, i, f"{text2} {text1}")
                elif kind1 in _OTHER or (kind1.startswith("patronymic_") and kind2 in _OTHER):
                    conflict = True
        # right: SURNAME [given|initial] or SURNAME [patronymic|any word] [given]
        if art.joined(i, i + 1):
            kind1, text1 = self._neighbour(person, i + 1, art)
            if kind1 in _OWN:
                claim(kind1, i, i + 1, text1)
            elif gender_clash(kind1):
                return None
            elif kind1 in _OTHER:
                conflict = True
            elif art.joined(i + 1, i + 2):
                kind2, text2 = self._neighbour(person, i + 2, art)
                if kind2 == "own_given":
                    claim(kind2, i, i + 2, text2)
                elif gender_clash(kind2):
                    return None
        if own is not None:
            return own
        if conflict:
            return None
        return ("surname", i, i, "")

    @staticmethod
    def _reading_fits(meaning: Ending, hit: Hit, i: int, art: _Article) -> bool:
        if meaning.needs == "not_ru":
            return has_kazakh_letter(hit.cleaned) or art.language(i) not in ("ru", "en")
        return art.language(i) in ("ru", None)

    def _given_before_surname(self, i: int, art: _Article) -> bool:
        """Token i is a known given name and a surname-shaped word follows (Амина Сейтова)."""
        if not art.joined(i, i + 1):
            return False
        following = art.cleaned(i + 1)
        if not is_capitalised(following) or not looks_like_surname(key(following)):
            return False
        k = art.key(i)
        return bool(self._lexicon.lookup(k) or self._extra_given.lookup(k))

    def _explain_form(self, hit: Hit, ref: SurnameRef) -> str:
        surface = hit.cleaned
        meanings: list[Ending] = []
        for m in hit.meanings:
            new = all((m.case, m.lang) != (o.case, o.lang) for o in meanings)
            if m.case != "nominative" and new:
                meanings.append(m)
        if not meanings:
            return f"{surface}: surname, nominative"
        described = _describe(meanings)
        if all(m.lang in ("kk", "en") for m in meanings):
            # the nominative written out in front: Харьковаға = Харькова + -ға
            for cut in range(len(surface) - 1, 0, -1):
                head = surface[:cut]
                doubled = cut >= 2 and head[-1].lower() == head[-2].lower()
                if doubled or key(head) != ref.nominative:
                    continue
                tail = surface[cut:]
                if head.endswith("'"):
                    head, tail = head[:-1], "'" + tail
                if len(meanings) == 1:
                    m = meanings[0]
                    return f"{surface} = {head} + {m.case} -{tail} ({m.lang})"
                return f"{surface} = {head} + -{tail}: {described}"
        display = ref.person.surname_display
        nominative = display.get(surface.isascii()) or next(iter(display.values()), "")
        return f"{surface} = {nominative}, {described}"

    def _person(self, hit: Hit, ref: SurnameRef, i: int, art: _Article) -> _Occurrence | None:
        person = ref.person
        if not is_capitalised(hit.cleaned):
            return None
        if all(m.needs for m in hit.meanings) and not any(
            self._reading_fits(m, hit, i, art) for m in hit.meanings
        ):
            return None
        guard = _GUARDS.get((ref.cls, hit.ending))
        if guard and i > 0 and art.joined(i - 1, i) and art.key(i - 1) in guard:
            return None
        if person.exclude and art.inside(i, i, person.exclude):
            return None
        context = self._context(person, i, art)
        if context is None:
            return None
        tier, first, last, given = context
        if tier == "surname" and self._given_before_surname(i, art):
            return None
        form = self._explain_form(hit, ref)
        if tier == "surname":
            start = art.tokens[i].start() + hit.lo
            end = art.tokens[i].start() + hit.hi
            explanation = form
        else:
            start, end = art.tokens[first].start(), art.tokens[last].end()
            if first == i:
                start += hit.lo
            label = "initial" if tier == "initial" else "given name"
            explanation = f"{label} {given} + {form}"
        return _Occurrence(person.index, start, end, tier, explanation)

    # --- organisations and terms ------------------------------------------------------------

    def _phrase(self, hit: Hit, phrase: Phrase, i: int, art: _Article) -> _Occurrence | None:
        if phrase.capitalised and not is_capitalised(hit.cleaned):
            return None
        j = i
        for pattern in phrase.words[1:]:
            j += 1
            if j >= len(art.tokens) or not art.phrase_gap(j - 1, j):
                return None
            k = art.key(j)
            if not any(k.startswith(s) and k[len(s) :] in endings for s, endings in pattern):
                return None
        if phrase.exclude and art.inside(i, j, phrase.exclude):
            return None
        start = art.tokens[i].start() + (hit.lo if j == i else 0)
        end = art.tokens[j].start() + hit.hi if j == i else art.tokens[j].end()
        if phrase.tier == "term":
            explanation = f"{art.text[start:end]}: keyword '{phrase.display}'"
            if self._groups.get(phrase.entity, 1) > 1:
                explanation += f" (group {phrase.group + 1})"
        else:
            explanation = f"{art.text[start:end]}: name '{phrase.display}'"
        return _Occurrence(phrase.entity, start, end, phrase.tier, explanation, phrase.group)

    def _acronym(self, hit: Hit, acronym: Acronym, i: int, art: _Article) -> _Occurrence | None:
        if acronym.exclude and art.inside(i, i, acronym.exclude):
            return None
        start, end = art.span(i)
        explanation = f"{hit.cleaned}: acronym {acronym.display}"
        if hit.ending:
            case = KK_CASE_NAMES.get(key(hit.ending), "case")
            explanation = (
                f"{hit.cleaned}-{hit.ending} = {acronym.display} + {case} -{hit.ending} (kk)"
            )
        return _Occurrence(acronym.entity, start, end, acronym.tier, explanation, acronym.group)

    # --- the article --------------------------------------------------------------------------

    def match(self, text: str) -> list[Mention]:
        """Mentions of watched entities in text, sorted by start, article policy applied."""
        cache = self._cache
        tokens: list[re.Match[str]] = []
        candidates: list[tuple[int, tuple[Hit, ...]]] = []
        for m in TOKEN_RE.finditer(text):
            raw = m.group()
            hits = cache.get(raw)
            if hits is None:
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                hits = cache[raw] = self._lookup(raw)
            if hits:
                candidates.append((len(tokens), hits))
            tokens.append(m)
        if not candidates:
            return []
        art = _Article(text, tokens)
        found: list[_Occurrence] = []
        for i, hits in candidates:
            for hit in hits:
                ref = hit.ref
                occ: _Occurrence | None
                if isinstance(ref, SurnameRef):
                    occ = self._person(hit, ref, i, art)
                elif isinstance(ref, PhraseRef):
                    occ = self._phrase(hit, ref.phrase, i, art)
                else:
                    occ = self._acronym(hit, ref, i, art)
                if occ is not None:
                    found.append(occ)
        return self._policy(text, found)

    def _policy(self, text: str, found: list[_Occurrence]) -> list[Mention]:
        # one mention per (entity, span), the best tier
        best: dict[tuple[int, int, int], _Occurrence] = {}
        for occ in found:
            k = (occ.entity, occ.start, occ.end)
            if k not in best or _TIER_RANK[occ.tier] < _TIER_RANK[best[k].tier]:
                best[k] = occ
        kept = sorted(best.values(), key=lambda o: (o.start, o.end))
        # full_name persons: from the first full name on; terms: every group somewhere
        first_full: dict[int, int] = {}
        groups: dict[int, set[int]] = {}
        for occ in kept:
            if occ.entity in self._full_name and occ.tier in ("full_name", "initial"):
                first_full.setdefault(occ.entity, occ.start)
            if occ.tier == "term":
                groups.setdefault(occ.entity, set()).add(occ.group)
        out: list[Mention] = []
        for occ in kept:
            if occ.entity in self._full_name:
                since = first_full.get(occ.entity)
                if since is None or occ.start < since:
                    continue
            if (
                occ.entity in self._groups
                and len(groups.get(occ.entity, ())) < self._groups[occ.entity]
            ):
                continue
            start, end = trim_span(text, occ.start, occ.end)
            out.append(
                Mention(
                    self.entity_ids[occ.entity],
                    text[start:end],
                    start,
                    end,
                    occ.tier,
                    occ.explanation,
                )
            )
        return out

    def match_entities(self, text: str) -> list[str]:
        """Sorted unique ids of the entities matched in text."""
        return sorted({m.entity_id for m in self.match(text)})
