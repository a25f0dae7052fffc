"""The three ways to find articles: a feed, a sitemap, a listing page with pagination."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import sitemap_urls_from_robots
from twisted.python.failure import Failure
from w3lib.encoding import http_content_type_encoding

from spiders.base import ENTRY, SourceSpider
from spiders.conditional import CONDITIONAL
from spiders.discovery import advertised_feeds
from spiders.events import PageKind
from spiders.failures import describe
from spiders.jobspec import SourceSpec, SourceType
from spiders.parse_feed import FeedError
from spiders.parse_sitemap import parse_sitemap

MAX_SITEMAP_NESTING = 3
LINK_TITLE_WORDS = 4  # a listing link's text this long is taken as the article's title
# Conditional GET; a 304 must reach the callback rather than be dropped as an HTTP error.
CONDITIONAL_META: dict[str, Any] = {CONDITIONAL: True, "handle_httpstatus_list": [304]}
logger = logging.getLogger(__name__)


class FeedReader(SourceSpider):
    """Reads feeds: the configured ones (FeedSpider) and those listing pages advertise."""

    async def parse_feed(self, response: Response) -> AsyncIterator[scrapy.Request]:
        entry = bool(response.meta.get(ENTRY))
        if self.not_modified(response, PageKind.FEED, entry):
            return
        content_type = response.headers.get(b"Content-Type") or b""
        charset = http_content_type_encoding(content_type.decode("latin-1"))
        try:
            feed = await self.extractor.parse_feed(response.body, response.url, charset)
        except FeedError as exc:
            self.page(response.url, PageKind.FEED)
            self.error(response.url, exc.kind, str(exc), entry=entry)
            return
        self.page(response.url, PageKind.FEED, entry=entry)
        if feed.problem:
            self.error(response.url, "feed_malformed", feed.problem)
        candidates = []
        for e in feed.entries:
            if self.too_old(e.published):
                continue
            hints = {"guid": e.guid or "", "title": e.title or ""}
            if e.published is not None:
                hints["published"] = e.published.isoformat()
            candidates.append((e.url, {k: v for k, v in hints.items() if v}))
        for request in self.article_requests(candidates):
            yield request


class FeedSpider(FeedReader):
    kind = SourceType.FEED

    def entry_request(self, url: str) -> scrapy.Request:
        return self.request(url, self.parse_feed, entry=True, **CONDITIONAL_META)


class SitemapSpider(SourceSpider):
    kind = SourceType.SITEMAP

    def entry_request(self, url: str) -> scrapy.Request:
        if url.rstrip("/").endswith("/robots.txt"):
            return self.request(url, self.parse_robots, entry=True)
        return self.request(url, self.parse_sitemap, entry=True, uw_nesting=0)

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        self.page(response.url, PageKind.SITEMAP, entry=True)
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            yield self.request(url, self.parse_sitemap, uw_nesting=0)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        entry = bool(response.meta.get(ENTRY))
        nesting: int = response.meta.get("uw_nesting", 0)
        if self.not_modified(response, PageKind.SITEMAP, entry):
            return
        max_size = self.settings.getint("DOWNLOAD_MAXSIZE")
        try:
            sitemap = parse_sitemap(response.body, max_size=max_size)
        except FeedError as exc:
            self.page(response.url, PageKind.SITEMAP)
            self.error(response.url, exc.kind, str(exc), entry=entry)
            return
        self.page(response.url, PageKind.SITEMAP, entry=entry)
        if sitemap.kind == "index":
            if nesting >= MAX_SITEMAP_NESTING:
                self.error(response.url, "sitemap_nesting", "sitemap index nested too deep")
                return
            for e in sitemap.entries:
                # An index entry's lastmod is the newest change inside that child.
                # Children are fetched conditionally; the index itself always in full, as a
                # 304 on it would leave us without the list of children.
                if not self.too_old(e.lastmod):
                    yield self.request(urljoin(response.url, e.loc), self.parse_sitemap,
                                       uw_nesting=nesting + 1, **CONDITIONAL_META)
            return
        candidates = []
        for e in sitemap.entries:
            if self.too_old(e.date):
                continue
            hints = {"published": e.news_date.isoformat()} if e.news_date else {}
            candidates.append((urljoin(response.url, e.loc), hints))
        yield from self.article_requests(candidates)


class ListingSpider(FeedReader):
    """Article links from a listing page and its next pages, plus the articles of any feed
    those pages advertise (each feed once per run; link_pattern and dedup apply as usual)."""

    kind = SourceType.LISTING

    def __init__(self, source: SourceSpec, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        if not source.link_selector:
            raise ValueError(f"listing source {source.id} has no link_selector")
        self.link_selector = source.link_selector
        self.discovered_feeds: set[str] = set()

    def entry_request(self, url: str) -> scrapy.Request:
        return self.request(url, self.parse_listing, entry=True, uw_page=1)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        entry = bool(response.meta.get(ENTRY))
        page: int = response.meta.get("uw_page", 1)
        if not isinstance(response, TextResponse):
            self.page(response.url, PageKind.LISTING)
            self.error(response.url, "not_html", "listing page is not HTML", entry=entry)
            return
        self.page(response.url, PageKind.LISTING, entry=entry)
        links: list[tuple[str, dict[str, str]]] = []
        for el in response.css(self.link_selector):
            href = el.attrib.get("href") or el.css("a::attr(href)").get()
            if href:
                # A link's text is the article's title when it is a headline, not "Read more".
                text = " ".join(" ".join(el.css("::text").getall()).split())
                hint = {"title": text[:300]} if len(text.split()) >= LINK_TITLE_WORDS else {}
                links.append((response.urljoin(href.strip()), hint))
        yield from self.article_requests(links)
        yield from self.feed_requests(response)
        if self.source.next_selector and page < self.source.depth:
            nxt = response.css(self.source.next_selector)
            href = (nxt.attrib.get("href") or nxt.css("a::attr(href)").get()) if nxt else None
            if href:
                yield self.request(response.urljoin(href.strip()), self.parse_listing,
                                   uw_page=page + 1)

    def feed_requests(self, response: TextResponse) -> Iterator[scrapy.Request]:
        for url in advertised_feeds(response):
            if url in self.discovered_feeds or url in self.source.urls:
                continue
            self.discovered_feeds.add(url)
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.on_feed_error,
                                 meta={ENTRY: False, **CONDITIONAL_META})

    def on_feed_error(self, failure: Failure) -> None:
        """A discovered feed that robots.txt disallows (Pangea's /api/) is policy, not an
        error of the source: logged, not recorded. Other failures are recorded as usual."""
        kind, message = describe(failure)
        if kind == "robots":
            request = getattr(failure, "request", None)
            logger.info("%s: advertised feed %s not fetched: %s", self.source.id,
                        request.url if request is not None else "?", message)
            return
        self.on_error(failure)


SPIDERS: dict[SourceType, type[SourceSpider]] = {
    s.kind: s for s in (FeedSpider, SitemapSpider, ListingSpider)
}


def spider_for(kind: SourceType) -> type[SourceSpider]:
    return SPIDERS[kind]

