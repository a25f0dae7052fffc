"""Invisible characters, look-alike letters and spacing never break a match; offsets stay true."""

from __future__ import annotations

import pytest

from matching.normalise import clean

NBSP, SHY, ZWSP, ZWJ, WJ = "\u00a0", "\u00ad", "\u200b", "\u200d", "\u2060"


@pytest.mark.parametrize(
    "text",
    [
        f"Ерлан{NBSP}Қалиевке жаза берілді.",
        f"Ерлан Қа{SHY}лиев{SHY}ке жаза берілді.",
        f"Ерлан Қа{ZWSP}лиевке жаза берілді.",
        f"Ерлан Қалиев{ZWJ}ке жаза берілді.",
        f"Ер{WJ}лан Қалиевке жаза берілді.",
        "Ерлан Қалиевке жаза берілді.".replace("а", "a"),  # Latin a inside Cyrillic words
        "Eрлан Кaлиевке жаза берiлдi.",  # Latin E, a, i
    ],
)
def test_invisible_and_look_alike_characters(wl, text: str) -> None:
    mentions = wl.match(text)
    assert [m.entity_id for m in mentions] == ["kaliev"]
    (m,) = mentions
    assert m.surface == text[m.start : m.end]
    assert not m.surface[0].isspace() and m.surface[-1] not in (SHY, ZWSP, ZWJ, WJ)


def test_decomposed_letters_are_composed(found) -> None:
    assert clean("Сери\u0306к") == "Серйк"
    assert found("Жаксыба\u0438\u0306 келди.") == ["zhaksybay"]  # и + combining breve = й
    assert clean("Қа\u00adли\u200bев") == "Қалиев"


def test_offsets_point_into_the_original_text(wl) -> None:
    text = f"«{SHY}Жансая{NBSP}Мұратова» — деп жазды. Kaliyev’s lawyer, and ФПРК-ның төрағасы."
    mentions = wl.match(text)
    assert [m.entity_id for m in mentions] == ["muratova", "kaliev", "fprk"]
    for m in mentions:
        assert m.surface == text[m.start : m.end]
    assert mentions[0].surface == f"Жансая{NBSP}Мұратова"
    assert mentions[1].surface == "Kaliyev’s"
    assert mentions[2].surface == "ФПРК-ның"


def test_mentions_sorted_by_start(wl) -> None:
    text = "Калиев, Сокольский және ФПРК. Мұрат Жақсыбай мен Калиевке хат жазды."
    starts = [m.start for m in wl.match(text)]
    assert starts == sorted(starts) and len(starts) == 5


def test_empty_and_punctuation_only_text(wl) -> None:
    assert wl.match("") == []
    assert wl.match("… — «» !?") == []
