"""Feeds and sitemaps from bytes: damage tolerated, entity tricks refused, nothing fetched."""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime

import pytest

from spiders.links import clean_link
from spiders.parse_feed import FeedError, parse_feed
from spiders.parse_sitemap import parse_sitemap
from tests.support.faults import feeds
from tests.support.fixture_site import FixtureSite

BASE = "http://demo.test"


@pytest.fixture(scope="module")
def site() -> FixtureSite:
    s = FixtureSite(now=datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    s.base_url = BASE
    return s


def served(site: FixtureSite, path: str) -> bytes:
    found = site.content(path)
    assert found is not None
    return found[0]


def test_pangea_feed(site: FixtureSite) -> None:
    feed = parse_feed(served(site, "/rus-azattyq/api/zrqiteuuir"), f"{BASE}/rus-azattyq/api/x")
    assert feed.problem is None
    urls = [e.url for e in feed.entries]
    assert f"{BASE}/rus-azattyq/a/28503666.html?utm_source=rss&utm_medium=feed" in urls
    e = next(e for e in feed.entries if "28503666" in e.url)
    assert e.guid == f"{BASE}/rus-azattyq/a/28503666.html"
    assert e.published == datetime(2017, 5, 23, 11, 30, tzinfo=UTC)
    assert e.title == "Бюро по правам человека призвало освободить Кушакбаева и Елеусинова"


def test_windows1251_feed_with_declaration(site: FixtureSite) -> None:
    body = served(site, "/vestnik/rss/news")
    assert body.startswith(b'<?xml version="1.0" encoding="windows-1251"?>')
    feed = parse_feed(body, f"{BASE}/vestnik/rss/news", header_charset=None)
    title = "Лидер профсоюзной конфедерации получила ограничение свободы"
    assert [e.title for e in feed.entries][-1] == title


def test_feed_declared_utf8_but_written_in_cp1251() -> None:
    body, _ = feeds(BASE)["cp1251-declared-utf8"]
    feed = parse_feed(body, f"{BASE}/faults/feed/x", header_charset="utf-8")
    assert [e.title for e in feed.entries] == [
        "Суд оставил в силе решение", "Лидер профсоюзной конфедерации"
    ]


def test_truncated_feed_keeps_what_can_be_read() -> None:
    body, _ = feeds(BASE)["truncated"]
    feed = parse_feed(body, f"{BASE}/faults/feed/truncated")
    assert feed.problem is not None and "malformed" in feed.problem
    assert [e.url for e in feed.entries][:2] == [
        f"{BASE}/rus-azattyq/a/29700843.html", f"{BASE}/rferl/a/29220970.html"
    ]


@pytest.mark.parametrize("name", ["invalid-url", "html"])
def test_not_a_feed_is_an_error_not_an_empty_feed(name: str) -> None:
    body, _ = feeds(BASE)[name]
    with pytest.raises(FeedError) as err:
        parse_feed(body, f"{BASE}/faults/feed/{name}")
    assert err.value.kind == "invalid_feed"


@pytest.mark.parametrize("name", ["billion-laughs", "xxe-file", "xxe-http"])
def test_entity_declarations_are_refused_fast(name: str) -> None:
    body, _ = feeds(BASE)[name]
    start = time.monotonic()
    with pytest.raises(FeedError) as err:
        parse_feed(body, f"{BASE}/faults/feed/{name}")
    assert err.value.kind == "xml_entities"
    assert time.monotonic() - start < 1.0


def test_external_dtd_is_dropped_not_fetched() -> None:
    body, _ = feeds(BASE)["external-dtd"]
    feed = parse_feed(body, f"{BASE}/faults/feed/external-dtd")
    assert [e.url for e in feed.entries] == [f"{BASE}/rferl/a/29220970.html"]


def test_feedparser_never_gets_a_path_or_url() -> None:
    """Bytes that look like a path must not be opened as a file by feedparser."""
    with pytest.raises(FeedError):
        parse_feed(b"/etc/passwd", "http://x/")


def test_atom_and_relative_links() -> None:
    atom = (b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            b'<title>x</title><entry><title>A</title><link href="/a/9.html"/><id>tag:x,9</id>'
            b"<updated>2017-05-16T10:00:00+05:00</updated></entry></feed>")
    feed = parse_feed(atom, "http://site.test/feeds/all")
    assert feed.entries[0].url == "http://site.test/a/9.html"
    assert feed.entries[0].published == datetime(2017, 5, 16, 5, 0, tzinfo=UTC)


def test_sitemap_index_and_gzipped_news_child(site: FixtureSite) -> None:
    index = parse_sitemap(served(site, "/rus-azattyq/sitemap.xml"))
    assert index.kind == "index"
    assert [e.loc for e in index.entries] == [
        f"{BASE}/rus-azattyq/sitemap_1_1.xml.gz", f"{BASE}/rus-azattyq/sitemap_1_news.xml.gz"
    ]
    gz = served(site, "/rus-azattyq/sitemap_1_news.xml.gz")
    assert gz[:2] == b"\x1f\x8b"
    news = parse_sitemap(gz)
    assert news.kind == "urlset"
    [entry] = news.entries
    assert entry.loc == f"{BASE}/rus-azattyq/a/33100002.html"
    assert entry.news_date == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    assert entry.title == "В Алматы начали ремонт дорог в центре города"


def test_sitemap_lastmod_and_trailing_slash_variant(site: FixtureSite) -> None:
    urlset = parse_sitemap(served(site, "/rus-azattyq/sitemap_1_1.xml.gz"))
    by_loc = {e.loc: e for e in urlset.entries}
    variant = f"{BASE}/rus-azattyq/a/28503666.html/"
    assert by_loc[variant].lastmod == datetime(2017, 5, 23, 11, 30, tzinfo=UTC)
    assert by_loc[variant].date == by_loc[variant].lastmod


def test_truncated_sitemap_index_is_still_an_index() -> None:
    body = (b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<sitemap><loc>http://x/s1.xml</loc></sitemap><sitemap><loc>http://x/s")
    sm = parse_sitemap(body)
    assert sm.kind == "index"
    assert sm.entries[0].loc == "http://x/s1.xml"


def test_sitemap_refuses_entities_and_bad_gzip_and_size() -> None:
    with pytest.raises(FeedError) as err:
        parse_sitemap(b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "b">]><urlset/>')
    assert err.value.kind == "xml_entities"
    with pytest.raises(FeedError) as err:
        parse_sitemap(b"\x1f\x8b\x08\x00garbage")
    assert err.value.kind == "sitemap_parse"
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    with pytest.raises(FeedError) as err:
        parse_sitemap(bomb, max_size=1_000_000)
    assert err.value.kind == "too_large"
    with pytest.raises(FeedError):
        parse_sitemap(b"not xml at all")


def test_links_are_requested_without_fragment_or_tracking_as_the_site_wrote_them() -> None:
    assert clean_link(" https://Www.X.org/a/1.html?p=2&utm_source=rss&fbclid=9&Ref=t#comments ") == (
        "https://Www.X.org/a/1.html?p=2")
    assert clean_link("https://x.org/a/1.html/") == "https://x.org/a/1.html/"


def test_character_references_xml_forbids_become_replacement_characters() -> None:
    from spiders.parse_feed import replace_invalid_charrefs

    assert replace_invalid_charrefs(b"&#xD800;&#0;&#x110000;&#31;&#x" + b"9" * 5000 + b";") == (
        b"&#xFFFD;" * 5)
    kept = b"&#x41;&#065;&#x0000000041;&#9;&#10;&#x1F600;&amp;&#xFFFD;"
    assert replace_invalid_charrefs(kept) == kept


def test_one_unusable_entry_costs_only_itself() -> None:
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            b"<item><title>a</title><link>http://[oops/a</link></item>"
            b"<item><title>b</title><link>https://x.org/b</link><guid>g-&#xDFFF;</guid></item>"
            b"</channel></rss>")
    feed = parse_feed(body, "https://x.org/feed")
    assert [(e.url, e.guid) for e in feed.entries] == [("https://x.org/b", "g-\ufffd")]
    assert feed.problem is not None and "Invalid IPv6 URL" in feed.problem
