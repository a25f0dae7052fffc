"""Kazakh case endings on surnames and given names, both vowel harmonies, Russian-letter typing."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "text",
    [
        # -ев surname: в takes the voiceless endings, back and front harmony alike
        "Қалиевтың ісі сотта қаралды.",
        "Қалиевтің адвокаты шағым түсірді.",
        "Сот Қалиевқа үш жыл жаза тағайындады.",
        "Сот Қалиевке үш жыл жаза тағайындады.",
        "Полиция Қалиевты ұстады.",
        "Полиция Қалиевті ұстады.",
        "Бұл мәселе Қалиевта емес.",
        "Хат Қалиевтан келді.",
        "Хат Қалиевтен келді.",
        "Ол Қалиевпен кездесті.",
        "Қалиевтар отбасы көшіп кетті.",
        "Қалиевтағы құжаттар тексерілді.",
        "Қалиев айыбын мойындамады.",
        # -ов surname
        "Тасмағамбетовтың сөзі бойынша жиын өтті.",
        "Тасмағамбетовке хат жолданды.",
        "Тасмағамбетовпен келісім жасалды.",
    ],
)
def test_ov_ev_surname_cases(found, text: str) -> None:
    expected = "tasmagambetov" if "Тасмағамбет" in text else "kaliev"
    assert found(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "Жақсыбайдың жақтастары жиналды.",
        "Жақсыбайдің жақтастары жиналды.",
        "Жақсыбайға кешірім жасалды.",
        "Жақсыбайды полиция ұстады.",
        "Жақсыбайда құжат жоқ.",
        "Жақсыбайдан хат келді.",
        "Жақсыбаймен бірге тағы үш адам сотталды.",
        "Мұрат Жақсыбай мәлімдеме жасады.",
    ],
)
def test_ai_surname_cases(found, text: str) -> None:
    assert found(text) == ["zhaksybay"]


@pytest.mark.parametrize(
    "form",
    [
        "Мұратова",
        "Мұратованың",
        "Мұратоваға",
        "Мұратоваге",
        "Мұратованы",
        "Мұратовада",
        "Мұратовадан",
        "Мұратовамен",
        "Мұратовадағы",
    ],
)
def test_ova_surname_cases_with_given_name(found, form: str) -> None:
    assert found(f"Жансая {form} туралы айтылды.") == ["muratova"]


@pytest.mark.parametrize(
    "text",
    [
        "Серік Аминнің ісі қаралды.",  # nasal stem: -нің
        "Аминге жаза берілді.",
        "Аминді полиция ұстады.",
        "Аминнен хат келді.",
    ],
)
def test_nasal_final_surname(found, text: str) -> None:
    assert found(text) == ["amin"]


@pytest.mark.parametrize(
    "text",
    [
        "Калиевтин адвокаты шагым берди.",
        "Калиевка жаза берилди.",
        "Калиевке айып тагылды.",
        "Жаксыбайдын жактастары жиналды.",
    ],
)
def test_kazakh_typed_with_russian_letters(found, text: str) -> None:
    expected = "zhaksybay" if "Жаксыбай" in text else "kaliev"
    assert found(text) == [expected]


def test_hyphenated_given_name_and_kazakh_ending(wl) -> None:
    text = "Қасым-Жомарт Ахметовтың сөзі жарияланды."
    (m,) = wl.match(text)
    assert (m.entity_id, m.tier, m.surface) == ("akhmetov", "full_name", "Қасым-Жомарт Ахметовтың")


def test_explanation_names_the_ending(wl) -> None:
    (m,) = wl.match("Сот Қалиевке үш жыл жаза тағайындады.")
    assert m.explanation == "Қалиевке = Қалиев + dative -ке (kk)"
    (m,) = wl.match("Жансая Мұратоваға айып тағылды.")
    assert "Мұратоваға = Мұратова + dative -ға (kk)" in m.explanation
