"""Dates to UTC, bylines, language by letters and words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spiders.bylines import Outlet, authors, is_author
from spiders.dates import parse_datetime
from spiders.language import detect_language


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2017-05-16 10:11:12Z", datetime(2017, 5, 16, 10, 11, 12, tzinfo=UTC)),  # Pangea JSON-LD
        ("2019-06-30T22:02:29&#x2B;00:00", datetime(2019, 6, 30, 22, 2, 29, tzinfo=UTC)),
        ("2021-08-05T08:00:00-0400", datetime(2021, 8, 5, 12, 0, tzinfo=UTC)),
        ("2025-05-14T20:28:12.467+03:00", datetime(2025, 5, 14, 17, 28, 12, 467000, tzinfo=UTC)),
        ("2017-05-16", datetime(2017, 5, 16, tzinfo=UTC)),
        ("2017-05-16T7:05+05", datetime(2017, 5, 16, 2, 5, tzinfo=UTC)),
        ("Tue, 16 May 2017 10:11:12 +0500", datetime(2017, 5, 16, 5, 11, 12, tzinfo=UTC)),
        ("Tue, 16 May 2017 10:11:12 GMT", datetime(2017, 5, 16, 10, 11, 12, tzinfo=UTC)),
        ("2017-05-16T10:00:00", datetime(2017, 5, 16, 10, 0, tzinfo=UTC)),  # no offset: UTC
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_datetime(raw: str | None, expected: datetime | None) -> None:
    got = parse_datetime(raw)
    assert got == expected
    if got is not None:
        assert got.tzinfo == UTC


NOWHERE = Outlet.of("https://news.example/a/1", "Example News")


@pytest.mark.parametrize(
    "name",
    ["Андрей Колесников", "Айгүл Сейтқали", "Dana Kemel", "Jean-Luc Picard", "А. Колесников",
     "Nurbek Qushaqbaev", "Mary O'Neil", "Chus del Pino", "Michelle de Oliveira",
     "Fouzia van der Fort", "JÖRG ZSCHOCHE", "松岡大地",
     # news agencies are credited bylines: the story is theirs
     "Associated Press", "Reuters", "AFP", "dpa", "Интерфакс"],
)
def test_people_and_agencies_are_authors(name: str) -> None:
    assert is_author(name, NOWHERE)


@pytest.mark.parametrize(
    "name",
    ["RFE/RL's Kazakh Service", "Азаттық радиосы", "Радио Азаттык", "Current Time",
     "Настоящее Время", "Служба новостей", "Редакция", "VOA News", "Staff", "Azattyq",
     "https://example.org/author/x", "Kazinform 2017", "Қазақ қызметі", "The Russian",
     "Guardian staff reporter", "Example News", "Ilanga D"],
)
def test_pseudo_authors_are_dropped(name: str) -> None:
    assert not is_author(name, NOWHERE)


def test_bylines_are_split_and_the_outlet_dropped() -> None:
    sources = [["RFE/RL's Kazakh Service"], ["Dana Kemel and Timur Rakhimov", "Dana Kemel"]]
    assert authors(sources, NOWHERE) == ["Dana Kemel", "Timur Rakhimov"]
    assert authors([["Азаттық радиосы"]], NOWHERE) == []


KK = "Құқық қорғаушылар кәсіподақ жетекшілерін босатуға шақырды, деп хабарлады бюро."
RU = "Правозащитники призвали освободить лидеров профсоюза, сообщило бюро."
# A Russian article of a few paragraphs quoting one Kazakh spelling: 3 Kazakh letters in
# ~600 Cyrillic ones is under the 1% threshold.
RU_QUOTING_KK = RU * 10 + " В казахской прессе его фамилию пишут как Құшақбаев."


@pytest.mark.parametrize(
    ("text", "fallback", "expected"),
    [
        (KK, None, "kk"),
        (RU, "kk", "ru"),
        (RU_QUOTING_KK, None, "ru"),  # one Kazakh name in long Russian prose stays Russian
        ("Rights groups called for the release of the union leaders.", "ru", "en"),
        ("Die Gewerkschaft fordert die Freilassung ihrer Vorsitzenden.", "en", "und"),
        ("12:00 — 14:00", "kk", "kk"),  # no letters to judge: the source's language
        ("OK", None, None),
    ],
)
def test_detect_language(text: str, fallback: str | None, expected: str | None) -> None:
    assert detect_language(text, fallback) == expected
