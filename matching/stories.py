"""Reports of one event by several outlets, in Kazakh, Russian or English: which go together.

Pure text logic (docs/matching.md, "Stories"). Two reports are one story only when all hold:
- they name a watched entity in common;
- they were published within WINDOW of each other (and of the story's first report);
- their events agree: the kinds of event their titles (else leads) speak of (a sentence,
  a release, an appeal, ...) overlap whenever both name one;
- they share rare evidence, after transliteration: numbers, dates, place and other proper
  names, words of the charge or the sentence, weighted by how rare each is among the
  reports compared, scoring at least THRESHOLD with at least two distinct pieces, one of
  them a number, a date or a name (the watched names themselves do not count).
The title alone never decides: its words count as any other words of the text.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from matching.translit import key

WINDOW = timedelta(days=3)
THRESHOLD = 5.0
TEXT_LIMIT = 1000  # characters of body compared: the facts of a news report come first
LEAD_LIMIT = 400  # the lead, for the kinds of event

# Kinds of event, by word stems (lowercase prefixes) in each language. A report of a sentence
# and a report of a release about the same person are different stories.
EVENTS: dict[str, tuple[str, ...]] = {
    "sentence": ("sentenc", "convict", "jailed", "verdict", "guilty", "prison term", "приговор",
                 "осужд", "осуди", "лишени", "ограничени", "сотт", "үкім", "жаза", "бас бостандығ",
                 "restricted freedom", "years in prison"),
    "release": ("releas", "freed$", "walked free", "walks free", "parole", "освобод", "вышел на свобод",
                "вышла на свобод", "удо", "условно-досрочн", "босат", "бостандыққ", "шартты түрде"),
    "appeal": ("appeal", "апелляц", "обжал", "кассац", "шағым", "upheld", "оставил в силе", "күшінде"),
    "arrest": ("arrest", "detain", "custody", "задерж", "арест", "под страж", "ұстал", "қамау", "тұтқынд"),
    "strike": ("strike", "striking", "walkout", "забастов", "бастовал", "ереуіл", "голодов", "hunger",
               "аштық", "аштық жариял"),
    "liquidation": ("liquidat", "dissol", "shut down", "ликвидац", "ликвидир", "закрыт", "тарат", "жабыл"),
    "charge": ("charged", "charges", "indict", "обвинени", "предъявлен", "айып тағ", "айыпта",
               "criminal case", "уголовное дело", "қылмыстық іс"),
    "statement": ("statement", "called for", "calls for", "called on", "calls on", "urged", "demand",
                  "заявлени", "призвал", "призыва", "потребова", "мәлімдеме", "талап ет", "шақырд"),
    "ban": ("travel ban", "banned from", "stopped from", "prevented", "запрет", "не позволили",
            "не пустили", "тыйым"),
    "health": ("health", "hospital", "здоров", "больниц", "госпитал", "денсаулығ", "аурухана"),
}

# Words of the charge, the sentence and the institutions, the same in any language: a shared
# concept is evidence like a shared name ("c:" tokens).
CONCEPTS: dict[str, tuple[str, ...]] = {
    "embezzlement": ("embezzl", "растрат", "ысырап"),
    "abuse-of-office": ("abuse of office", "злоупотреблен", "асыра пайдалан"),
    "illegal": ("illegal", "незаконн", "заңсыз"),
    "restricted-freedom": ("restricted freedom", "ограничени свобод", "ограничению свобод",
                           "бостандығын шектеу"),
    "plea-deal": ("plea", "процессуальн", "процестік келісім"),
    "community-work": ("community work", "общественных работ", "қоғамдық жұмыс"),
    "colony": ("colony", "колони"),
    "supreme-court": ("supreme court", "верховн", "жоғарғы сот"),
    "regional-court": ("regional court", "областн", "облыстық сот"),
    "ilo": ("ilo", "international labour organization", "мот", "международной организации труда",
            "халықаралық еңбек ұйым"),
    "geneva": ("geneva", "женев"),
    "ministry-of-justice": ("ministry of justice", "justice ministry", "минюст", "министерство юстиции",
                            "әділет министрлі"),
    "registration": ("regist", "регистрац", "тіркеу", "тіркел"),
    "prosecutor": ("prosecut", "прокурор", "прокуратур"),
    "airport": ("airport", "аэропорт", "әуежай"),
    "border-guards": ("border guard", "погранич", "шекарашы"),
    "oil-workers": ("oil worker", "нефтяник", "мұнайшы"),
    "oil-field": ("oil field", "месторожден", "кен орн"),
    "interrogation": ("questioning", "questioned", "допрос", "жауап ал"),
    "police": ("police", "полици", "полиция"),
    "parole": ("parole", "условно-досрочн", "удо", "шартты түрде"),
    "heart": ("heart", "сердц", "сердеч", "жүрек"),
    "doctor": ("doctor", "врач", "дәрігер"),
    "wife": ("wife", "жена", "супруг", "әйел", "жұбай"),
    "pretrial": ("pretrial", "pre-trial", "изолятор", "под стражей до суда"),
    "investigation": ("investigat", "следстви", "следовател", "тергеу"),
    "mission": ("mission", "миссия", "миссию"),
    "witness": ("witness", "свидетел", "куәгер"),
    "postponed": ("postpon", "adjourn", "отложил", "перенесл", "кейінге қалд"),
    "travel": ("travel", "выезд", "вылет", "шетелге шығу"),
    "statute": ("charter", "устав", "жарғы"),
    "union-law": ("trade union law", "закон о профсоюзах", "кәсіподақтар туралы заң"),
    "rights-bureau": ("bureau for human rights", "бюро по правам человека", "құқықтары жөніндегі",
                      "халықаралық бюро"),
}

MONTHS: dict[str, int] = {}
for _n, _words in enumerate((
    ("january", "январ", "қаңтар"), ("february", "феврал", "ақпан"), ("march", "март", "наурыз"),
    ("april", "апрел", "сәуір"), ("may", "мая", "май", "мамыр"), ("june", "июн", "маусым"),
    ("july", "июл", "шілде"), ("august", "август", "тамыз"), ("september", "сентябр", "қыркүйек"),
    ("october", "октябр", "қазан"), ("november", "ноябр", "қараша"), ("december", "декабр", "желтоқсан"),
), start=1):
    for _w in _words:
        MONTHS[_w] = _n

NUMBER_WORDS: dict[str, dict[str, int]] = {
    "en": {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "half": 0},
    "ru": {"один": 1, "одна": 1, "одного": 1, "два": 2, "две": 2, "двух": 2, "три": 3, "трех": 3,
           "трёх": 3, "четыре": 4, "четырех": 4, "четырёх": 4, "пять": 5, "пяти": 5, "шесть": 6,
           "семь": 7, "семи": 7, "восемь": 8, "девять": 9, "десять": 10},
    "kk": {"бір": 1, "екі": 2, "үш": 3, "төрт": 4, "бес": 5, "алты": 6, "жеті": 7, "сегіз": 8,
           "тоғыз": 9, "он": 10},
}

# Words too common in this field's news to tell one report from another (as stems).
STOP = frozenset(key(w)[:6] for w in (
    "kazakhstan", "kazakh", "union", "unions", "trade", "leader", "court", "years", "said", "would",
    "which", "their", "there", "after", "about", "against", "also", "with", "from", "that", "this",
    "were", "have", "been", "city", "human", "rights", "labor", "labour", "confederation",
    "независимых", "казахстан", "казахстана", "профсоюз", "профсоюза", "лидер", "суд", "суда",
    "который", "которая", "после", "также", "заявил", "сообщил", "года", "году", "лет", "было",
    "этого", "человека", "правам", "конфедерации", "казахстанского",
    "қазақстан", "қазақстанның", "кәсіподақ", "кәсіподақтар", "жетекші", "жетекшісі", "соты",
    "жылы", "деді", "туралы", "бойынша", "адам", "құқықтары", "конфедерациясы", "тәуелсіз",
))

_WORD = re.compile(r"\w+(?:-\w+)?", re.UNICODE)
_TYPE_WEIGHT = {"#": 2.0, "d": 4.0, "c": 2.0, "s": 0.5}
NAME_WEIGHT = 2.0  # a stem written as a name in either report


@dataclass(frozen=True, slots=True)
class StoryFeatures:
    """What one report offers for comparison (computed once per article)."""

    tokens: frozenset[str]  # "#7", "d:05-16", "c:colony", "s:janaoz" (a stem)
    names: frozenset[str]  # the "s:" tokens written as a name somewhere (capitalised mid-sentence)
    title_events: frozenset[str]
    lead_events: frozenset[str]
    dates: frozenset[str] = frozenset()  # the "d:" tokens, kept apart: compared for every pair

    @staticmethod
    def empty() -> StoryFeatures:
        return StoryFeatures(frozenset(), frozenset(), frozenset(), frozenset())


@dataclass(frozen=True, slots=True)
class Report:
    """One report to group: its id, time, language, watched entities and features."""

    id: int
    when: datetime
    language: str
    entities: frozenset[str]
    features: StoryFeatures
    names: frozenset[str] = frozenset()  # stems of the watched names as written (name_stems)

    def evidence(self) -> frozenset[str]:
        """Its tokens, less the watched names themselves (every report about X names X)."""
        if not self.names:
            return self.features.tokens
        return frozenset(t for t in self.features.tokens if t[2:] not in self.names)


def _stem_finder(table: dict[str, tuple[str, ...]]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex for every stem of a table, each at a word start ("$": a whole word)."""
    kinds = {stem.rstrip("$"): kind for kind, stems in table.items() for stem in stems}
    alts = sorted({s for stems in table.values() for s in stems}, key=len, reverse=True)
    body = "|".join(re.escape(a.rstrip("$")) + (r"(?!\w)" if a.endswith("$") else "") for a in alts)
    return re.compile(rf"(?<!\w)(?:{body})"), kinds


