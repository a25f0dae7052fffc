"""Extraction in worker processes: the same article as inline, and a page that crashes or
hangs its reader costs only itself (spiders/extract_workers.py)."""

from __future__ import annotations

import asyncio
import gzip
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from spiders.extract import Extracted, ExtractionError, extract_article
from spiders.extract_workers import Extractor, worker_count
from spiders.parse_feed import FeedError, parse_feed
from spiders.soft_errors import body_key
from storage.fingerprints import prepare_text
from tests.spiders.hostile_readers import greedy, misbehaving, misbehaving_feed
from tests.support.fixture_site import FixtureSite

ROOT = Path(__file__).resolve().parents[2]
PAGE_URL = "http://www.rferl.org/content/sokh-exclave-kyrgyzstan-uzbekistan/24877127.html"
REAL = Path(__file__).parent / "realpages"
PAGE = gzip.decompress((REAL / "rferl-2013-sokh-exclave-kyrgyzstan-uzbekistan-24877127.html.gz")
                       .read_bytes()).decode("utf-8")

FEED_URL = "http://demo.test/amnesty/en/feed/"


def _feed() -> bytes:
    site = FixtureSite()
    site.base_url = "http://demo.test"  # rendering only: no server needed
    found = site.content("/amnesty/en/feed/")
    assert found is not None
    return found[0]


FEED = _feed()


@pytest.fixture
def pool() -> Iterator[Extractor]:
    extractor = Extractor(1, timeout=2.0, function=misbehaving, feed_function=misbehaving_feed)
    extractor.start()
    try:
        yield extractor
    finally:
        extractor.close()


def read(extractor: Extractor, url: str, html: str = PAGE) -> Extracted:
    return asyncio.run(extractor.extract(html, url)).article


def pid_of_worker(extractor: Extractor) -> int:
    return int(read(extractor, "https://x.org/pid", "").title)


def test_a_page_read_in_a_worker_is_the_article_read_inline(pool: Extractor) -> None:
    assert read(pool, PAGE_URL) == extract_article(PAGE, PAGE_URL)
    assert pid_of_worker(pool) != os.getpid()


def test_a_page_that_crashes_its_worker_is_a_parse_error_and_the_next_page_is_read(pool: Extractor) -> None:
    before = pid_of_worker(pool)
    with pytest.raises(ExtractionError, match=r"crashed its reader \(signal 11\)"):
        read(pool, "https://x.org/crash")
    assert read(pool, PAGE_URL) == extract_article(PAGE, PAGE_URL)
    assert pid_of_worker(pool) != before  # a new worker took over


def test_a_page_that_hangs_is_stopped_at_the_time_limit_and_the_next_page_is_read(pool: Extractor) -> None:
    started = time.monotonic()
    with pytest.raises(ExtractionError, match=r"took longer than 2 s"):
        read(pool, "https://x.org/hang")
    assert time.monotonic() - started < 30  # not the page's 600 s
    assert read(pool, PAGE_URL) == extract_article(PAGE, PAGE_URL)


def test_the_worker_also_prepares_the_text_and_its_keys_as_inline(pool: Extractor) -> None:
    """What the crawl's thread no longer computes must be what it would have computed."""
    got = asyncio.run(pool.extract(PAGE, PAGE_URL))
    article = extract_article(PAGE, PAGE_URL)
    assert got.text == prepare_text(article.title, article.body)
    assert got.text.text_fingerprint is not None
    assert got.body_key == body_key(article.body)


def test_a_feed_read_in_a_worker_is_the_feed_read_inline_and_its_errors_keep_their_kind(
        pool: Extractor) -> None:
    got = asyncio.run(pool.parse_feed(FEED, FEED_URL))
    assert got == parse_feed(FEED, FEED_URL) and len(got.entries) == 2
    with pytest.raises(FeedError, match="not a feed") as refused:
        asyncio.run(pool.parse_feed(b"Invalid url", FEED_URL))
    assert refused.value.kind == "invalid_feed"


