"""Stand-ins for extract_article that misbehave on cue, for the extraction workers' tests.

The spawned workers import them by name (tests.spiders.hostile_readers), so they live in a
module of their own, not in a test file.
"""

from __future__ import annotations

import os
import signal
import time

from spiders.extract import Extracted, ExtractionError, extract_article
from spiders.parse_feed import FeedResult, parse_feed


def _crash_or_hang(url: str) -> None:
    if "/crash" in url:
        os.kill(os.getpid(), signal.SIGSEGV)  # what a parser's bad pointer does
    if "/hang" in url:
        time.sleep(600)  # the hostile page's behaviour, cut short by the worker's time limit


def misbehaving_feed(body: bytes, url: str, header_charset: str | None) -> FeedResult:
    """Crash or hang when the URL says so; else parse the feed."""
    _crash_or_hang(url)
    return parse_feed(body, url, header_charset)


def misbehaving(html: str, url: str, fallback: str | None, zone: str | None) -> Extracted:
    """Crash, hang, fail or report the worker's pid when the URL says so; else extract."""
    _crash_or_hang(url)
    if "/bug" in url:
        raise KeyError("a bug in extraction")
    if "/none" in url:
        raise ExtractionError("no title")
    if "/pid" in url:
        return Extracted(title=str(os.getpid()), body=str(os.getpgrp()), published_at=None,
                         author=None, language=None, method="test")
    return extract_article(html, url, fallback, zone)


def greedy(html: str, url: str, fallback: str | None, zone: str | None) -> Extracted:
    """Take 4 GiB when the URL says so, as a parser building a runaway tree does; else extract."""
    if "/greedy" in url:
        hoard = [bytearray(64 << 20) for _ in range(64)]
        return Extracted(title=str(len(hoard)), body="", published_at=None, author=None,
                         language=None, method="test")
    return extract_article(html, url, fallback, zone)
