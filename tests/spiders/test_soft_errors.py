"""Soft error pages: error pages served with HTTP 200 are recognised; real pages never are.

The crawl end to end (not stored, fetched again next run) is in test_hostile.py."""

from __future__ import annotations

import gzip
import json

import pytest

from spiders.decoding import declared_encoding, detect_encoding
from spiders.extract import Extracted, ExtractionError, extract_article
from spiders.soft_errors import SoftErrorCheck, error_phrase, similarity
from tests.spiders.conftest import DATA
from tests.support.faults import ERROR_PAGES, FLAKY, flaky_article
from tests.support.fixture_site import FixtureSite
from tests.support.sources import DEMO_ARTICLE_PATHS, OUTLET_ARTICLE_PATHS

APACHE = ('<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN"><html><head><title>503 Service Unavailable'
          "</title></head><body><h1>Service Unavailable</h1><p>The server is temporarily unable to "
          "service your request due to maintenance downtime or capacity problems. Please try again "
          "later.</p></body></html>")
CLOUDFLARE = ("<html><head><title>Just a moment...</title></head><body><h1>Checking your browser "
              "before accessing rus.azattyq.org</h1><p>This process is automatic.</p></body></html>")
NOT_FOUND_KK = ('<html lang="kk"><head><title>Бет табылмады - Азаттық радиосы</title></head><body><main>'
                "<h1>Бет табылмады</h1><p>Басты бетке оралыңыз.</p></main></body></html>")


def extracted(html: str, url: str = "https://rus.azattyq.org/a/1.html") -> Extracted:
    return extract_article(html, url)


@pytest.mark.parametrize("name", ["nginx", "ru", "kk", "apache", "cloudflare", "not-found-kk", "front"])
def test_error_pages_are_recognised_with_or_without_a_feed_title(name: str) -> None:
    extra = {"apache": APACHE, "cloudflare": CLOUDFLARE, "not-found-kk": NOT_FOUND_KK}
    html = extra.get(name) or ERROR_PAGES[name]
    try:
        page = extracted(html)
    except ExtractionError as exc:  # too short to be an article: refused before this check
        assert "too short" in str(exc)
        return
    hint = "Суд оставил в силе решение по иску против Ларисы Харьковой"
    assert SoftErrorCheck().check("u", page.title, page.body, hint=hint, dated=page.dated) is not None
    if name != "front":  # a front page is told only by the feed's title for the link
        assert SoftErrorCheck().check("u", page.title, page.body, dated=page.dated) is not None


def test_a_date_guessed_from_the_footer_does_not_make_an_error_page_an_article() -> None:
    page = extracted(ERROR_PAGES["ru"])
    assert page.published_at is not None, "trafilatura guesses the date from '© 2024'"
    assert not page.dated


def test_one_text_at_two_links_with_different_titles_is_an_error_page_and_the_first_is_named() -> None:
    wall = extracted(ERROR_PAGES["wall"])
    check = SoftErrorCheck()
    assert check.check("u1", wall.title, wall.body, hint=FLAKY[5][1], dated=wall.dated) is None
    found = check.check("u2", wall.title, wall.body, hint=FLAKY[6][1], dated=wall.dated)
    assert found is not None and found.earlier == "u1"
    third = check.check("u3", wall.title, wall.body, hint="Третья статья о профсоюзах", dated=wall.dated)
    assert third is not None and third.earlier == "u1"


def test_one_article_at_two_links_is_a_duplicate_not_an_error_page() -> None:
    """The same text with the same title from the feed (or none): an alias of one article."""
    page = extracted(flaky_article(1, FLAKY[1][1]).decode())
    check = SoftErrorCheck()
    for url in ("https://x.org/a/1.html", "https://x.org/a/slug/1.html"):
        assert check.check(url, page.title, page.body, hint=FLAKY[1][1], dated=page.dated) is None
    check = SoftErrorCheck()
    for url in ("https://x.org/a/1.html", "https://x.org/amp/1.html"):
        assert check.check(url, page.title, page.body, dated=False) is None


@pytest.mark.parametrize(("title", "dated", "hint"), [
    ("Сервис eGov временно недоступен", True, None),  # the page dates itself
    ("Kaspi.kz временно недоступен", False, "Kaspi.kz временно недоступен"),  # the feed confirms
    ("Технические работы на линии метро продлятся до утра", False, None),  # a headline, not a phrase
    ("Қате шешім: сот үкімін қайта қарайды", False, None),
])
def test_news_about_outages_and_errors_is_kept(title: str, dated: bool, hint: str | None) -> None:
    page = extracted(flaky_article(8, title, dated).decode())
    assert page.dated is dated
    assert SoftErrorCheck().check("u", page.title, page.body, hint=hint, dated=page.dated) is None


