"""Matching an article against a compiled watchlist, and the article-level policy.

Per token: its raw spelling -> (cached) hits from the stem index, so the cost of a word does
not depend on how many entities are watched; a capitalised word no listed form spells is
looked up once more, among the unlisted spellings of surnames (variants.py). Only the few
tokens with hits are looked at again, with their neighbours (persons.py, organisations.py,
phrases.py); then the article-level policy: spelling variants and short organisation names
count only if the text names the entity otherwise, acronyms the text defines count from
their definition on, one mention per place, full_name persons from their first full name on,
terms with every group.
"""

from __future__ import annotations

import re

from matching.article import Article, Hit, Occurrence, Token
from matching.index import Acronym, OrgRef, PhraseRef, SplitAcronym, SurnameRef, WordIndex
from matching.inspection import Inspection
from matching.morphology import KK_SUFFIX_KEYS, patronymic_gender
from matching.nearmiss import LetterOff, inspection
from matching.normalise import TOKEN_RE, clean, hyphen_parts, is_capitalised, trim_span
from matching.organisations import DEFINITION, OrgEntity, org_occurrence, word_places
from matching.persons import person_occurrence
from matching.phrases import (
    acronym_occurrence,
    defined_acronym_occurrence,
    is_acronym_word,
    phrase_occurrence,
    split_acronym_occurrence,
)
from matching.spec import EntitySpec, Mention
from matching.translit import fold_kazakh, key

_CACHE_LIMIT = 200_000  # distinct spellings remembered before starting afresh
_GROUP = re.Match.group
_TIER_RANK = {"full_name": 0, "initial": 1, "name": 2, "acronym": 3, "surname": 4, "term": 5}
_PERSON_TIERS = frozenset({"full_name", "initial", "surname"})
_MIN_VARIANT = 5  # key letters a word needs to count as an unlisted spelling
_EMPTY = Inspection([])


