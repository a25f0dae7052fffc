"""Conditional GET for feeds and sitemaps, with validators kept in storage's HTTP cache.

Validators are saved only when the source's run ends `ok` with every article it requested
stored (spiders/recorder.py). Saving them as soon as a feed
arrives would be wrong: if an article of that feed then failed (or the child died), the
next run would get 304 and never retry it. Old validators are harmless: a changed feed no
longer matches them and comes back 200.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from spiders import signals
from spiders.context import CrawlContext
from storage import http_cache
from storage.http_cache import Validators

logger = logging.getLogger(__name__)
CONDITIONAL = "uw_conditional"  # meta flag set by spiders on feed and sitemap requests


def original_url(request: Request) -> str:
    """The URL as first requested: validators belong to what the next run will ask for."""
    redirects: list[str] = request.meta.get("redirect_urls") or []
    return redirects[0] if redirects else request.url


class ConditionalGetMiddleware:
    """Downloader middleware (order 560): adds If-None-Match / If-Modified-Since on the
    way out; reports a 200's validators on the way back, for the run recorder to save."""

    def __init__(self, crawler: Crawler, context: CrawlContext, enabled: bool) -> None:
        self.crawler = crawler
        self.context = context
        self.enabled = enabled

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        return cls(crawler, CrawlContext.of(crawler),
                   crawler.settings.getbool("UNIONWATCH_CONDITIONAL_GET", True))

    def process_request(self, request: Request) -> None:
        if not (self.enabled and request.meta.get(CONDITIONAL)):
            return None
        if b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers:
            return None
        try:
            found = http_cache.lookup(self.context.db, original_url(request))
        except Exception:  # no validators is only slower, never wrong
            logger.exception("reading HTTP validators for %s", request.url)
            return None
        if found:
            if found.etag:
                request.headers[b"If-None-Match"] = found.etag.encode("latin-1")
            if found.last_modified:
                request.headers[b"If-Modified-Since"] = found.last_modified.encode("latin-1")
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        if not (self.enabled and request.meta.get(CONDITIONAL)) or response.status != 200:
            return response
        etag = response.headers.get(b"ETag")
        modified = response.headers.get(b"Last-Modified")
        if etag or modified:
            validators = Validators(etag.decode("latin-1") if etag else None,
                                    modified.decode("latin-1") if modified else None)
            self.crawler.signals.send_catch_log(signals.validators_seen, url=original_url(request),
                                                validators=validators)
        return response
