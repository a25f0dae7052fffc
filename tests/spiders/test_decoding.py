"""The encoding matrix of docs/crawling.md ("Text encodings"), through Scrapy's own response
classes and our middleware: exact strings, Kazakh letters intact, no U+FFFD, no mojibake."""

from __future__ import annotations

import re

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse

from spiders.decoding import EncodingFixMiddleware, cyrillic_score, detect_encoding
from tests.support.faults import ENCODING_CASES, EncodingCase, encoding_page

MOJIBAKE = re.compile("[ÃÐÑÏ]|Р[°±µ]|С[‚ЃЊ]")


def response_for(case: EncodingCase) -> HtmlResponse:
    ctype = "text/html" + (f"; charset={case.header_charset}" if case.header_charset else "")
    return HtmlResponse(
        url="http://demo.test/faults/enc/x",
        body=encoding_page(case),
        headers={"Content-Type": ctype},
        request=Request("http://demo.test/faults/enc/x"),
    )


@pytest.mark.parametrize("name", sorted(ENCODING_CASES))
def test_middleware_decodes_every_case(name: str) -> None:
    case = ENCODING_CASES[name]
    fixed = EncodingFixMiddleware().process_response(response_for(case).request, response_for(case))
    assert isinstance(fixed, TextResponse)
    text = fixed.text
    assert case.title in text
    assert case.body in text
    assert "\ufffd" not in text
    assert not MOJIBAKE.search(text), MOJIBAKE.search(text)


@pytest.mark.parametrize(
    "name", ["cp1251-header-utf8", "utf8-kk-header-cp1251", "utf8-kk-meta-koi8r"]
)
def test_scrapy_alone_gets_these_wrong(name: str) -> None:
    """Wrong labels: Scrapy trusts them and damages the text; the middleware does not.

    (Unlabelled pages Scrapy 2.19 now mostly gets right through charset-normalizer; the
    middleware still decides those by its own scoring, tested above.)"""
    case = ENCODING_CASES[name]
    assert case.body not in response_for(case).text


def test_correct_labels_are_left_alone() -> None:
    case = ENCODING_CASES["cp1251-meta-only"]
    resp = response_for(case)
    assert EncodingFixMiddleware().process_response(resp.request, resp) is resp
    utf8 = HtmlResponse(url="http://x/", body="<p>Қазақ тілі</p>".encode(),
                        headers={"Content-Type": "text/html; charset=utf-8"})
    assert EncodingFixMiddleware().process_response(Request("http://x/"), utf8) is utf8


def test_latin_pages_are_not_turned_cyrillic() -> None:
    body = "<p>Le café est très bon à Paris, déjà vu, Größe und Übermaß.</p>".encode("cp1252")
    assert detect_encoding(body, None) is None


def test_score_prefers_real_words() -> None:
    text = "Президент конфедерации заявил"
    assert cyrillic_score(text) > cyrillic_score(text.encode("cp1251").decode("koi8_r"))
    assert cyrillic_score(text) > cyrillic_score(text.encode("cp1251").decode("mac_cyrillic"))


@pytest.mark.parametrize(
    ("text", "encoding"),
    [("Акжанат", "cp1251"), ("Акжанат", "koi8_r"), ("<p>Лариса Харькова</p>", "koi8_r"),
     ("<p>Президент Казахстана</p>", "koi8_r")],
)
def test_tiny_bodies_scrapy_guesses_as_shift_jis(text: str, encoding: str) -> None:
    body = text.encode(encoding)
    scrapy_guess = HtmlResponse(url="http://x/", body=body, headers={"Content-Type": "text/html"})
    assert scrapy_guess.text != text  # Scrapy 2.19 + charset-normalizer: cp932, shift_jis...
    fixed = EncodingFixMiddleware().process_response(Request("http://x/"), scrapy_guess)
    assert isinstance(fixed, TextResponse)
    assert fixed.text == text
