"""Archiving every article fetch as WARC records: a downloader middleware next to the wire.

At order 950 it sits below HttpCompressionMiddleware (590), RedirectMiddleware (600) and
RetryMiddleware (550), so process_response sees each response as the server sent it: the
body still gzip/br-encoded with its Content-Encoding header, and every redirect and retried
answer of an article's chain (redirects copy the request's meta). Its process_request sees
the request headers after every other middleware has set them. The body is Scrapy's bytes
object, handed to warcio in a BytesIO (which shares it, no copy) and compressed in chunks,
so a page is never held twice.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy import signals as scrapy_signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from spiders import signals
from spiders.context import CrawlContext
from storage.evidence import CaptureFailed, CaptureWriter, Exchange
from storage.types import utcnow

logger = logging.getLogger(__name__)
CAPTURE = "uw_capture"  # meta: archive this request's responses (article pages)
# meta, set here: the response is archived, so the article row need not keep its HTML too
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


class CaptureMiddleware:
    """Downloader middleware: each response to a CAPTURE request goes to the evidence writer."""

    def __init__(self, crawler: Crawler, writer: CaptureWriter) -> None:
        self.crawler = crawler
        self.writer = writer
        crawler.signals.connect(self._spider_closed, signal=scrapy_signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureMiddleware:
        writer = CrawlContext.of(crawler).evidence
        if writer is None:
            raise NotConfigured("evidence capture is off")
        return cls(crawler, writer)

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
        try:
            self.writer.write(exchange)
            request.meta[CAPTURED] = True
        except CaptureFailed as exc:
            for url in exc.urls or [response.url]:
                self._failed(url, str(exc))
        except Exception as exc:  # a bug of ours must not cost the article
            logger.exception("capturing %s", response.url)
            self._failed(response.url, f"{type(exc).__name__}: {exc}")
        return response

    def _spider_closed(self) -> None:
        """The source's captures are indexed by the time its run is recorded."""
        try:
            self.writer.flush()
        except CaptureFailed as exc:
            for url in exc.urls:
                self._failed(url, str(exc))

    def _failed(self, url: str, message: str) -> None:
        """The article is still read and stored; the run records that its capture is missing."""
        self.crawler.signals.send_catch_log(signals.url_failed, url=url, kind="evidence",
                                            message=f"not archived: {message}")
