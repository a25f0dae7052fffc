"""Organisation names as journalists write them, and other bodies of the same name.

An alias is split into core words (Confederation, Independent, Trade, Unions), function
words (of, the, по, и) and qualifiers: the country in any shape (matching/places.py) and the
neutral Republic / International. A text matches when every core word follows in order,
each in any inflection and any case of letters, with:
- qualifiers added, dropped or written another way around the core ("of the Republic of
  Kazakhstan", "Kazakhstan's", "казахстанского", "Қазақстан Республикасының");
- articles added or dropped ("and the Rule of Law"); other function words as in the alias;
- a coordinated tail left out ("… по правам человека" without "и соблюдению законности").
A name written without its country, or cut short, is a short name: it counts only if the
text names the country or the full name elsewhere (the article-level policy, engine.py),
and only capitalised as in the alias. Another country next to the name (Bulgaria's
Confederation of Independent Trade Unions, "Kyrgyz-American Bureau") makes it another body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

from matching.article import Article, Hit, Occurrence
from matching.index import WordPattern
from matching.places import NEUTRAL, acronym_place, place_of
from matching.translit import fold_kazakh, has_kazakh_letter, key

_FUNCTION_LIST = """
of the a an and for in on to at by with и в во на по с со к о об от до за из у для мен пен бен және
"""
FUNCTION_WORDS = frozenset(_FUNCTION_LIST.split())
_ARTICLES = frozenset({"the", "a", "an"})
_CONJUNCTIONS = frozenset({"and", "и", "және"})
_PREPOSITIONS = frozenset({"of", "for", "on"})
_TRAILING = frozenset({"of", "the", "in"})  # what joins a country after the name: "of the Republic of"
# Kazakh postpositions a name goes on at after a coordinated part left out:
# "Адам құқықтары [және заңдылықты сақтау] жөніндегі … бюро".
_POSTPOSITIONS = frozenset(key(w) for w in ["жөніндегі", "жөнінде", "бойынша", "туралы", "үшін"])
_MAX_GAP = 4  # function words and qualifiers between two core words
_MAX_GROUP = 6  # qualifier words before or after the core ("of the Republic of Kazakhstan")
_MIN_CUT = 3  # core words a name cut before its "and …" keeps (not "Union of Fuel")
# Adjectives of a place in Russian (-ская, -ского ...) and Kazakh (-стандық) keys, and English
# ones (Latvian, Danish): a place we do not list, next to the name, is another body's.
_PLACE_ADJECTIVE = re.compile(r"[sc]k(?:i|aia|oe|ogo|oi|omu|im|om|uiu|ie|ih|imi|oiu)$|stan(?:dik|tik|lik)")
_ENGLISH_ADJECTIVE = re.compile(r"[a-z](?:ian|ese|ish|ani)$")
# "(CILU)", "(далее — КНПРК)", "(hereinafter CITUK)": an acronym the text introduces.
DEFINITION = re.compile(
    r"[ \t]*[(\[][ \t]*(?:(?:далее|бұдан әрі|hereinafter|hereafter|henceforth)[ \t]*[-–—:]?[ \t]*)?"
    r"[«\"“]?([^\W\d_][^\W_]{1,11})[»\"”]?[ \t]*[)\],;]"
)


@dataclass(frozen=True)
class Gap:
    """What may stand between two core words of an alias."""

    required: frozenset[str]  # its function words, articles aside
    conjunction: bool  # "and ...": the name may end before it
    tail: str  # the alias from this gap on, for "… left out"
    resume: int = 0  # Kazakh: the core after "және X Y" the name may go on at (жөніндегі)


_OPEN = Gap(frozenset(), False, "")


@dataclass(eq=False)
class OrgEntity:
    """What all aliases of one organisation share."""

    index: int
    countries: set[str] = field(default_factory=set)
    acronyms: set[str] = field(default_factory=set)  # folded, as the acronym index keys them
    initials: set[str] = field(default_factory=set)  # of each alias's words (CITUK), folded


@dataclass(frozen=True, eq=False)
class OrgName:
    """One alias of an organisation, compiled."""

    entity: OrgEntity
    display: str
    cores: tuple[WordPattern, ...]
    gaps: tuple[Gap, ...]
    qualifiers: tuple[str, ...]  # keys of the alias's country and neutral qualifiers
    has_place: bool  # the alias names a country
    capitalised: bool
    kazakh: bool  # the alias is Kazakh: the country comes first
    exclude: tuple[tuple[str, ...], ...]


@lru_cache(maxsize=1 << 14)
def word_places(cleaned: str) -> tuple[str, ...] | None:
    """Countries (or NEUTRAL) a word names, each hyphenated part apart; None: not a place."""
    found = acronym_place(cleaned)
    if found is not None:
        return (found,)
    parts = cleaned.split("-") if "-" in cleaned else (cleaned,)
    out = []
    for part in parts:
        place = place_of(key(part))
        if place is None:
            return None
        out.append(place)
    return tuple(out)


def split_alias(words: list[str]) -> list[tuple[str, str]]:
    """(role, word) per word: "core", "function" or "place"."""
    roles = []
    for w in words:
        if w.lower() in FUNCTION_WORDS:
            roles.append(("function", w))
        elif word_places(w) is not None:
            roles.append(("place", w))
        else:
            roles.append(("core", w))
    return roles


def _fits(pattern: WordPattern, k: str) -> bool:
    return any(k.startswith(s) and k[len(s) :] in endings for s, endings in pattern)


def _group(art: Article, first: int, step: int, limit: int) -> tuple[list[int], list[str]]:
    """Qualifier words next to the core, walking from token `first` by `step`: (tokens, places)."""
    tokens: list[int] = []
    places: list[str] = []
    t = first
    n = len(art.tokens)
    while 0 <= t < n and len(tokens) < limit:
        a, b = (t, t + 1) if step < 0 else (t - 1, t)
        if not art.phrase_gap(a, b):
            break
        word = art.cleaned(t)
        found = word_places(word)
        if found is not None:
            tokens.append(t)
            places += found
        elif step > 0 and word.lower() in _TRAILING:
            tokens.append(t)
        else:
            break
        t += step
    # the group is its place words, with the function words between them (… of the Republic of …)
    while tokens and word_places(art.cleaned(tokens[-1])) is None:
        tokens.pop()
    return tokens, places


def _unknown_place_after(art: Article, last: int) -> str | None:
    """A capitalised word after "of", or a Russian genitive proper noun: another place."""
    t = last + 1
    if t >= len(art.tokens) or not art.phrase_gap(last, t):
        return None
    word = art.cleaned(t)
    if word.lower() == "of":
        u = t + 1
        if u + 1 < len(art.tokens) and art.cleaned(u).lower() == "the" and art.phrase_gap(t, u):
            u += 1
        if u < len(art.tokens) and art.phrase_gap(u - 1, u) and art.token(u).capitalised:
            return f"{word} {art.cleaned(u)}"
        return None
    tok = art.token(t)
    cyrillic = any("\u0400" <= c <= "\u04ff" for c in word)
    if not (cyrillic and tok.capitalised and not has_kazakh_letter(word)):
        return None
    if tok.given_name or tok.surname_shaped or art.has_hits(t):
        return None
    return word


def _place_adjective_before(art: Article, first: int) -> str | None:
    t = first - 1
    if t < 0 or not art.phrase_gap(t, first):
        return None
    tok = art.token(t)
    if _PLACE_ADJECTIVE.search(tok.key):
        return tok.cleaned
    if tok.capitalised and tok.cleaned.isascii() and _ENGLISH_ADJECTIVE.search(tok.cleaned):
        return tok.cleaned
    return None


def _near(name: OrgName, start: int, end: int, explanation: str, reason: str) -> Occurrence:
    """A near miss: the name, but another body's or unproven."""
    entity = name.entity.index
    return Occurrence(entity, start, end, "name", explanation, reject=reason, resembles=name.display)


