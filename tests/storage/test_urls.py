from __future__ import annotations

import pytest

from storage.urls import canonical_url, url_key


@pytest.mark.parametrize(
    "variant",
    [
        "https://rus.azattyq.org/a/28503666.html",
        "http://rus.azattyq.org/a/28503666.html",
        "HTTPS://RUS.Azattyq.ORG/a/28503666.html",
        "https://rus.azattyq.org/a/28503666.html/",
        "https://rus.azattyq.org/a/28503666.html#comments",
        "https://rus.azattyq.org/a/28503666.html?utm_source=tg&utm_medium=social",
        "https://rus.azattyq.org:443/a/28503666.html?fbclid=abc",
        "https://rus.azattyq.org//a/28503666.html",
    ],
)
def test_variants_share_one_key(variant: str) -> None:
    assert url_key(variant) == url_key("https://rus.azattyq.org/a/28503666.html")


def test_meaningful_query_parameters_are_kept_and_sorted() -> None:
    a = canonical_url("https://fergananews.com/news.php?mode=snews&id=3343&utm_campaign=x")
    assert a == "https://fergananews.com/news.php?id=3343&mode=snews"
    assert url_key("https://example.org/news.php?id=1") != url_key("https://example.org/news.php?id=2")


def test_www_and_non_default_port() -> None:
    assert canonical_url("http://www.Example.org:8080/a/") == "https://example.org:8080/a"
    assert canonical_url("https://example.org") == "https://example.org/"


def test_path_case_is_kept() -> None:
    # Paths are case-sensitive on most servers; only scheme and host are folded.
    assert url_key("https://example.org/A/1") != url_key("https://example.org/a/1")
