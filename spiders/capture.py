"""Archiving every article fetch as WARC records: a downloader middleware next to the wire.

At order 950 it sits below HttpCompressionMiddleware (590), RedirectMiddleware (600) and
RetryMiddleware (550), so process_response sees each response as the server sent it: the
body still gzip/br-encoded with its Content-Encoding header, and every redirect and retried
answer of an article's chain (redirects copy the request's meta). Its process_request sees
the request headers after every other middleware has set them. The body is Scrapy's bytes
object, handed to warcio in a BytesIO (which shares it, no copy) and compressed in chunks,
so a page is never held twice. The records are written in the capture thread
(spiders/capture_queue.py); the article's callback awaits `archived()` before it decides
whether the row keeps the page's HTML.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future

from scrapy import Request
from scrapy import signals as scrapy_signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from spiders import signals
from spiders.capture_queue import CaptureQueue
from spiders.context import CrawlContext
from storage.evidence import Exchange
from storage.types import utcnow

logger = logging.getLogger(__name__)
CAPTURE = "uw_capture"  # meta: archive this request's responses (article pages)
# meta, set here: a Future[bool], whether the response is archived (see archived())
CAPTURED = "uw_captured"
ORDER = 950


def _headers(raw: object) -> list[tuple[str, str]]:
    """Scrapy's Headers as (name, value) pairs, one per value, in the order received."""
    out: list[tuple[str, str]] = []
    for name, values in raw.items():  # type: ignore[attr-defined]
        key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        for v in values:
            out.append((key, v.decode("latin-1") if isinstance(v, bytes) else str(v)))
    return out


async def archived(response: Response) -> bool:
    """Whether this response is in the evidence archive, so that the article row need not
    keep its HTML too; waits for its capture to be written."""
    future: Future[bool] | None = response.meta.get(CAPTURED)
    if future is None:
        return False
    if not future.done():
        await asyncio.wrap_future(future)
    return future.result()


class CaptureMiddleware:
    """Downloader middleware: each response to a CAPTURE request goes to the evidence writer."""

    def __init__(self, crawler: Crawler, queue: CaptureQueue) -> None:
        self.crawler = crawler
        self.queue = queue
        crawler.signals.connect(self._spider_closed, signal=scrapy_signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureMiddleware:
        queue = CrawlContext.of(crawler).evidence
        if queue is None:
            raise NotConfigured("evidence capture is off")
        return cls(crawler, queue)

    def process_response(self, request: Request, response: Response) -> Response:
        if not request.meta.get(CAPTURE):
            return response
        ip = response.ip_address
        exchange = Exchange(
            url=response.url,
            status=response.status,
            response_headers=_headers(response.headers),
            payload=response.body,
            fetched_at=utcnow(),
            ip=str(ip) if ip is not None else None,
            method=request.method,
            request_headers=_headers(request.headers),
            protocol=response.protocol or "HTTP/1.1",
        )
        # Set on this request's meta, not only copied from an earlier hop's: a redirect's
        # target has a capture of its own.
        request.meta[CAPTURED] = self.queue.write(exchange, self._failed)
        return response

    def _spider_closed(self) -> None:
        """The source's captures are indexed, and their failures recorded, by the time its
        run is recorded."""
        self.queue.flush()

    def _failed(self, url: str, message: str) -> None:
        """The article is still read and stored; the run records that its capture is missing."""
        self.crawler.signals.send_catch_log(signals.url_failed, url=url, kind="evidence",
                                            message=f"not archived: {message}")
