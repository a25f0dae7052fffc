"""Comparison keys: every common spelling of a name meets the others, different names do not."""

from __future__ import annotations

import pytest

from matching.translit import key


@pytest.mark.parametrize(
    "spellings",
    [
        ("Елеусінов", "Елеусинов", "Yeleusinov", "Eleusinov", "Yeleussinov", "Eleūsinov", "Eleusınov"),
        ("Құшақбаев", "Кушакбаев", "Kushakbayev", "Kushakbaev", "Qushaqbaev", "Qūşaqbaev"),
        ("Қасым-Жомарт", "Kassym-Jomart", "Kasym-Zhomart", "Qasym-Jomart"),
        ("Харькова", "Kharkova", "Har'kova", "Harkova"),
        ("Қалиев", "Калиев", "Kaliyev", "Kaliev", "Qaliev"),
        ("Ерлан", "Yerlan", "Erlan"),
        ("Жансая", "Zhansaya", "Jansaia"),
        ("Наталья", "Natalya", "Natalia"),
        ("Сокольский", "Sokolsky", "Sokolskiy", "Sokolski"),
        ("Ғалымжан", "Galymzhan", "Ghalymzhan", "Ğalymjan"),
        ("Джаксыбеков", "Dzhaksybekov", "Djaksybekov", "Jaksybekov"),
        ("Әсел", "Asel", "Äsel"),
        ("Шевченко", "Shevchenko", "Ševčenko"),
    ],
)
def test_spellings_share_a_key(spellings: tuple[str, ...]) -> None:
    keys = {key(s) for s in spellings}
    assert len(keys) == 1, dict(zip(spellings, map(key, spellings), strict=True))


@pytest.mark.parametrize(
    ("a", "b"),
    [("Балтабай", "Балтабаев"), ("Амин", "Аминов"), ("Харьков", "Харькова"), ("Сейтов", "Сейітова")],
)
def test_different_names_differ(a: str, b: str) -> None:
    assert key(a) != key(b)
