"""Russian declension of surnames (-ов, -ова, -ский, -ская, -ай, -ин) and of given names."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "text",
    [
        "Калиева приговорили к трём годам.",
        "Калиеву предъявили обвинение.",
        "С Калиевым встретился адвокат.",
        "О Калиеве написали правозащитники.",
        "Калиев не признал вину.",
        "Суд над Ерланом Қалиевым начался.",  # Kazakh spelling inside a Russian sentence
    ],
)
def test_ov_surname(found, text: str) -> None:
    assert found(text) == ["kaliev"]


@pytest.mark.parametrize(
    "text",
    [
        "Сокольский не признал вину.",
        "Сокольского задержали в Алматы.",
        "Сокольскому предъявили обвинение.",
        "С Сокольским встретились журналисты.",
        "О Сокольском написали газеты.",
        "Андрея Сокольского оправдали.",
    ],
)
def test_sky_surname(found, text: str) -> None:
    assert found(text) == ["sokolsky"]


@pytest.mark.parametrize(
    "text",
    [
        "Сокольская не признала вину.",
        "Адвокат Сокольской обжаловал приговор.",
        "Сокольскую задержали в Алматы.",
        "Ольгу Сокольскую оправдали.",
    ],
)
def test_skaya_surname(found, text: str) -> None:
    assert found(text) == ["sokolskaya"]


@pytest.mark.parametrize(
    "text",
    [
        "Мурата Жаксыбая приговорили к семи годам.",
        "Жаксыбаю запретили заниматься профсоюзной деятельностью.",
        "С Жаксыбаем солидарны профсоюзы Европы.",
        "О Жаксыбае рассказали в суде.",
    ],
)
def test_ai_surname(found, text: str) -> None:
    assert "zhaksybay" in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "Жансая Муратова возглавила профсоюз.",
        "Жансаю Муратову задержали.",
        "Адвокат Жансаи Муратовой обжаловал приговор.",
        "С Жансаей Муратовой встретились журналисты.",
        "Наталья Соколова выиграла турнир.",
        "Натальи Соколовой не было в зале.",
        "Наталью Соколову наградили.",
    ],
)
def test_given_name_declension_with_ova_surname(found, text: str) -> None:
    expected = "sokolova" if "Сокол" in text else "muratova"
    assert found(text) == [expected]


def test_in_surname_declension(found) -> None:
    texts = ("Пушкин выступил.", "Пушкина наградили.", "С Пушкиным спорили.", "Дарыну Пушкину дали премию.")
    for text in texts:
        assert "pushkin" in found(text), text


@pytest.mark.parametrize(
    ("text", "tier"),
    [
        ("Суд оставил без изменения приговор Ж. Муратовой.", "initial"),
        ("Приговор Ж.Муратовой оставлен в силе.", "initial"),
        ("Муратова Ж. подала апелляцию.", "initial"),
        ("Суд вынес приговор Н. Соколовой.", "initial"),
        ("Жансая Муратова заявила о давлении.", "full_name"),
    ],
)
def test_initials(wl, text: str, tier: str) -> None:
    mentions = wl.match(text)
    assert [m.tier for m in mentions] == [tier]


def test_other_initial_is_another_person(found) -> None:
    assert found("Суд вынес приговор М. Соколовой.") == []


def test_russian_explanation(wl) -> None:
    (m,) = wl.match("Калиеву предъявили обвинение.")
    assert m.explanation == "Калиеву = Қалиев, dative (ru)"
