"""Organisation names, topic keywords and acronyms found at a token: the rest of the phrase must
follow, stem-aware, and nothing in an exclude phrase counts."""

from __future__ import annotations

from matching.article import Article, Hit, Occurrence
from matching.index import Acronym, Phrase
from matching.morphology import KK_CASE_NAMES
from matching.normalise import is_capitalised
from matching.translit import key


def phrase_occurrence(hit: Hit, phrase: Phrase, i: int, art: Article, numbered: bool) -> Occurrence | None:
    """The phrase starting at token i, if all its words follow; numbered: name the group."""
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
    surface = art.text[start:end]
    if phrase.tier == "term":
        explanation = f"{surface}: keyword '{phrase.display}'"
        if numbered:
            explanation += f" (group {phrase.group + 1})"
    else:
        explanation = f"{surface}: name '{phrase.display}'"
    return Occurrence(phrase.entity, start, end, phrase.tier, explanation, phrase.group)


def acronym_occurrence(hit: Hit, acronym: Acronym, i: int, art: Article) -> Occurrence | None:
    """An acronym as written, perhaps with a Kazakh suffix after a hyphen (ҚТКК-ның)."""
    if acronym.exclude and art.inside(i, i, acronym.exclude):
        return None
    start, end = art.tokens[i].start(), art.tokens[i].end()
    explanation = f"{hit.cleaned}: acronym {acronym.display}"
    if hit.ending:
        case = KK_CASE_NAMES.get(key(hit.ending), "case")
        explanation = f"{hit.cleaned}-{hit.ending} = {acronym.display} + {case} -{hit.ending} (kk)"
    return Occurrence(acronym.entity, start, end, acronym.tier, explanation, acronym.group)
