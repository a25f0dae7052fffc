"""A watchlist of invented people, organisations and a topic (none of the development set's)."""

from __future__ import annotations

import pytest

from matching import EntitySpec, Watchlist, compile_watchlist

ENTITIES = (
    EntitySpec("kaliev", "person", "Yerlan Kaliyev", aliases=("Ерлан Қалиев",)),
    EntitySpec("muratova", "person", "Zhansaya Muratova", aliases=("Жансая Мұратова",), match="full_name"),
    EntitySpec("akhmetov", "person", "Kassym-Jomart Akhmetov", aliases=("Қасым-Жомарт Ахметов",)),
    EntitySpec("sokolsky", "person", "Andrei Sokolsky", aliases=("Андрей Сокольский",)),
    EntitySpec("sokolskaya", "person", "Olga Sokolskaya", aliases=("Ольга Сокольская",)),
    EntitySpec("sokolova", "person", "Natalya Sokolova", aliases=("Наталья Соколова",)),
    EntitySpec("amin", "person", "Serik Amin", aliases=("Серік Амин",)),
    EntitySpec("orlova", "person", "Ирина Орлова", exclude=("из Орлова",)),
    EntitySpec("pushkina", "person", "Анна Пушкина"),
    EntitySpec("seitov", "person", "Amin Seitov", aliases=("Әмин Сейітов",)),
    EntitySpec("zhaksybay", "person", "Murat Zhaksybay", aliases=("Мұрат Жақсыбай",)),
    EntitySpec("tasmagambetov", "person", "Asqar Tasmagambetov", aliases=("Асқар Тасмағамбетов",)),
    EntitySpec("pushkin", "person", "Дарын Пушкин"),
    EntitySpec(
        "fprk",
        "organisation",
        "Federation of Trade Unions of the Republic of Kazakhstan",
        aliases=(
            "Федерация профсоюзов Республики Казахстан",
            "Қазақстан Республикасы кәсіподақтары федерациясы",
            "ФПРК",
            "FTURK",
        ),
    ),
    EntitySpec(
        "union-court",
        "term",
        "unions in court",
        groups=(
            ("кәсіподақ", "профсоюз", "trade union"),
            ("сот", "суд", "court", "sentenced", "қылмыстық іс", "уголовное дело"),
        ),
    ),
    EntitySpec("strike", "term", "ереуіл", aliases=("забастовка", "strike")),
)


@pytest.fixture(scope="session")
def wl() -> Watchlist:
    return compile_watchlist(ENTITIES)


@pytest.fixture(scope="session")
def found(wl: Watchlist):  # type: ignore[no-untyped-def]
    """found(text) -> sorted ids of the entities matched in text."""
    return lambda text: sorted({m.entity_id for m in wl.match(text)})