def test_a_long_article_with_an_error_phrase_for_title_is_kept() -> None:
    body = "".join(f"<p>Абзац {n}: сервис не работал весь день, и пользователи жаловались в соцсетях "
                   "на задержки платежей и переводов.</p>" for n in range(12))
    page = extracted(f"<html><head><title>Сервис временно недоступен</title></head><body><article>"
                     f"<h1>Сервис временно недоступен</h1>{body}</article></body></html>")
    assert len(page.body) > 1000
    assert SoftErrorCheck().check("u", page.title, page.body, dated=False) is None


def served(site: FixtureSite, path: str) -> str:
    found = site.content(path)
    assert found is not None, path
    body, ctype = found
    declared = declared_encoding(ctype.encode(), body)
    return body.decode(detect_encoding(body, declared) or declared or "utf-8")


def test_no_fixture_article_is_taken_for_an_error_page() -> None:
    """Every article of the demo and outlet sites, one check per site (so the repeated-text
    rule sees them all), with no feed title and even as if the pages carried no date."""
    site = FixtureSite()
    site.base_url = "http://demo.test"
    checks: dict[str, SoftErrorCheck] = {}
    for path in (*DEMO_ARTICLE_PATHS, *OUTLET_ARTICLE_PATHS):
        page = extract_article(served(site, path), site.base_url + path)
        check = checks.setdefault(path.split("/")[1], SoftErrorCheck())
        for dated in (page.dated, False):
            assert check.check(site.base_url + path, page.title, page.body, dated=dated) is None, path


def real_pages() -> list[tuple[str, str, str | None]]:
    """(file, html, hand-checked title) of the real pages in tests/spiders/data."""
    pages = []
    for name in ("VoiceOfAmerica_2024_04_28", "Kommersant_2025_05_14"):
        html = gzip.decompress((DATA / f"{name}.html.gz").read_bytes()).decode("utf-8", "replace")
        title = json.loads((DATA / f"{name.split('_')[0]}.json").read_text(encoding="utf-8"))["V1"]["title"]
        pages.append((name, html, title))
    index = json.loads((DATA / "fundus" / "pages.json").read_text(encoding="utf-8"))
    for file, info in index.items():
        html = gzip.decompress((DATA / "fundus" / file).read_bytes()).decode("utf-8", "replace")
        pages.append((file, html, info["title"]))
    return pages


def test_no_real_page_is_taken_for_an_error_page() -> None:
    """Real pages of 14 publishers (the shortest and the undated of fundus's test set among
    them): with the true title as the feed's, with none, and as if undated."""
    check_with, check_without = SoftErrorCheck(), SoftErrorCheck()
    for name, html, title in real_pages():
        page = extract_article(html, f"https://example.org/{name}")
        for dated in (page.dated, False):
            assert check_with.check(name, page.title, page.body, hint=title, dated=dated) is None, name
            assert check_without.check(name, page.title, page.body, dated=dated) is None, name


def test_error_phrase_and_similarity() -> None:
    assert error_phrase("404 Not Found | Human Rights Watch") == "404 not found"
    assert error_phrase("Страница не найдена — Радио Азаттык") == "страница не найдена"
    assert error_phrase("Страница не найдена: как суд потерял материалы дела о профсоюзе") is None
    assert error_phrase("Профсоюз обжалует приговор") is None
    assert similarity("Суд оставил в силе решение по иску против Харьковой",
                      "Суд оставил в силе решение по иску против Ларисы Харьковой") >= 0.5
    assert similarity("Сервис временно недоступен", "Забастовка нефтяников") == 0.0


def test_daily_briefs_that_differ_only_in_numbers_are_two_articles() -> None:
    check = SoftErrorCheck()
    for day, rate in ((5, 450), (6, 452)):
        title = f"Курс доллара на {day} мая"
        body = f"Курс доллара на {day} мая составил {rate} тенге, сообщил Нацбанк."
        assert check.check(f"u{day}", title, body, hint=title, dated=True) is None


def test_body_key_keeps_exactly_the_characters_isalnum_keeps() -> None:
    """body_key's one regex pass drops what str.isalnum() drops, for every code point."""
    import hashlib

    from spiders.soft_errors import body_key

    every = "".join(chr(i) for i in range(0x30000) if not 0xD800 <= i < 0xE000)
    kept = "".join(ch for ch in every.casefold() if ch.isalnum())
    assert body_key(every) == hashlib.sha256(kept.encode("utf-8")).hexdigest()
    assert body_key("Ёлка, 2017 — ёлка!") == body_key("ёлка2017ЁЛКА")