class Watchlist:
    """A compiled watchlist: `match(text)` finds every watched entity in an article."""

    def __init__(
        self,
        specs: tuple[EntitySpec, ...],
        index: WordIndex[SurnameRef | PhraseRef | OrgRef],
        acronyms: dict[str, tuple[Acronym, ...]],
        lexicon: WordIndex[str],
        given: WordIndex[int],
        orgs: dict[int, OrgEntity] | None = None,
        variants: WordIndex[SurnameRef] | None = None,
        split_acronyms: dict[str, tuple[SplitAcronym, ...]] | None = None,
    ) -> None:
        self.specs = specs
        self.entity_ids: tuple[str, ...] = tuple(s.id for s in specs)
        self._index = index
        self._acronyms = acronyms
        self._lexicon = lexicon
        self._given = given
        self._orgs = orgs or {}
        self._variants: WordIndex[SurnameRef] = variants if variants is not None else WordIndex()
        self._has_variants = len(self._variants) > 0
        self._split_acronyms = split_acronyms or {}
        self._facts: dict[str, Token] = {}
        self._full_name = frozenset(
            n for n, s in enumerate(specs) if s.kind == "person" and s.match == "full_name"
        )
        self._groups = {n: max(1, len(s.groups)) for n, s in enumerate(specs) if s.kind == "term"}
        self._cache: dict[str, tuple[Hit, ...]] = {}
        self._near: LetterOff | None = None  # for inspect only, built on its first call

    def __len__(self) -> int:
        return len(self.specs)

    def forms(self) -> set[str]:
        """Every word key the stem index recognises (a benchmark's regex baseline uses them)."""
        return set(self._index.forms())

    def clear_cache(self) -> None:
        """Forget the per-token results (memory, or cold-cache measurements)."""
        self._cache.clear()
        self._facts.clear()

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
        # a listed form of any entity outranks an unlisted spelling of another
        if not hits and self._has_variants and cleaned[:1].isupper():  # clean(): no invisible first
            k = key(cleaned)
            if len(k) >= _MIN_VARIANT:
                hits = [Hit(ref, cleaned, ending, meanings, 0, len(raw))
                        for ref, ending, meanings in self._variants.lookup(k)]
        if not hits and self._split_acronyms and cleaned.isupper():
            heads = self._split_acronyms.get(fold_kazakh(cleaned), ())
            hits = [Hit(head, cleaned, "", (), 0, len(raw)) for head in heads]
        return tuple(hits)

    def _token(self, raw: str) -> Token:
        """What a word is, whoever asks: its key, capitals, patronymic, given name of whom."""
        facts = self._facts.get(raw)
        if facts is None:
            if len(self._facts) >= _CACHE_LIMIT:
                self._facts.clear()
            c = clean(raw)
            k = key(c)
            owners = frozenset(p for p, _, _ in self._given.lookup(k))
            facts = self._facts[raw] = Token(
                cleaned=c,
                key=k,
                capitalised=is_capitalised(c),
                patronymic=patronymic_gender(k),
                owners=owners,
                given_name=bool(owners) or bool(self._lexicon.lookup(k)),
            )
        return facts

    # --- the article --------------------------------------------------------------------------

    def match(self, text: str) -> list[Mention]:
        """Mentions of watched entities in text, sorted by start, article policy applied."""
        return self._run(text, collect=False).mentions

    def inspect(self, text: str) -> Inspection:
        """The mentions, and what nearly matched: near misses and forms the config lacks."""
        return self._run(text, collect=True)

    def _hits(self, tokens: list[re.Match[str]]) -> list[tuple[Hit, ...]]:
        cache = self._cache
        found_hits = list(map(cache.get, map(_GROUP, tokens)))
        if None in found_hits:  # words not seen before
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            for i, hits in enumerate(found_hits):
                if hits is None:
                    raw = tokens[i].group()
                    found_hits[i] = cache[raw] = self._lookup(raw)
        return found_hits  # type: ignore[return-value]

    def _run(self, text: str, collect: bool) -> Inspection:
        tokens = list(TOKEN_RE.finditer(text))
        found_hits = self._hits(tokens)
        candidates = [(i, hits) for i, hits in enumerate(found_hits) if hits]
        if not candidates and not collect:
            return _EMPTY
        art = Article(text, tokens, self._token)
        art.hit_tokens = frozenset(i for i, _ in candidates)
        found: list[Occurrence] = []
        rejected: list[Occurrence] = []
        for i, hits in candidates:
            for hit in hits:
                ref = hit.ref
                occ: Occurrence | None
                if isinstance(ref, SurnameRef):
                    occ = person_occurrence(hit, ref, i, art)
                elif isinstance(ref, OrgRef):
                    occ = org_occurrence(hit, ref.name, i, art)
                elif isinstance(ref, PhraseRef):
                    numbered = self._groups.get(ref.phrase.entity, 1) > 1
                    occ = phrase_occurrence(hit, ref.phrase, i, art, numbered)
                elif isinstance(ref, SplitAcronym):
                    occ = split_acronym_occurrence(ref, i, art)
                else:
                    occ = acronym_occurrence(hit, ref, i, art)
                if occ is None:
                    continue
                (rejected if occ.reject else found).append(occ)
        if any(o.pending for o in found):
            found = self._resolve(art, found, rejected)
        found += self._defined_acronyms(art, found)
        mentions = self._policy(text, found)
        if not collect:
            return Inspection(mentions)
        if self._near is None:
            self._near = LetterOff((self._index,), self._acronyms)
        return inspection(art, self.entity_ids, found_hits, found, rejected, mentions, self._near)

    def _resolve(self, art: Article, found: list[Occurrence], rejected: list[Occurrence]) -> list[Occurrence]:
        """Pending occurrences count if the text names the entity another way; else near misses."""
        listed = {o.entity for o in found if not o.pending and not o.variant and o.tier in _PERSON_TIERS}
        # a spelling confirmed by the given name once in this text holds for the whole text
        confirmed = {(o.entity, o.form_key) for o in found if o.variant and not o.pending}
        named = {o.entity for o in found if not o.pending}
        kept: list[Occurrence] = []
        for o in found:
            if o.pending == "variant":
                if o.entity in listed:
                    o.explanation += "; the text names them in a listed form too"
                elif (o.entity, o.form_key) in confirmed:
                    o.explanation += "; the text gives this spelling with the given name too"
                else:
                    o.reject = "no given name nearby"
            elif o.pending == "short":
                org = self._orgs.get(o.entity)
                country = art.country_word(org.countries, word_places) if org else None
                if o.entity in named:
                    o.explanation += "; the full name is in the text too"
                elif country is not None:
                    o.explanation += f"; the text names the country ({country})"
                else:
                    o.reject = "the country is not named in the text"
            if o.reject:
                rejected.append(o)
            else:
                o.pending = ""
                kept.append(o)
        return kept

    def _defined_acronyms(self, art: Article, found: list[Occurrence]) -> list[Occurrence]:
        """Acronyms the text introduces in brackets after a name ("… Kazakhstan (CILU)")."""
        out: list[Occurrence] = []
        defined: set[tuple[int, str]] = set()
        for o in found:
            if o.tier != "name" or o.entity not in self._orgs:
                continue
            m = DEFINITION.match(art.text, o.end)
            if m is None or not is_acronym_word(m.group(1)):
                continue
            acronym = m.group(1)
            folded = fold_kazakh(acronym)
            if folded in self._orgs[o.entity].acronyms or (o.entity, folded) in defined:
                continue
            defined.add((o.entity, folded))
            name = art.text[o.start : o.end]
            for j, tok in enumerate(art.tokens):
                if tok.start() >= m.start(1):
                    occ = defined_acronym_occurrence(j, art, o.entity, acronym, name)
                    if occ is not None:
                        out.append(occ)
        return out

    def _policy(self, text: str, found: list[Occurrence]) -> list[Mention]:
        # one mention per (entity, span), the best tier
        best: dict[tuple[int, int, int], Occurrence] = {}
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
            if occ.entity in self._groups and len(groups.get(occ.entity, ())) < self._groups[occ.entity]:
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
