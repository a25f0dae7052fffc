"""sentence_span: the sentence around a mention, for digest snippets."""

from __future__ import annotations

from matching import sentence_span


def span_text(text: str, needle: str) -> str:
    start = text.index(needle)
    s, e = sentence_span(text, start, start + len(needle))
    return text[s:e]


def test_kazakh_russian_english_sentences() -> None:
    text = "Бірінші сөйлем. Сот Қалиевке жаза берді! Үшінші сөйлем?"
    assert span_text(text, "Қалиевке") == "Сот Қалиевке жаза берді!"
    text = "Первое. Суд освободил Сокольского… Дальше."
    assert span_text(text, "Сокольского") == "Суд освободил Сокольского…"
    text = "First one. Was Kaliyev sentenced? Yes."
    assert span_text(text, "Kaliyev") == "Was Kaliyev sentenced?"


def test_initials_and_abbreviations_do_not_end_a_sentence() -> None:
    text = "Начало. Суд оставил в силе приговор Ж. Муратовой в 2017 г. в Астане. Конец."
    assert span_text(text, "Муратовой") == "Суд оставил в силе приговор Ж. Муратовой в 2017 г. в Астане."


def test_quotes_and_newlines() -> None:
    text = "«Ол кінәлі емес», — деді адвокат.\nҚалиев үндемеді\nКелесі жол."
    assert span_text(text, "Қалиев") == "Қалиев үндемеді"
    text = "Он сказал: «Калиев невиновен.» Потом ушёл."
    assert span_text(text, "Калиев") == "Он сказал: «Калиев невиновен.»"


def test_long_sentences_are_clipped_around_the_mention() -> None:
    words = " ".join(f"сөз{i}" for i in range(200))
    text = f"{words} Қалиевке {words}."
    start = text.index("Қалиевке")
    s, e = sentence_span(text, start, start + len("Қалиевке"))
    assert s <= start and e >= start + len("Қалиевке")
    assert e - s <= 300
    assert text[s - 1] == " " and text[e] == " "  # cut on word bounds


def test_bounds_are_clamped() -> None:
    assert sentence_span("", 0, 0) == (0, 0)
    assert sentence_span("Қалиев.", -5, 100) == (0, 7)
