"""Sitemaps (index, urlset, Google News) from bytes, gzipped or not, without entity expansion."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import lxml.etree
from scrapy.utils.gz import gunzip

from spiders.dates import parse_datetime
from spiders.parse_feed import FeedError, check_xml_safety

GZIP_MAGIC = b"\x1f\x8b"


@dataclass(slots=True)
class SitemapEntry:
    loc: str
    lastmod: datetime | None = None
    news_date: datetime | None = None  # <news:publication_date>
    title: str | None = None  # <news:title>

    @property
    def date(self) -> datetime | None:
        return self.news_date or self.lastmod


@dataclass(slots=True)
class Sitemap:
    kind: Literal["index", "urlset"]
    entries: list[SitemapEntry] = field(default_factory=list)


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _news(url_el: lxml.etree._Element) -> tuple[datetime | None, str | None]:
    for child in url_el:
        if _local(child.tag) == "news":
            date = title = None
            for el in child.iter():
                name = _local(el.tag)
                if name == "publication_date":
                    date = parse_datetime(el.text)
                elif name == "title":
                    title = (el.text or "").strip() or None
            return date, title
    return None, None


def parse_sitemap(body: bytes, max_size: int = 0) -> Sitemap:
    """Raises FeedError (kinds sitemap_parse, xml_entities, too_large)."""
    if body.startswith(GZIP_MAGIC):
        try:
            body = gunzip(body, max_size=max_size)
        except ValueError as exc:  # _DecompressionMaxSizeExceeded is a ValueError
            raise FeedError("too_large", f"gzipped sitemap: {exc}") from exc
        except (OSError, EOFError, zlib.error) as exc:
            raise FeedError("sitemap_parse", f"broken gzip: {exc}") from exc
    check_xml_safety(body)
    try:
        events = lxml.etree.iterparse(
            io.BytesIO(body),
            events=("start", "end"),
            recover=True,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            remove_comments=True,
            remove_pis=True,
            huge_tree=False,
        )
        root_kind: Literal["index", "urlset"] | None = None
        entries: list[SitemapEntry] = []
        for event, el in events:
            name = _local(el.tag)
            if event == "start":
                # The root decides the kind, even when the file is cut short.
                if root_kind is None and name in ("sitemapindex", "urlset"):
                    root_kind = "index" if name == "sitemapindex" else "urlset"
                continue
            if name in ("url", "sitemap"):
                loc = lastmod = None
                for child in el:
                    cname = _local(child.tag)
                    if cname == "loc":
                        loc = (child.text or "").strip()
                    elif cname == "lastmod":
                        lastmod = parse_datetime(child.text)
                if loc:
                    news_date, title = _news(el)
                    entries.append(SitemapEntry(loc, lastmod, news_date, title))
                el.clear()
    except lxml.etree.XMLSyntaxError as exc:
        if not entries:
            raise FeedError("sitemap_parse", f"not a sitemap: {exc}") from exc
    if root_kind is None:
        if not entries:
            raise FeedError("sitemap_parse", "no <urlset> or <sitemapindex> found")
        root_kind = "urlset"
    return Sitemap(root_kind, entries)
