"""The canonical URL a page declares: used only when it is the same site's and not its home page."""

from __future__ import annotations

import pytest

from spiders.canonical import declared, site
from spiders.extract import parse_html
from spiders.metadata import meta_map

PAGE = "https://www.azattyq.org/a/kushakbayev/28491234.html"


def canonical_of(head: str, url: str = PAGE) -> str | None:
    root = parse_html(f"<html><head>{head}</head><body><p>text</p></body></html>")
    return declared(root, meta_map(root), url)


@pytest.mark.parametrize(("head", "expected"), [
    ('<link rel="canonical" href="https://www.azattyq.org/a/28491234.html">',
     "https://www.azattyq.org/a/28491234.html"),
    ('<link href="/a/28491234.html" rel="Canonical">', "https://www.azattyq.org/a/28491234.html"),
    ('<meta content="https://www.azattyq.org/a/28491234.html" property="og:url">',
     "https://www.azattyq.org/a/28491234.html"),
    # The mobile and AMP hosts are the same site.
    ('<link rel="canonical" href="https://m.azattyq.org/a/28491234.html#top">',
     "https://m.azattyq.org/a/28491234.html"),
    # <link> wins over og:url.
    ('<meta property="og:url" content="https://azattyq.org/x/1"><link rel="canonical" href="/a/2.html">',
     "https://www.azattyq.org/a/2.html"),
])
def test_declared_canonical_urls_of_the_same_site(head: str, expected: str) -> None:
    assert canonical_of(head) == expected


@pytest.mark.parametrize("head", [
    "",
    '<link rel="canonical" href="https://www.rferl.org/a/28491234.html">',  # another site
    '<link rel="canonical" href="https://www.azattyq.org/">',  # the home page, on every page
    '<link rel="canonical" href="https://www.azattyq.org/a">',  # the section
    '<link rel="canonical" href="javascript:alert(1)">',
    '<link rel="canonical" href="http://[broken/a.html">',
    '<link rel="canonical" href="https://www.azattyq.org:8443/a/1.html">',  # another server
    '<link rel="alternate" href="https://www.azattyq.org/amp/a/1.html">',
])
def test_no_canonical_url_is_taken_from_elsewhere(head: str) -> None:
    assert canonical_of(head) is None


def test_a_site_is_its_host_without_rendering_labels() -> None:
    assert site("M.Azattyq.org.") == site("www.azattyq.org") == site("amp.azattyq.org") == "azattyq.org"
    assert site("rus.azattyq.org") != site("azattyq.org")  # another language edition
    assert site("m.kz") == "m.kz"
