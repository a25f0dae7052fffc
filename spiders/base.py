"""What every source spider shares: entry requests, article requests, extraction, errors."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, ClassVar

import scrapy
from scrapy.exceptions import NotConfigured
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from spiders import signals
from spiders.capture import CAPTURE, archived
from spiders.context import CrawlContext
from spiders.events import PageKind
from spiders.extract import ExtractionError
from spiders.extract_workers import Extractor
from spiders.failures import describe
from spiders.jobspec import Language, LinkRegex, SourceSpec, SourceType, link_regex
from spiders.links import clean_link
from spiders.recorder import RunCounts
from spiders.soft_errors import SoftErrorCheck
from storage.articles import ArticleRecord, known_url_keys
from storage.types import utcnow
from storage.urls import url_key

logger = logging.getLogger(__name__)
ENTRY = "uw_entry"  # meta: this request is one of the source's configured URLs
HINTS = "uw_hints"  # meta: what a feed, sitemap or listing said about the article (small strings)
# Longer links than web servers take in a request line (Apache's LimitRequestLine is 8190,
# nginx's header buffers 8 kB) are reported, not requested. Scrapy's own limit (2,083, with
# only an INFO line for what it drops) is off: a tracking-laden article link is still an article.
MAX_URL_LENGTH = 8000


class SourceSpider(scrapy.Spider, ABC):
    """A spider bound to one configured source (a spider argument: `crawl(source=...)`).

    What it finds it reports with `page()` and `error()`, signals that the run recorder
    (spiders/recorder.py) counts and records.
    """

    kind: ClassVar[SourceType]

    def __init__(self, source: SourceSpec, **kwargs: Any) -> None:
        super().__init__(name=source.id, **kwargs)
        self.source = source
        self.link_re: LinkRegex | None = link_regex(source.link_pattern) if source.link_pattern else None
        self.cutoff: datetime | None = (
            utcnow() - timedelta(days=source.max_age_days)
            if source.max_age_days is not None
            else None
        )
        self.fallback_language = None if source.language == Language.AUTO else source.language.value
        self.soft_errors = SoftErrorCheck()

    @cached_property
    def context(self) -> CrawlContext:
        """What the child's crawlers share (database, events, URLs claimed this run)."""
        return CrawlContext.of(self.crawler)

    @property
    def counts(self) -> RunCounts:
        return RunCounts(self.crawler.stats)

    def page(self, url: str, kind: PageKind, entry: bool = False) -> None:
        """A page fetched and read."""
        self.crawler.signals.send_catch_log(signals.page_fetched, url=url, kind=kind, entry=entry)

    def error(self, url: str, kind: str, message: str, entry: bool = False) -> None:
        """A URL that failed; `entry`: one of the source's configured URLs."""
        self.crawler.signals.send_catch_log(signals.url_failed, url=url, kind=kind, message=message,
                                            entry=entry)

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.urls:
            yield self.entry_request(url)

    @abstractmethod
    def entry_request(self, url: str) -> scrapy.Request:
        """The first request for one of the source's URLs (feed, sitemap or listing page)."""

    def request(self, url: str, callback: Any, entry: bool = False, **meta: Any) -> scrapy.Request:
        return scrapy.Request(
            url, callback=callback, errback=self.on_error, meta={ENTRY: entry, **meta}
        )

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        entry = bool(request.meta.get(ENTRY)) if request is not None else False
        kind, message = describe(failure)
        self.error(url, kind, message, entry=entry)

    def not_modified(self, response: Response, kind: PageKind, entry: bool) -> bool:
        """A 304 to a conditional GET: nothing new behind this feed or sitemap."""
        if response.status != 304:
            return False
        self.page(response.url, kind, entry=entry)
        self.counts.inc("not_modified")
        return True

    def too_old(self, when: datetime | None) -> bool:
        return self.cutoff is not None and when is not None and when < self.cutoff

    def article_requests(
        self, candidates: Iterable[tuple[str, dict[str, str]]]
    ) -> Iterator[scrapy.Request]:
        """Requests for the article URLs not yet stored and not yet requested this run."""
        fresh: dict[str, tuple[str, dict[str, str]]] = {}
        for raw, hints in candidates:
            try:
                url = clean_link(raw)
                key = url_key(url)
            except ValueError as exc:  # a port past 65535, a broken IPv6 host: this link only
                self.error(raw[:2000], "bad_link", f"unusable link: {exc}")
                continue
            if not url.startswith(("http://", "https://")):
                continue
            if len(url) > MAX_URL_LENGTH:
                self.error(url[:2000], "bad_link", f"link of {len(url):,} characters, longer than "
                           f"web servers accept ({MAX_URL_LENGTH:,}); not fetched")
                continue
            if self.link_re is not None and not self.link_re.search(url):
                continue
            if key in self.context.claimed or key in fresh:
                continue
            fresh[key] = (url, hints)
        known = self.known([u for u, _ in fresh.values()])
        for key, (url, hints) in fresh.items():
            if url in known:
                self.counts.inc("already_known")
                continue
            self.context.claimed.add(key)
            self.counts.inc("articles_requested")
            yield scrapy.Request(
                url, callback=self.parse_article, errback=self.on_error, meta={HINTS: hints, CAPTURE: True}
            )

    def known(self, urls: list[str]) -> set[str]:
        """Those of these URLs whose article is stored already."""
        if not urls:
            return set()
        with self.context.db.read() as s:
            return known_url_keys(s, urls)

    @cached_property
    def extractor(self) -> Extractor:
        """The child's extraction workers; in this process when the crawler is not one of a
        crawl child's (a test's)."""
        try:
            return self.context.extractor
        except NotConfigured:
            return Extractor.inline()

    async def parse_article(self, response: Response) -> AsyncIterator[ArticleRecord]:
        self.page(response.url, PageKind.ARTICLE)
        if not isinstance(response, TextResponse):
            self.error(response.url, "not_html", "the article URL did not return text/HTML")
            return
        try:
            read = await self.extractor.extract(response.text, response.url, self.fallback_language,
                                                self.source.timezone)
        except ExtractionError as exc:
            self.error(response.url, "parse", f"parse failed: {exc}")
            return
        except Exception as exc:  # lxml and trafilatura can fail in many ways on bad markup
            logger.exception("%s: extraction crashed on %s", self.source.id, response.url)
            self.error(response.url, "parse", f"parse failed: {type(exc).__name__}: {exc}")
            return
        ex = read.article
        self.counts.inc(f"extracted/{ex.method}")
        hints: dict[str, str] = response.meta.get(HINTS) or {}
        soft = self.soft_errors.check(response.url, ex.title, ex.body, hint=hints.get("title"),
                                      dated=ex.dated, key=read.body_key)
        if soft is not None:  # not stored, so fetched again next run
            self.error(response.url, "soft_error", soft.reason)
            if soft.earlier is not None:
                self.crawler.signals.send_catch_log(
                    signals.withdraw_article, url=soft.earlier, kind="soft_error",
                    message=f"{soft.reason}; the same page came again at {response.url}")
            return
        captured = await archived(response)
        published = ex.published_at
        if published is None and hints.get("published"):
            published = datetime.fromisoformat(hints["published"])
        yield ArticleRecord(
            source_id=self.source.id,
            url=response.url,
            title=read.text.title,
            body=read.text.body,
            guid=hints.get("guid"),
            author=ex.author,
            published_at=published,
            language=ex.language,
            # An archived page's bytes are in its WARC capture, as sent; compressing them into
            # the row as well would cost ~0.5 ms and their space again.
            raw_html=None if captured else response.body,
            prepared=read.text,
            canonical=ex.canonical,
        )
