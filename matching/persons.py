"""Whether a surname form in a text is the watched person: the words around it decide.

Given name or its initial next to the surname (either order, one word between allowed) make a
full-name mention; another person's given name or initial, or a patronymic of the other gender,
make it somebody else; grammar rules out places and women that share the surname's letters.
"""

from __future__ import annotations

from collections.abc import Sequence

from matching.article import Article, Hit, Occurrence
from matching.index import Person, SurnameRef
from matching.morphology import NOMINATIVE, Ending, looks_like_surname, paradigm
from matching.normalise import is_capitalised, script_of
from matching.translit import has_kazakh_letter, key
from matching.variants import distance_at_most_one

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
_MASCULINE_A = frozenset({"M_OV", "M_IN"})
_FEMININE_PAST = ("ла", "лась")  # заявила, выступила, отказалась
_OWN = frozenset({"own_given", "own_initial"})
ANOTHER_PERSON = "next to another person's name"
_OTHER = frozenset({"other_given", "other_initial"})


def _neighbour(person: Person, j: int, art: Article) -> tuple[str, str]:
    """What token j is to this person: own/other given name or initial, patronymic, word."""
    t = art.token(j)
    if art.is_initial(j):
        own = t.key[:1] in person.initials
        return ("own_initial" if own else "other_initial"), t.cleaned + "."
    if not t.capitalised:
        return "word", t.cleaned
    if person.index in t.owners:
        return "own_given", t.cleaned
    if t.patronymic:
        return "patronymic_" + t.patronymic, t.cleaned
    if t.given_name:
        return "other_given", t.cleaned
    return "word", t.cleaned


def _context(person: Person, i: int, art: Article) -> tuple[str, int, int, str] | None:
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
        kind1, text1 = _neighbour(person, i - 1, art)
        if kind1 in _OWN:
            claim(kind1, i - 1, i, text1)
        elif gender_clash(kind1):
            return None
        else:
            kind2, text2 = "", ""
            if art.joined(i - 2, i - 1) or art.initial_gap(i - 2, i - 1):
                kind2, text2 = _neighbour(person, i - 2, art)
            if kind2 in _OWN:
                claim(kind2, i - 2, i, f"{text2} {text1}")
            elif kind1 in _OTHER or (kind1.startswith("patronymic_") and kind2 in _OTHER):
                conflict = True
    # right: SURNAME [given|initial] or SURNAME [patronymic|any word] [given]
    if art.joined(i, i + 1):
        kind1, text1 = _neighbour(person, i + 1, art)
        if kind1 in _OWN:
            claim(kind1, i, i + 1, text1)
            # SURNAME GIVEN PATRONYMIC: Сейтова Амина Сергеевна is a woman
            if art.joined(i + 1, i + 2) and gender_clash(_neighbour(person, i + 2, art)[0]):
                return None
        elif gender_clash(kind1):
            return None
        elif kind1 in _OTHER:
            conflict = True
        elif art.joined(i + 1, i + 2):
            kind2, text2 = _neighbour(person, i + 2, art)
            if kind2 == "own_given":
                claim(kind2, i, i + 2, text2)
            elif gender_clash(kind2):
                return None
    if own is not None:
        return own
    if conflict:
        return None
    return ("surname", i, i, "")


def _reading_fits(meaning: Ending, hit: Hit, i: int, art: Article) -> bool:
    if meaning.needs == "not_ru":
        return has_kazakh_letter(hit.cleaned) or art.language(i) not in ("ru", "en")
    return art.language(i) in ("ru", None)


def _feminine_verb_follows(i: int, art: Article) -> bool:
    """Russian verb agreement: "Пушкина выступила" is a woman, not his genitive."""
    if not art.joined(i, i + 1):
        return False
    verb = art.token(i + 1)
    return not verb.capitalised and verb.cleaned.endswith(_FEMININE_PAST)


def _given_before_surname(i: int, art: Article) -> bool:
    """Token i is a known given name and a surname-shaped word follows (Амина Сейтова)."""
    if not art.joined(i, i + 1):
        return False
    following = art.token(i + 1)
    if not following.capitalised or not looks_like_surname(following.key):
        return False
    return art.token(i).given_name


def _describe(meanings: Sequence[Ending]) -> str:
    seen: list[str] = []
    for m in meanings:
        text = f"{m.case} ({m.lang})" if m.lang else m.case
        if text not in seen:
            seen.append(text)
    return " / ".join(seen)


def _possessive(surface: str) -> bool:
    return surface.endswith(("'s", "'"))


