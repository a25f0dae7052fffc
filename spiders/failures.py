"""Naming why a request failed, as the short `kind` stored in CrawlError and events."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as twisted_error
from twisted.internet.defer import CancelledError
from twisted.internet.defer import TimeoutError as DeferTimeoutError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from spiders.politeness import RateLimited
from spiders.ssrf import BlockedRequest

_BY_TYPE: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((BlockedRequest,), "blocked"),
    ((RateLimited,), "rate_limited"),
    ((DownloadTimeoutError, DeferTimeoutError, TimeoutError, twisted_error.TimeoutError,
      twisted_error.TCPTimedOutError), "timeout"),
    ((CannotResolveHostError, twisted_error.DNSLookupError), "dns"),
    ((DownloadConnectionRefusedError, ConnectionRefusedError, twisted_error.ConnectionRefusedError,
      twisted_error.ConnectError), "connection"),
    ((ResponseDataLossError, ResponseFailed, ResponseNeverReceived, twisted_error.ConnectionLost,
      twisted_error.ConnectionDone, DownloadFailedError), "connection_lost"),
)


def classify(exc: BaseException) -> str:
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    for types, kind in _BY_TYPE:
        if isinstance(exc, types):
            return kind
    message = str(exc).lower()
    if isinstance(exc, (DownloadCancelledError, CancelledError)) or any(
        marker in message for marker in ("max size", "download_maxsize")
    ):
        return "too_large"
    if isinstance(exc, IgnoreRequest):
        if "robots.txt" in message:
            return "robots"
        if "max redirections" in message:
            return "redirect_loop"
        return "ignored"
    return type(exc).__name__.lower()[:32]


def describe(failure: Failure) -> tuple[str, str]:
    """(kind, message) for an errback's failure."""
    exc = failure.value if failure.value is not None else RuntimeError("unknown failure")
    message = str(exc) or type(exc).__name__
    if isinstance(exc, HttpError):
        message = f"HTTP {exc.response.status} from {exc.response.url}"
    return classify(exc), message
