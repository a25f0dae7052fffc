"""Stories across outlets and languages (issue 15.2): the labelled set and the rules behind it."""

from __future__ import annotations

import datetime as dt

from matching.stories import Report, group_reports, story_features
from tests.matching.story_set import HELD_OUT, evaluate, load

T0 = dt.datetime(2017, 5, 16, 14, 0, tzinfo=dt.UTC)


def test_the_labelled_set_is_big_enough_and_its_entities_are_the_matchers() -> None:
    items = load()
    groups = {it.group for it in items}
    assert len(items) >= 60 and len(groups) >= 20
    assert {it.report.language for it in items} == {"kk", "ru", "en"}
    multi = [g for g in groups if len({it.report.language for it in items if it.group == g}) >= 2]
    assert len(multi) >= 15  # most stories cross a language line
    for it in items:  # the fixture says what the real matcher finds, no more, no less
        assert it.report.entities == it.listed, (it.group, it.title)


def test_grouping_precision_and_recall_on_the_labelled_set() -> None:
    s = evaluate(load())
    assert s.precision >= 0.95, s.wrong
    assert s.recall >= 0.80, s.missed


def test_grouping_precision_on_the_held_out_set() -> None:
    items = load(HELD_OUT)
    assert all(it.report.entities == it.listed for it in items)
    s = evaluate(items)
    assert s.precision >= 0.95, s.wrong
    assert s.recall >= 0.70, s.missed


def _report(i: int, title: str, body: str, lang: str, hours: float, entities: set[str]) -> Report:
    return Report(
        i, T0 + dt.timedelta(hours=hours), lang, frozenset(entities), story_features(title, body, lang)
    )


def test_one_event_in_three_languages_is_one_story() -> None:
    reports = [
        _report(
            1,
            "Kazakh Union Leader Yeleusinov Sentenced To Two Years",
            "A court in Aktau on May 16 sentenced Amin Yeleusinov to two years in prison for embezzlement.",
            "en",
            0,
            {"e"},
        ),
        _report(
            2,
            "Елеусинова приговорили к двум годам",
            "16 мая суд Актау приговорил Амина Елеусинова к двум годам лишения свободы за растрату.",
            "ru",
            2,
            {"e"},
        ),
        _report(
            3,
            "Әмин Елеусінов екі жылға сотталды",
            "Ақтау соты 16 мамырда Әмин Елеусіновті ысырап "
            "ету ісі бойынша екі жылға бас бостандығынан айырды.",
            "kk",
            5,
            {"e"},
        ),
    ]
    assert group_reports(reports) == [[1, 2, 3]]


def test_a_release_a_week_after_the_sentence_stays_apart() -> None:
    sentence = _report(
        1,
        "Kushakbayev Sentenced",
        "A court in Pavlodar on May 10 sentenced Nurbek Kushakbayev to 2.5 years in a colony.",
        "en",
        0,
        {"k"},
    )
    release = _report(
        2,
        "Kushakbayev Released",
        "Nurbek Kushakbayev left the colony in Pavlodar, 2.5 years after he was jailed.",
        "en",
        24 * 7,
        {"k"},
    )
    assert group_reports([sentence, release]) == [[1], [2]]
    # Even the same day, a release is not a sentence.
    same_day = _report(
        3,
        "Kushakbayev Released",
        "Nurbek Kushakbayev left the colony in Pavlodar, 2.5 years after he was jailed.",
        "en",
        3,
        {"k"},
    )
    assert group_reports([sentence, same_day]) == [[1], [3]]


def test_the_same_day_another_person_stays_apart() -> None:
    a = _report(
        1,
        "Kharkova sentenced in Shymkent",
        "A court in Shymkent on July 25 sentenced Larisa Kharkova to four years of restricted freedom.",
        "en",
        0,
        {"kharkova"},
    )
    b = _report(
        2,
        "Kushakbayev moved to Pavlodar colony",
        "On July 25 Nurbek Kushakbayev was moved "
        "to a colony in Pavlodar, four days after the ruling in Shymkent.",
        "en",
        1,
        {"kushakbayev"},
    )
    assert group_reports([a, b]) == [[1], [2]]


def test_the_title_alone_never_merges() -> None:
    a = _report(1, "Union leader sentenced", "The court read the ruling in Aktau on Monday.", "en", 0, {"e"})
    b = _report(
        2, "Union leader sentenced", "Judges in Shymkent gave their verdict after a week.", "en", 1, {"e"}
    )
    assert group_reports([a, b]) == [[1], [2]]
