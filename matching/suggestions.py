"""Unlisted forms of watched entities that many texts use: what `unionwatch suggest` proposes.

Fed one text at a time (an archive is large), a Miner keeps, per entity and form, how often
the form occurs and two example sentences. A form counts as evidence only where the text
vouches for it: a spelling variant next to the person's given name, or in a text that names
the person in a listed form or names another entity of the same watchlist; an acronym the
text introduces in brackets after the entity's full name.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field

from matching.engine import Watchlist
from matching.inspection import NewForm
from matching.sentences import sentence_span
from matching.translit import key

EXAMPLES = 2


@dataclass
class Candidate:
    """A form to add to an entity's aliases, with the evidence for it."""

    entity_id: str
    form: str
    kind: str  # "variant", "near" or "acronym" (matching.inspection.NewForm.kind)
    count: int = 0  # occurrences
    texts: int = 0  # texts it occurs in
    counted: int = 0  # occurrences the matcher counts already (with the given name, say)
    evidence: dict[str, int] = field(default_factory=dict)  # "given name": 3, "watchlist": 1
    examples: list[str] = field(default_factory=list)


class Miner:
    """Collects candidate aliases over many texts."""

    def __init__(self, watchlist: Watchlist, companions: Mapping[str, Set[str]]) -> None:
        """companions: per entity id, the other entities of the watchlists it is on."""
        self._wl = watchlist
        self._companions = companions
        self._found: dict[tuple[str, str], Candidate] = {}

    def add(self, text: str) -> None:
        inspection = self._wl.inspect(text)
        named = {m.entity_id for m in inspection.mentions}
        seen_here: set[tuple[str, str]] = set()
        for form in inspection.new_forms:
            evidence = self._evidence(form, named)
            if not evidence:
                continue
            k = (form.entity_id, _form_key(form))
            cand = self._found.get(k)
            if cand is None:
                cand = self._found[k] = Candidate(form.entity_id, form.form, form.kind)
            cand.count += 1
            cand.counted += form.counted
            cand.evidence[evidence] = cand.evidence.get(evidence, 0) + 1
            if k not in seen_here:
                seen_here.add(k)
                cand.texts += 1
                if len(cand.examples) < EXAMPLES:
                    a, b = sentence_span(text, form.start, form.end)
                    example = " ".join(text[a:b].split())
                    if example not in cand.examples:
                        cand.examples.append(example)

    def _evidence(self, form: NewForm, named: set[str]) -> str:
        if form.evidence:
            return form.evidence
        if named & self._companions.get(form.entity_id, set()):
            return "another name of its watchlist"
        return ""

    def candidates(self, min_count: int = 1) -> list[Candidate]:
        """Candidates seen at least min_count times, by entity, most frequent first."""
        order = {e: n for n, e in enumerate(self._wl.entity_ids)}
        found = [c for c in self._found.values() if c.count >= min_count]
        return sorted(found, key=lambda c: (order.get(c.entity_id, 0), -c.count, c.form))


def _form_key(form: NewForm) -> str:
    """Forms that differ only in spelling the key folds are one candidate (Жексенбек, Zheksenbek)."""
    return form.form if form.kind == "acronym" else key(form.form)
