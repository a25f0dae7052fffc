"""Conditional GET for feeds and sitemaps, with validators kept in storage's HttpCache.

Validators are saved only when the source's run ends `ok`. Saving them as soon as a feed
arrives would be wrong: if an article of that feed then failed (or the child died), the
next run would get 304 and never retry it. Old validators are harmless: a changed feed no
longer matches them and comes back 200.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from sqlalchemy import select

from storage.articles import dialect_insert
from storage.database import Database
from storage.models import HttpCache
from storage.types import utcnow

logger = logging.getLogger(__name__)
CONDITIONAL = "uw_conditional"  # meta flag set by spiders on feed and sitemap requests
MAX_URL = 2048  # HttpCache.url length


def lookup(db: Database, url: str) -> tuple[str | None, str | None] | None:
    if len(url) > MAX_URL:
        return None
    with db.read() as s:
        row = s.execute(
            select(HttpCache.etag, HttpCache.last_modified).where(HttpCache.url == url)
        ).first()
    return (row[0], row[1]) if row else None


def save(db: Database, validators: dict[str, tuple[str | None, str | None]]) -> None:
    if not validators:
        return
    with db.write() as s:
        for url, (etag, last_modified) in validators.items():
            if len(url) <= MAX_URL:
                # An upsert: two sources may share a feed URL and finish at the same moment.
                values = {"etag": etag, "last_modified": last_modified, "checked_at": utcnow()}
                s.execute(dialect_insert(s)(HttpCache).values(url=url, **values)
                          .on_conflict_do_update(index_elements=[HttpCache.url], set_=values))


def original_url(request: Request) -> str:
    """The URL as first requested: validators belong to what the next run will ask for."""
    redirects: list[str] = request.meta.get("redirect_urls") or []
    return redirects[0] if redirects else request.url


class ConditionalGetMiddleware:
    """Downloader middleware (order 560): adds If-None-Match / If-Modified-Since on the
    way out; notes a 200's validators on the way back, for SourceRun.finish to save."""

    def __init__(self, crawler: Crawler, enabled: bool) -> None:
        self.crawler = crawler
        self.enabled = enabled

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        return cls(crawler, crawler.settings.getbool("UNIONWATCH_CONDITIONAL_GET", True))

    def _run(self) -> Any:
        return getattr(self.crawler.spider, "run", None)

    def process_request(self, request: Request) -> None:
        run = self._run()
        if not (self.enabled and run is not None and request.meta.get(CONDITIONAL)):
            return None
        if b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers:
            return None
        try:
            found = lookup(run.db, original_url(request))
        except Exception:  # no validators is only slower, never wrong
            logger.exception("reading HTTP validators for %s", request.url)
            return None
        if found:
            etag, last_modified = found
            if etag:
                request.headers[b"If-None-Match"] = etag.encode("latin-1")
            if last_modified:
                request.headers[b"If-Modified-Since"] = last_modified.encode("latin-1")
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        run = self._run()
        if not (self.enabled and run is not None and request.meta.get(CONDITIONAL)):
            return response
        if response.status == 200:
            etag = response.headers.get(b"ETag")
            modified = response.headers.get(b"Last-Modified")
            if etag or modified:
                run.validators[original_url(request)] = (
                    etag.decode("latin-1") if etag else None,
                    modified.decode("latin-1") if modified else None,
                )
        return response
