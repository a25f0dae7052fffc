"""Organisation names, topic keywords and acronyms found at a token: the rest of the phrase must
follow, stem-aware, and nothing in an exclude phrase counts."""

from __future__ import annotations

import re

from matching.article import Article, Hit, Occurrence
from matching.index import Acronym, Phrase, SplitAcronym
from matching.morphology import KK_CASE_NAMES, KK_SUFFIX_KEYS
from matching.normalise import clean, hyphen_parts, is_capitalised
from matching.translit import fold_kazakh, key

_ADDRESS_CHUNK = re.compile(r"\S+")
_DOMAIN_AFTER = re.compile(r"[./@][^\W_]")


def is_acronym_word(word: str) -> bool:
    """Two capitals or more, no lower-case letter first: ҚТКК, KNPRK, KazTAG."""
    return sum(c.isupper() for c in word) >= 2 and word[:1].isupper()


def in_address(text: str, start: int, end: int) -> bool:
    """text[start:end] is part of an e-mail address or a URL (info@KNPRK.kz, www.cituk.org/KNPRK)."""
    lo = start
    while lo > 0 and not text[lo - 1].isspace():
        lo -= 1
    hi = end
    while hi < len(text) and not text[hi].isspace():
        hi += 1
    chunk = text[lo:hi]
    if "@" in chunk or "://" in chunk or chunk.lower().startswith("www."):
        return True
    if _DOMAIN_AFTER.match(text, end):
        return True
    return text[start - 1 : start] in ("/", ".") and start >= 2 and text[start - 2].isalnum()


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
    if in_address(art.text, start, end):
        return Occurrence(acronym.entity, start, end, acronym.tier, "", acronym.group,
                          reject="inside an e-mail address or URL", resembles=acronym.display)
    explanation = f"{hit.cleaned}: acronym {acronym.display}"
    if hit.ending:
        case = KK_CASE_NAMES.get(key(hit.ending), "case")
        explanation = f"{hit.cleaned}-{hit.ending} = {acronym.display} + {case} -{hit.ending} (kk)"
    return Occurrence(acronym.entity, start, end, acronym.tier, explanation, acronym.group)


def defined_acronym_occurrence(
    j: int, art: Article, entity: int, acronym: str, name: str
) -> Occurrence | None:
    """Token j as the acronym the text defined after the name (CILU, CILU's, ҚТКК-ның)."""
    raw = art.tokens[j].group()
    cleaned = clean(raw)
    base = cleaned[:-2] if cleaned.endswith("'s") else cleaned
    if "-" in cleaned:
        parts = hyphen_parts(raw)
        tail = clean(raw[parts[1][0] :])
        if tail.islower() and key(tail) in KK_SUFFIX_KEYS:
            base = clean(raw[parts[0][0] : parts[0][1]])
    if fold_kazakh(base) != fold_kazakh(acronym):
        return None
    start, end = art.tokens[j].start(), art.tokens[j].end()
    if in_address(art.text, start, end):
        return None
    explanation = f"{cleaned}: acronym {acronym}, which the text defines after '{name}'"
    return Occurrence(entity, start, end, "acronym", explanation, resembles=acronym)


def split_acronym_occurrence(split: SplitAcronym, i: int, art: Article) -> Occurrence | None:
    """КНП РК for КНПРК: the rest of the acronym is the next word (with a Kazakh suffix, too)."""
    j = i + 1
    if j >= len(art.tokens) or not art.joined(i, j):
        return None
    raw = art.tokens[j].group()
    cleaned = clean(raw)
    rest, suffix = cleaned, ""
    if "-" in cleaned:
        parts = hyphen_parts(raw)
        tail = clean(raw[parts[1][0] :])
        if tail.islower() and key(tail) in KK_SUFFIX_KEYS:
            rest, suffix = clean(raw[parts[0][0] : parts[0][1]]), tail
    elif cleaned.endswith("'s"):
        rest = cleaned[:-2]
    if fold_kazakh(rest) != split.rest:
        return None
    acronym = split.acronym
    start, end = art.tokens[i].start(), art.tokens[j].end()
    if acronym.exclude and art.inside(i, j, acronym.exclude):
        return None
    if in_address(art.text, start, end):
        return None
    written = art.text[start:end]
    explanation = f"{written}: acronym {acronym.display}, written in two"
    if suffix:
        explanation += f", {KK_CASE_NAMES.get(key(suffix), 'case')} -{suffix} (kk)"
    return Occurrence(acronym.entity, start, end, acronym.tier, explanation, acronym.group)