def _names_another(art: Article, t: int, own: set[str]) -> bool:
    places = word_places(art.cleaned(t)) or ()
    return any(p != NEUTRAL and p not in own for p in places)


def _next_core(art: Article, last: int, pattern: WordPattern, gap: Gap) -> tuple[int, list[str], bool] | None:
    """(token, places between, prepositions swapped) of the next core word after token last."""
    n = len(art.tokens)
    t = last + 1
    functions: list[str] = []
    places: list[str] = []
    while t < n and t - last <= _MAX_GAP + 1 and art.phrase_gap(t - 1, t):
        if _fits(pattern, art.key(t)):
            break
        word = art.cleaned(t)
        qualifier = word_places(word)
        if qualifier is not None:
            places += qualifier
        elif word.lower() in FUNCTION_WORDS:
            functions.append(word.lower())
        else:
            return None
        t += 1
    else:
        return None
    written = set(functions) - _ARTICLES
    if gap.required <= written and (written <= gap.required or places):
        return t, places, False
    # "Bureau of Human Rights" for "Bureau for Human Rights": only with the country attached
    if len(written) == len(gap.required) == 1 and written | gap.required <= _PREPOSITIONS:
        return t, places, True
    return None


def org_occurrence(hit: Hit, name: OrgName, i: int, art: Article) -> Occurrence | None:
    """The organisation mention whose first core word is token i, or None."""
    last = i
    matched = 1
    cut: Gap | None = None
    swapped = False
    inner: list[str] = []
    k = 0
    while k + 1 < len(name.cores):
        gap = name.gaps[k]
        step = _next_core(art, last, name.cores[k + 1], gap)
        target = k + 1
        if step is None and gap.resume:  # Kazakh: "… және X Y жөніндегі": on at жөніндегі
            step = _next_core(art, last, name.cores[gap.resume], _OPEN)
            target = gap.resume
            cut = gap
        if step is None:
            if gap.conjunction and matched >= _MIN_CUT:
                cut = gap
                break
            return None
        last, places, swap = step
        inner += places
        swapped = swapped or swap
        matched += 1
        k = target
    lead, lead_places = _group(art, i - 1, -1, _MAX_GROUP)
    # Kazakh puts the country before the name; what follows it is the next phrase.
    trail, trail_places = _group(art, last + 1, +1, _MAX_GROUP) if not name.kazakh else ([], [])
    first_tok = lead[-1] if lead else i
    last_tok = trail[-1] if trail else last
    countries = {p for p in (*lead_places, *trail_places, *inner) if p != NEUTRAL}
    own = name.entity.countries
    start = art.tokens[first_tok].start() + (hit.lo if first_tok == i else 0)
    end = art.tokens[last_tok].end()
    surface = art.text[start:end]
    base = f"{surface}: name '{name.display}'"
    if own:
        other = [art.cleaned(t) for t in (*reversed(lead), *trail) if _names_another(art, t, own)]
        stranger = _unknown_place_after(art, last) if not trail and not name.kazakh else None
        stranger = stranger or (_place_adjective_before(art, first_tok) if not lead_places else None)
        if other or stranger:
            reason = f"another country's body ({stranger or ', '.join(other)})"
            return _near(name, start, end, base, reason)
    if name.exclude and art.inside(first_tok, last_tok, name.exclude):
        return None
    notes = []
    attached = bool(countries & own)
    if swapped and not attached:
        return None
    quals = [t for t in (*reversed(lead), *trail) if word_places(art.cleaned(t)) is not None]
    spans = [(group[0], group[-1]) for group in (lead[::-1], trail) if group]
    if attached and spans and tuple(art.key(t) for t in quals) != name.qualifiers:
        as_written = " … ".join(art.text[art.tokens[a].start() : art.tokens[b].end()] for a, b in spans)
        notes.append(f"country as '{as_written}'")
    if cut is not None:
        notes.append(f"'{cut.tail}' left out")
    if swapped:
        notes.append("another preposition")
    lower = name.capitalised and not art.token(first_tok).capitalised
    if lower:
        notes.append("lower case")
    short = (name.has_place or cut is not None) and not attached
    if short:
        if lower:
            return None  # a short name in lower case is a phrase, not a name
        defined = DEFINITION.match(art.text, end)
        if defined and _is_acronym(defined.group(1)) and not _its_acronym(name.entity, defined.group(1)):
            reason = f"followed by ({defined.group(1)}), which is not one of its acronyms"
            return _near(name, start, end, base, reason)
        notes.append("without the country")
    explanation = base + (f", {'; '.join(notes)}" if notes else "")
    return Occurrence(name.entity.index, start, end, "name", explanation, pending="short" if short else "",
                      resembles=name.display)