_EVENT_FINDER = _stem_finder(EVENTS)
_CONCEPT_FINDER = _stem_finder(CONCEPTS)


def _kinds(text: str, finder: tuple[re.Pattern[str], dict[str, str]]) -> frozenset[str]:
    pattern, kinds = finder
    return frozenset(kinds[m.group()] for m in pattern.finditer(text.lower()))


def events_in(text: str) -> frozenset[str]:
    return _kinds(text, _EVENT_FINDER)


_MONTH_STEMS = tuple((stem, n) for stem, n in MONTHS.items() if len(stem) >= 5)


@lru_cache(maxsize=1 << 16)
def _month(word: str) -> int | None:
    if word in MONTHS:
        return MONTHS[word]
    for stem, n in _MONTH_STEMS:
        if word.startswith(stem):
            return n
    return None


def tokens_of(text: str, language: str, proper: bool = True) -> tuple[frozenset[str], frozenset[str]]:
    """Numbers, dates (day and month), concepts and word stems, as comparison tokens; and the
    stems written as names.

    A capitalised word inside a sentence is a name: a place, a court, a company. At a sentence
    start, or with proper=False (a title in Title Case), it is an ordinary word.
    """
    numbers = NUMBER_WORDS.get(language, {})
    out: set[str] = set()
    names: set[str] = set()
    out.update(f"c:{c}" for c in _kinds(text, _CONCEPT_FINDER))
    matches = list(_WORD.finditer(text))
    words = [m.group().lower() for m in matches]
    for i, m in enumerate(matches):
        w = words[i]
        if w.isdigit():
            if len(w) <= 4:
                out.add(f"#{int(w)}")
            month = _month(words[i + 1]) if i + 1 < len(words) else None
            month = month or (_month(words[i - 1]) if i > 0 else None)
            if month and 1 <= int(w) <= 31:
                out.add(f"d:{month:02d}-{int(w):02d}")
            continue
        if w in numbers:
            if numbers[w]:
                out.add(f"#{numbers[w]}")
            continue
        stem = _stem(w)
        if stem is None:
            continue
        raw = m.group()
        out.add(f"s:{stem}")
        if proper and raw[0].isupper() and not _sentence_start(text, m.start()):
            names.add(f"s:{stem}")
    return frozenset(out), frozenset(names)