def test_a_feed_that_crashes_or_hangs_its_worker_is_a_feed_parse_error(pool: Extractor) -> None:
    with pytest.raises(FeedError, match=r"the feed crashed its reader \(signal 11\)") as crashed:
        asyncio.run(pool.parse_feed(FEED, "https://x.org/crash"))
    assert crashed.value.kind == "feed_parse"
    with pytest.raises(FeedError, match=r"reading the feed took longer than 2 s") as hung:
        asyncio.run(pool.parse_feed(FEED, "https://x.org/hang"))
    assert hung.value.kind == "feed_parse"
    assert asyncio.run(pool.parse_feed(FEED, FEED_URL)) == parse_feed(FEED, FEED_URL)


def test_no_article_stays_an_extraction_error_and_a_bug_keeps_its_traceback(pool: Extractor) -> None:
    with pytest.raises(ExtractionError, match="no title"):
        read(pool, "https://x.org/none")
    with pytest.raises(KeyError) as bug:
        read(pool, "https://x.org/bug")
    assert any("hostile_readers.py" in note for note in getattr(bug.value, "__notes__", []))


def test_a_page_that_takes_too_much_memory_is_a_parse_error_and_the_next_page_is_read() -> None:
    extractor = Extractor(1, timeout=30.0, function=greedy, memory_mb=1024)
    try:
        with pytest.raises(ExtractionError, match="more than the 1024 MiB a reader may use"):
            read(extractor, "https://x.org/greedy")
        assert read(extractor, PAGE_URL).title == extract_article(PAGE, PAGE_URL).title
    finally:
        extractor.close()


def test_a_worker_is_outside_the_crawls_process_group(pool: Extractor) -> None:
    """The parent's SIGTERM to the crawl's group on a graceful stop must not cost the pages
    a worker holds."""
    got = read(pool, "https://x.org/pid", "")
    assert int(got.body) == int(got.title) != os.getpgrp()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_the_workers_die_with_the_crawl_child(tmp_path: Path) -> None:
    """A crawl child killed outright (kill -9, the OOM killer) leaves no worker behind."""
    script = (
        "import asyncio, sys\n"
        "from spiders.extract_workers import Extractor\n"
        "from tests.spiders.hostile_readers import misbehaving\n"
        "e = Extractor(1, 5.0, misbehaving)\n"
        "print(asyncio.run(e.extract('', 'https://x.org/pid')).article.title, flush=True)\n"
        "sys.stdin.read()\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    worker = int(child.stdout.readline())
    child.kill()
    child.wait()
    assert _exits_within(worker, 10.0)


def _exits_within(pid: int, seconds: float) -> bool:
    """Whether process `pid` (not necessarily ours) ends within `seconds`: a pidfd turns
    readable when it does."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], seconds)
        return bool(ready)
    finally:
        os.close(fd)


def test_inline_extraction_runs_in_this_process() -> None:
    got = read(Extractor(0, 1.0, function=misbehaving), "https://x.org/pid", "")
    assert int(got.title) == os.getpid()


def test_auto_is_one_worker_per_core_but_one() -> None:
    assert worker_count(3) == 3
    assert worker_count(0) == 0
    assert worker_count("auto") == max(1, min(4, (os.cpu_count() or 1) - 1))


def test_closing_stops_the_workers() -> None:
    extractor = Extractor(1, 5.0, function=misbehaving)
    worker = pid_of_worker(extractor)
    extractor.close()
    assert not Path(f"/proc/{worker}").exists()  # ended and reaped


def test_when_no_worker_can_run_pages_are_read_in_the_crawl_child(pool: Extractor) -> None:
    """Out of memory or processes, the pool stops: the run reads on inline, not losing its pages."""
    assert pool._pool is not None
    pool._pool.stop()  # what pebble does when it cannot start a worker
    pool._pool.join()
    got = read(pool, "https://x.org/pid", "")
    assert int(got.title) == os.getpid()
    assert read(pool, PAGE_URL) == extract_article(PAGE, PAGE_URL)
    feed = asyncio.run(pool.parse_feed(FEED, FEED_URL))
    assert feed == parse_feed(FEED, FEED_URL)