def _is_acronym(word: str) -> bool:
    return sum(c.isupper() for c in word) >= 2


def _its_acronym(entity: OrgEntity, acronym: str) -> bool:
    """One of its acronyms, or the initials of one of its names (CITUK; not Bulgaria's CITUB)."""
    folded = fold_kazakh(acronym).upper()
    return folded in entity.acronyms or folded in entity.initials


def compile_name(
    entity: OrgEntity, text: str, words: list[str], patterns: list[WordPattern],
    exclude: tuple[tuple[str, ...], ...],
) -> OrgName | None:
    """An alias as core words and gaps; None when it has no core word (a bare place)."""
    roles = split_alias(words)
    cores: list[WordPattern] = []
    core_at: list[int] = []
    for n, (role, _) in enumerate(roles):
        if role == "core":
            cores.append(patterns[n])
            core_at.append(n)
    if not cores:
        return None
    gaps = []
    kazakh = has_kazakh_letter(text)
    for g, (a, b) in enumerate(pairwise(core_at)):
        between = roles[a + 1 : b]
        functions = frozenset(w.lower() for r, w in between if r == "function") - _ARTICLES
        has_place = any(r == "place" for r, _ in between)
        required = frozenset() if has_place else functions
        conjunction = bool(functions & _CONJUNCTIONS)
        resume = 0
        if kazakh and conjunction:
            later = [c for c in range(g + 2, len(core_at)) if key(words[core_at[c]]) in _POSTPOSITIONS]
            resume = later[0] if later else 0
        tail = " ".join(words[a + 1 : core_at[resume]] if resume else words[a + 1 :])
        gaps.append(Gap(required, conjunction, tail, resume))
    for kept in (("core", "place"), ("core",)):  # CITUK; КНП for the name without its country
        entity.initials.add(fold_kazakh("".join(w[0] for r, w in roles if r in kept)).upper())
    qualifiers = tuple(key(w) for r, w in roles if r == "place")
    countries = {p for r, w in roles if r == "place" for p in word_places(w) or () if p != NEUTRAL}
    entity.countries.update(countries)
    capitalised = words[core_at[0]][:1].isupper()
    return OrgName(entity, text.strip(), tuple(cores), tuple(gaps), qualifiers, bool(countries),
                   capitalised, kazakh, exclude)