@lru_cache(maxsize=1 << 17)
def _stem(word: str) -> str | None:
    """A lowercase word's comparison stem, or None for a short, month or too common word."""
    if len(word) < 4 or _month(word):
        return None
    stem = key(word)[:6]
    return None if len(stem) < 4 or stem in STOP else stem


def _sentence_start(text: str, pos: int) -> bool:
    j = pos - 1
    while j >= 0 and text[j] in " \t\"'«(“—–-":
        j -= 1
    return j < 0 or text[j] in ".!?\n:;…"


def name_stems(names: Iterable[str]) -> frozenset[str]:
    """The stems of watched names as found in a text: they tell no event from another."""
    return frozenset(key(w.lower())[:6] for n in names for w in _WORD.findall(n))


def story_features(title: str, body: str, language: str) -> StoryFeatures:
    lead = body[:LEAD_LIMIT]
    t_tokens, _ = tokens_of(title, language, proper=False)
    b_tokens, names = tokens_of(body[:TEXT_LIMIT], language)
    tokens = t_tokens | b_tokens
    return StoryFeatures(tokens, names, events_in(title), events_in(f"{title}\n{lead}"),
                         frozenset(t for t in tokens if t.startswith("d:")))


def _events_agree(a: StoryFeatures, b: StoryFeatures) -> bool:
    """No clash of kinds of event: both name one, and they share none, or one is a statement
    about an event and the other the event itself; nor two different dates."""
    if a.dates and b.dates and not (a.dates & b.dates):
        return False
    ta, tb = a.title_events, b.title_events
    if ta and tb:
        return bool(ta & tb) and ("statement" in ta) == ("statement" in tb)
    # A lead names more kinds of event than it is about (the sentence behind a release):
    # there, any kind in common will do.
    ea, eb = ta or a.lead_events, tb or b.lead_events
    return not (ea and eb) or bool(ea & eb)


