"""Matching an article against a compiled watchlist, and the article-level policy.

Per token: its raw spelling -> (cached) hits from the stem index, so the cost of a word does
not depend on how many entities are watched. Only the few tokens with hits are looked at
again, with their neighbours (persons.py, phrases.py); then the article-level policy: one
mention per place, full_name persons from their first full name on, terms with every group.
"""

from __future__ import annotations

import re

from matching.article import Article, Hit, Occurrence, Token
from matching.index import Acronym, PhraseRef, SurnameRef, WordIndex
from matching.morphology import KK_SUFFIX_KEYS, patronymic_gender
from matching.normalise import TOKEN_RE, clean, hyphen_parts, is_capitalised, trim_span
from matching.persons import person_occurrence
from matching.phrases import acronym_occurrence, phrase_occurrence
from matching.spec import EntitySpec, Mention
from matching.translit import fold_kazakh, key

_CACHE_LIMIT = 200_000  # distinct spellings remembered before starting afresh
_GROUP = re.Match.group
_TIER_RANK = {"full_name": 0, "initial": 1, "name": 2, "acronym": 3, "surname": 4, "term": 5}


class Watchlist:
    """A compiled watchlist: `match(text)` finds every watched entity in an article."""

    def __init__(
        self,
        specs: tuple[EntitySpec, ...],
        index: WordIndex[SurnameRef | PhraseRef],
        acronyms: dict[str, tuple[Acronym, ...]],
        lexicon: WordIndex[str],
        given: WordIndex[int],
    ) -> None:
        self.specs = specs
        self.entity_ids: tuple[str, ...] = tuple(s.id for s in specs)
        self._index = index
        self._acronyms = acronyms
        self._lexicon = lexicon
        self._given = given
        self._facts: dict[str, Token] = {}
        self._full_name = frozenset(
            n for n, s in enumerate(specs) if s.kind == "person" and s.match == "full_name"
        )
        self._groups = {n: max(1, len(s.groups)) for n, s in enumerate(specs) if s.kind == "term"}
        self._cache: dict[str, tuple[Hit, ...]] = {}

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
        tokens = list(TOKEN_RE.finditer(text))
        cache = self._cache
        found_hits = list(map(cache.get, map(_GROUP, tokens)))
        if None in found_hits:  # words not seen before
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            for i, hits in enumerate(found_hits):
                if hits is None:
                    raw = tokens[i].group()
                    found_hits[i] = cache[raw] = self._lookup(raw)
        candidates = [(i, hits) for i, hits in enumerate(found_hits) if hits]
        if not candidates:
            return []
        art = Article(text, tokens, self._token)
        found: list[Occurrence] = []
        for i, hits in candidates:
            for hit in hits:
                ref = hit.ref
                occ: Occurrence | None
                if isinstance(ref, SurnameRef):
                    occ = person_occurrence(hit, ref, i, art)
                elif isinstance(ref, PhraseRef):
                    numbered = self._groups.get(ref.phrase.entity, 1) > 1
                    occ = phrase_occurrence(hit, ref.phrase, i, art, numbered)
                else:
                    occ = acronym_occurrence(hit, ref, i, art)
                if occ is not None:
                    found.append(occ)
        return self._policy(text, found)

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
