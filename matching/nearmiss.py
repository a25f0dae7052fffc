"""What nearly matched (Watchlist.inspect): near misses with their reason, and new forms.

Besides the occurrences the rules turned down (a variant without a given name, another
country's body, an acronym in an address), every capitalised word the index does not know is
compared, letter by letter, with the watched surnames and acronyms: one letter dropped, added,
changed or two swapped. The comparison goes through an index of every stem with one letter
deleted, built on the first call, so it costs a few look-ups per word.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matching.article import Article, Hit, Occurrence
from matching.index import Acronym, OrgRef, PhraseRef, SurnameRef, WordIndex
from matching.inspection import Inspection, NearMiss, NewForm
from matching.morphology import Endings
from matching.persons import ANOTHER_PERSON, listed_display, own_given_next_to, written_nominative
from matching.phrases import is_acronym_word
from matching.spec import Mention
from matching.translit import fold_kazakh, key
from matching.variants import deletions, distance_at_most_one

_PERSON_TIERS = frozenset({"full_name", "initial", "surname"})
_MIN_NEAR = 5  # key letters of a word compared letter by letter with the watched surnames
_MIN_STEM = 4  # ... and of a stem it is compared with
_MAX_ENDING = 8  # key letters of the longest surname ending (Kazakh: -тардың ...)
_CACHE_LIMIT = 100_000  # words whose closest watched name is remembered


class LetterOff:
    """Watched surnames and acronyms by every spelling one letter shorter."""

    def __init__(
        self,
        indexes: Sequence[WordIndex[SurnameRef | PhraseRef | OrgRef] | WordIndex[SurnameRef]],
        acronyms: Mapping[str, Sequence[Acronym]],
    ) -> None:
        self._stems: dict[str, list[tuple[str, Endings, SurnameRef]]] = {}
        for index in indexes:
            for _, endings, ref in index.items():
                if isinstance(ref, SurnameRef) and len(ref.stem) >= _MIN_STEM:
                    for d in set(deletions(ref.stem)):
                        self._stems.setdefault(d, []).append((ref.stem, endings, ref))
        self._acronyms: dict[str, list[tuple[str, Acronym]]] = {}
        for folded, entries in acronyms.items():
            if len(folded) >= _MIN_STEM:
                for d in set(deletions(folded)):
                    self._acronyms.setdefault(d, []).extend((folded, a) for a in entries)
        self._cache: dict[str, SurnameRef | Acronym | None] = {}

    def near(self, art: Article, i: int) -> Occurrence | None:
        """Token i as a word one letter away from a watched surname or acronym, or None."""
        tok = art.token(i)
        c = tok.cleaned
        if not tok.capitalised or not c.replace("-", "").isalpha() or tok.given_name:
            return None
        if c in self._cache:
            found = self._cache[c]
        else:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            found = self._cache[c] = self._closest(c, tok.key)
        if found is None:
            return None
        start, end = art.tokens[i].start(), art.tokens[i].end()
        if isinstance(found, Acronym):
            return Occurrence(found.entity, start, end, "near", "", reject="one letter off",
                              resembles=found.display)
        given = own_given_next_to(found.person, i, art)
        reason = "one letter off" if given else "one letter off, no given name nearby"
        return Occurrence(found.person.index, start, end, "full_name" if given else "surname", "",
                          reject=reason, variant=True, resembles=listed_display(found, c),
                          form_key=found.nominative)

    def _closest(self, c: str, k: str) -> SurnameRef | Acronym | None:
        """The watched surname or acronym a word is one letter away from (by its spelling only)."""
        if is_acronym_word(c):
            folded = fold_kazakh(c)
            for d in set(deletions(folded)):
                for target, acronym in self._acronyms.get(d, ()):
                    if target != folded and distance_at_most_one(folded, target):
                        return acronym
            return None
        if len(k) < _MIN_NEAR:
            return None
        for cut in range(0, min(_MAX_ENDING, len(k) - _MIN_STEM) + 1):
            stem, ending = k[: len(k) - cut], k[len(k) - cut :]
            for d in set(deletions(stem)):
                for target, endings, ref in self._stems.get(d, ()):
                    if target != stem and ending in endings and distance_at_most_one(stem, target):
                        return ref
        return None


def inspection(
    art: Article,
    entity_ids: Sequence[str],
    found_hits: Sequence[tuple[Hit, ...]],
    found: Sequence[Occurrence],
    rejected: Sequence[Occurrence],
    mentions: list[Mention],
    letter_off: LetterOff,
) -> Inspection:
    """The mentions of a text with its near misses and the forms the config does not list."""
    near: list[NearMiss] = []
    forms: list[NewForm] = []
    covered = [(m.start, m.end) for m in mentions]
    counted = {(m.entity_id, m.start) for m in mentions}
    shown: set[tuple[int, int]] = set()

    def add_near(o: Occurrence, aliasable: bool) -> None:
        if (o.start, o.end) in shown or any(a <= o.start and o.end <= b for a, b in covered):
            return
        shown.add((o.start, o.end))
        surface = art.text[o.start : o.end]
        near.append(NearMiss(entity_ids[o.entity], surface, o.start, o.end, o.resembles, o.reject, aliasable))

    def new_form(o: Occurrence, kind: str, evidence: str) -> NewForm:
        surface = art.text[o.start : o.end]
        form = written_nominative(_surname_word(surface, o.form_key), o.form_key, kind == "near")
        return NewForm(entity_ids[o.entity], form, surface, o.start, o.end, kind,
                       (entity_ids[o.entity], o.start) in counted, evidence)

    listed = {o.entity for o in found if not o.variant and o.tier in _PERSON_TIERS}
    for o in rejected:
        add_near(o, aliasable=o.variant and o.reject != ANOTHER_PERSON)
        if o.variant:
            forms.append(new_form(o, "variant", ""))
    for o in found:
        if o.variant:
            evidence = "given name" if o.tier in ("full_name", "initial") else "listed form"
            if evidence == "listed form" and o.entity not in listed:
                evidence = "given name elsewhere in the text"
            forms.append(new_form(o, "variant", evidence))
        elif o.tier == "acronym" and o.resembles:
            forms.append(NewForm(entity_ids[o.entity], o.resembles, art.text[o.start : o.end],
                                 o.start, o.end, "acronym", True, "definition"))
    for i, hits in enumerate(found_hits):
        if hits:
            continue
        off = letter_off.near(art, i)
        if off is None:
            continue
        add_near(off, aliasable=True)
        if off.variant:
            evidence = "given name" if off.tier == "full_name" else ""
            evidence = evidence or ("listed form" if off.entity in listed else "")
            forms.append(new_form(off, "near", evidence))
    near.sort(key=lambda n: n.start)
    forms.sort(key=lambda f: f.start)
    return Inspection(mentions, near, forms)


def _surname_word(surface: str, nominative_key: str) -> str:
    """The word of "Given Surname" or "Surname Given" (or "Т. Surname") that spells the surname."""
    words = surface.split()
    return max(words, key=lambda w: _common_prefix(key(w), nominative_key))


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n
