"""Honouring Retry-After on 429 and 503, which Scrapy's RetryMiddleware ignores (scrapy#3849).

A short wait (up to UNIONWATCH_RETRY_AFTER_MAX seconds) holds every request to that host
until the time has passed, then retries within RETRY_TIMES. A longer one defers the host
to the next run: nothing more is requested from it in this run, and each request left is
recorded as `rate_limited`, so the operator sees what was not fetched.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task

from spiders.dates import http_date

logger = logging.getLogger(__name__)
RETRY_AFTER_STATUSES = frozenset({429, 503})
DEFAULT_MAX_WAIT = 60.0
# Per host, for the whole child: the sources of one host crawl one after another, and a
# wait asked of one source's requests binds the next source's too.
_NOT_BEFORE: dict[str, float] = {}  # host -> time.monotonic() to wait for
_DEFERRED: dict[str, str] = {}  # host -> why it waits for the next run


class RateLimited(IgnoreRequest):
    """The site asked us to come back later than this run can wait; kind `rate_limited`."""


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    when = http_date(text)
    if when is None:
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _host(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()


class RetryAfterMiddleware:
    """Downloader middleware at order 555: it sees a 429/503 before RetryMiddleware (550)
    would retry it at once, and holds requests to a waiting host before they are sent."""

    def __init__(self, crawler: Crawler, max_wait: float) -> None:
        self.crawler = crawler
        self.max_wait = max_wait
        self.not_before = _NOT_BEFORE
        self.deferred = _DEFERRED

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler, crawler.settings.getfloat("UNIONWATCH_RETRY_AFTER_MAX",
                                                      DEFAULT_MAX_WAIT))

    async def process_request(self, request: Request) -> None:
        host = _host(request.url)
        if host in self.deferred:
            raise RateLimited(self.deferred[host])
        remaining = self.not_before.get(host, 0.0) - time.monotonic()
        if remaining > 0:
            from twisted.internet import reactor

            await maybe_deferred_to_future(task.deferLater(reactor, remaining, lambda: None))
        return None

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in RETRY_AFTER_STATUSES:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            return response  # RetryMiddleware's usual immediate retries
        host = _host(request.url)
        if wait > self.max_wait:
            reason = (f"HTTP {response.status} with Retry-After {wait:.0f} s (over "
                      f"{self.max_wait:.0f} s): {host} deferred to the next run")
            self.deferred[host] = reason
            logger.warning(reason)
            raise RateLimited(reason)
        self.not_before[host] = max(self.not_before.get(host, 0.0), time.monotonic() + wait)
        assert self.crawler.spider is not None
        retry = get_retry_request(
            request, spider=self.crawler.spider, reason=f"retry-after {wait:.0f}s",
            max_retry_times=request.meta.get("max_retry_times"),
        )
        return retry if retry is not None else response