def _weights(reports: Sequence[Report], evidence: dict[int, frozenset[str]]) -> dict[str, float]:
    """A token shared by every report compared tells them apart less than a rare one."""
    df: Counter[str] = Counter()
    for r in reports:
        df.update(evidence[r.id])
    n = len(reports)
    return {t: _TYPE_WEIGHT[t[0]] * (1.0 + math.log((n + 1) / (c + 1))) for t, c in df.items()}


def score(a: Report, b: Report, weights: dict[str, float],
          evidence: dict[int, frozenset[str]] | None = None) -> float:
    """How sure we are that two reports tell of one event; 0 when a rule forbids it."""
    if not (a.entities & b.entities) or abs(a.when - b.when) > WINDOW:
        return 0.0
    if not _events_agree(a.features, b.features):
        return 0.0
    ea = evidence[a.id] if evidence else a.evidence()
    eb = evidence[b.id] if evidence else b.evidence()
    shared = ea & eb
    names = a.features.names | b.features.names
    specific = [t for t in shared if t[0] != "s" or t in names]
    if len(shared) < 2 or not specific:
        return 0.0
    events = a.features.lead_events & b.features.lead_events
    return sum(weights.get(t, 1.0) * (NAME_WEIGHT / _TYPE_WEIGHT["s"] if t in names else 1.0)
               for t in shared) + 1.5 * len(events)


def group_reports(reports: Sequence[Report]) -> list[list[int]]:
    """Reports as stories (lists of report ids, earliest first), merged only where sure.

    In time order, a report joins the story it scores best with (at least THRESHOLD against
    one of its reports), provided it clashes with none of them (no entity in common, another
    kind of event, another date, or outside WINDOW of the story's first report).
    """
    ordered = sorted(reports, key=lambda r: (r.when, r.id))
    evidence = {r.id: r.evidence() for r in ordered}
    weights = _weights(ordered, evidence)
    stories: list[list[Report]] = []
    by_entity: dict[str, list[int]] = {}  # entity -> the stories naming it: only those can match
    for r in ordered:
        best, best_score = -1, THRESHOLD
        candidates = sorted({i for e in r.entities for i in by_entity.get(e, ())})
        for i in candidates:
            story = stories[i]
            if r.when - story[0].when > WINDOW:
                continue
            if any(not (r.entities & m.entities) or not _events_agree(r.features, m.features)
                   for m in story):
                continue
            s = max(score(r, m, weights, evidence) for m in story)
            if s >= best_score:
                best, best_score = i, s
        if best < 0:
            best = len(stories)
            stories.append([r])
        else:
            stories[best].append(r)
        for e in r.entities:
            if best not in by_entity.setdefault(e, []):
                by_entity[e].append(best)
    return [[r.id for r in s] for s in stories]


def pairs(groups: Iterable[Iterable[int]]) -> set[tuple[int, int]]:
    """Every unordered pair of ids put together (for pairwise precision and recall)."""
    out: set[tuple[int, int]] = set()
    for g in groups:
        ids = sorted(g)
        out.update((a, b) for i, a in enumerate(ids) for b in ids[i + 1 :])
    return out
