"""Organisation names (inflected), acronyms (as written, with Kazakh suffixes) and topic terms."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "text",
    [
        "Федерация профсоюзов Республики Казахстан провела съезд.",
        "Федерации профсоюзов Республики Казахстан направлено письмо.",
        "Федерацию профсоюзов Республики Казахстан критикуют.",
        "Федерацией профсоюзов Республики Казахстан руководит бывший министр.",
        "Қазақстан Республикасы кәсіподақтары федерациясы мәлімдеме жасады.",
        "Қазақстан Республикасы кәсіподақтары федерациясының төрағасы сөйледі.",
        "Қазақстан Республикасы кәсіподақтары федерациясына хат жолданды.",
        "The Federation of Trade Unions of the Republic of Kazakhstan said so.",
        # issue 11: a qualifier dropped, and lower case, are the same body
        "Федерация профсоюзов Казахстана провела съезд.",
        "федерация профсоюзов республики казахстан",
    ],
)
def test_organisation_names_inflected(wl, text: str) -> None:
    assert [(m.entity_id, m.tier) for m in wl.match(text)] == [("fprk", "name")]


@pytest.mark.parametrize(
    "text",
    [
        "Конфедерация профсоюзов Республики Казахстан провела съезд.",
        "Федерация независимых профсоюзов Республики Казахстан.",
        "Федерация профсоюзов Кыргызстана провела съезд.",
    ],
)
def test_other_organisations(found, text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("ФПРК-ға хат жіберілді.", "ФПРК-ға"),
        ("ФПРК-ның төрағасы сөйледі.", "ФПРК-ның"),
        ("ФПРК-ны жабу туралы шешім.", "ФПРК-ны"),
        ("ФПРК-дағы жиын.", "ФПРК-дағы"),
        ("Решение ФПРК оставлено в силе.", "ФПРК"),
        ("(ФПРК) провела съезд.", "ФПРК"),
        ("The FTURK's chairman resigned.", "FTURK's"),
        ("ФПРK-ның төрағасы", "ФПРK-ның"),  # Latin K typed inside the Cyrillic acronym
    ],
)
def test_acronyms(wl, text: str, surface: str) -> None:
    (m,) = wl.match(text)
    assert (m.entity_id, m.tier, m.surface) == ("fprk", "acronym", surface)


@pytest.mark.parametrize("text", ["Фпрк провела съезд.", "ФПРКА", "ФПРК-шы", "FTURKS", "fturk"])
def test_acronyms_are_case_sensitive_and_whole(found, text: str) -> None:
    assert found(text) == []


def test_acronym_explanation(wl) -> None:
    (m,) = wl.match("ФПРК-ға хат жіберілді.")
    assert m.explanation == "ФПРК-ға = ФПРК + dative -ға (kk)"


@pytest.mark.parametrize(
    "text",
    [
        "Кәсіподақ жетекшісіне қатысты қылмыстық іс қозғалды.",
        "Кәсіподақтардың өкілдері сотқа шақырылды.",
        "Кәсіподағының төрағасы сотталды.",
        "Лидеру профсоюза предъявили обвинение, суд назначен на понедельник.",
        "Профсоюзного активиста осудил районный суд.",
        "Против профсоюза возбудили уголовное дело.",
        "The trade union leader was sentenced to two years.",
        "The court ruled against the trade unions.",
    ],
)
def test_term_groups_all_present(wl, text: str) -> None:
    mentions = wl.match(text)
    assert {m.entity_id for m in mentions} == {"union-court"}
    assert all(m.tier == "term" for m in mentions)


@pytest.mark.parametrize(
    "text",
    [
        "Кәсіподақ жетекшісі жиналыс өткізді.",  # only the first group
        "Суд вынес приговор.",  # only the second group
        "The court adjourned.",
        "Судьба профсоюза неизвестна.",  # судьба is not суд
        "A courtesy call to the union hall.",
    ],
)
def test_term_needs_every_group(found, text: str) -> None:
    assert "union-court" not in found(text)


def test_term_groups_across_the_article(found) -> None:
    assert found("Профсоюз провёл собрание.\n\nВ понедельник суд рассмотрит иск.") == ["union-court"]


@pytest.mark.parametrize(
    "text",
    [
        "Мұнайшылар ереуілге шықты.",
        "Ереуіл үшінші аптаға созылды.",
        "Забастовку признали незаконной.",
        "The strikes continued.",
    ],
)
def test_term_without_groups_is_one_group(found, text: str) -> None:
    assert found(text) == ["strike"]
