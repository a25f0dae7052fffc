"""What HTTP channels share: a POST bounded by a whole-send deadline, and Retry-After."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from notifier.channels.base import TransientError

MAX_RETRY_AFTER = 3600.0  # a longer wait is not believed: the outbox asks again in an hour


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


class BoundedPoster:
    """POSTs on a private event loop, so that asyncio.timeout bounds each send as a whole (httpx's
    own timeouts bound one read, and a server trickling bytes never trips them)."""

    def __init__(self, timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.timeout = timeout
        self._transport = transport
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None

    def post(self, url: str, content: bytes, headers: dict[str, str], seconds: float) -> httpx.Response:
        """The whole answer within `seconds`; TimeoutError or httpx.HTTPError otherwise."""
        if self._loop is None or self._client is None:
            self._loop = asyncio.new_event_loop()
            self._client = httpx.AsyncClient(timeout=self.timeout, transport=self._transport,
                                             follow_redirects=False)
        return self._loop.run_until_complete(_post_within(self._client, url, content, headers, seconds))

    def close(self) -> None:
        if self._loop is not None:
            if self._client is not None:
                self._loop.run_until_complete(self._client.aclose())
            self._loop.close()
        self._loop = self._client = None


async def _post_within(client: httpx.AsyncClient, url: str, content: bytes, headers: dict[str, str],
                       seconds: float) -> httpx.Response:
    async with asyncio.timeout(seconds):
        resp = await client.post(url, content=content, headers=headers)
        await resp.aread()
        return resp


def unreachable(what: str, exc: Exception) -> TransientError:
    """A network failure, named by kind only: the URL may hold a token."""
    return TransientError(f"{what} unreachable: {type(exc).__name__}", server=True)