def explain_form(hit: Hit, ref: SurnameRef) -> str:
    """Which form and which ending: "Харьковаға = Харькова + dative -ға (kk)"."""
    surface = hit.cleaned
    # Zhovtis and Zhovtis's have one key: the apostrophe says which was written.
    if NOMINATIVE in hit.meanings and not _possessive(surface):
        return f"{surface}: surname, nominative"
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
    return f"{surface} = {listed_display(ref, surface)}, {described}"


def listed_display(ref: SurnameRef, surface: str) -> str:
    """The person's listed surname, in the script of the surface if the config has one."""
    display = ref.person.surname_display
    script = script_of(surface)
    # Kazakh and Russian Cyrillic stand in for each other before Latin does
    near = {"kk": "ru", "ru": "kk"}.get(script, "")
    return display.get(script) or display.get(near) or next(iter(display.values()), "")


def explain_variant(hit: Hit, ref: SurnameRef) -> str:
    """An unlisted spelling: "Калдыбаевтың ~ Қалдыбай: unlisted spelling (with the Russian suffix -ев)"."""
    return f"{hit.cleaned} ~ {listed_display(ref, hit.cleaned)}: unlisted spelling ({ref.variant})"


def own_given_next_to(person: Person, i: int, art: Article) -> str | None:
    """The person's own given name or initial next to token i, if there is one."""
    context = _context(person, i, art)
    if context is None or context[0] == "surname":
        return None
    return context[3]


# How the nominative ends after the stem, in Cyrillic and in Latin, where the stem is shorter.
_WRITTEN_TAILS = {
    "F_OVA": ("а", "a"), "M_SKY": ("ий", "y"), "F_SKAYA": ("ая", "aya"), "M_ADJ_OI": ("ой", "oy"),
    "M_AI": ("й", "y"), "F_A": ("а", "a"), "F_IA": ("я", "ya"),
}  # fmt: skip


def written_nominative(word: str, nominative_key: str, near: bool) -> str:
    """The nominative of an inflected word as an alias would list it (Калдыбаевтың -> Калдыбаев,
    Билинского -> Билинский)."""
    w = word[:-2] if word.endswith("'s") else word.rstrip("'")
    for cut in range(len(w), 1, -1):
        k = key(w[:cut])
        if k == nominative_key or (near and distance_at_most_one(k, nominative_key)):
            return w[:cut]
    p = paradigm(nominative_key, "surname")
    tails = _WRITTEN_TAILS.get(p.cls)
    if tails and p.stem != nominative_key:
        for cut in range(len(w), 1, -1):
            k = key(w[:cut])
            if k == p.stem or (near and distance_at_most_one(k, p.stem)):
                return w[:cut] + (tails[1] if w.isascii() else tails[0])
    return w


def person_occurrence(hit: Hit, ref: SurnameRef, i: int, art: Article) -> Occurrence | None:
    """The mention a surname hit at token i makes, or None when it is not this person."""
    person = ref.person
    if not is_capitalised(hit.cleaned):
        return None
    variant = bool(ref.variant)
    context = _context(person, i, art) if variant else None
    if variant and (context is None or art.token(i).given_name):
        # another person's name (first: an unlisted spelling is cheap to turn down), or a given
        # name before a spelling of a surname (Bolat, not Bolatov)
        if art.token(i).given_name:
            return None
        start, end = art.tokens[i].start() + hit.lo, art.tokens[i].start() + hit.hi
        return Occurrence(person.index, start, end, "surname", explain_variant(hit, ref),
                          reject=ANOTHER_PERSON, variant=True,
                          resembles=listed_display(ref, hit.cleaned), form_key=ref.nominative)
    if all(m.needs for m in hit.meanings) and not any(_reading_fits(m, hit, i, art) for m in hit.meanings):
        return None
    guard = _GUARDS.get((ref.cls, hit.ending))
    if guard and i > 0 and art.joined(i - 1, i) and art.key(i - 1) in guard:
        return None
    if ref.cls in _MASCULINE_A and hit.ending == "a" and _feminine_verb_follows(i, art):
        return None
    if person.exclude and art.inside(i, i, person.exclude):
        return None
    if context is None:
        context = _context(person, i, art)
        if context is None:
            return None
    tier, first, last, given = context
    if tier == "surname" and _given_before_surname(i, art):
        return None
    form = explain_variant(hit, ref) if variant else explain_form(hit, ref)
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
    if not variant:
        return Occurrence(person.index, start, end, tier, explanation)
    pending = "variant" if tier == "surname" else ""
    return Occurrence(person.index, start, end, tier, explanation, pending=pending,
                      variant=True, resembles=listed_display(ref, hit.cleaned), form_key=ref.nominative)
