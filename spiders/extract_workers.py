"""Reading articles and feeds in worker processes beside the crawl: a hostile page costs only itself.

lxml, trafilatura, expat and feedparser run on whatever a site sends. In the crawl child
itself, a page that crashes the parser would end the whole crawl, and one that takes minutes
would stall every source of the child. In a worker, a crash or a hang is that page's `parse`
(or the feed's `feed_parse`) error: the worker is replaced (pebble's pool tells which task a
dead worker held, and stops a task past its time) and the crawl goes on.

The reading also runs beside the reactor, on a core of its own where there is one, and so
does all the per-page work on the text that needs no database: cleaning it and hashing it
for storage's copy checks and the soft-error check (`Read`). The crawl child's reactor
thread is what limits a crawl's pages per second (bench/ingest.py).

Workers are spawned, not forked: the crawl child has threads (the reactor's, the parent
watch), and a fork copies their locks in whatever state they are in. They import only
spiders.extract (the child runs as `python -m spiders`, whose `__main__` multiprocessing
does not import again in each worker). Each has its own process group, so the SIGTERM the
parent sends the crawl's group on a graceful stop leaves the pages in hand to be read; on
Linux the kernel kills a worker when the crawl child dies.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import resource
import signal
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import pebble

from spiders import parent
from spiders.extract import Extracted, ExtractionError, extract_article
from spiders.parse_feed import FeedError, FeedResult, parse_feed
from spiders.soft_errors import body_key
from storage.fingerprints import PreparedText, prepare_text

logger = logging.getLogger(__name__)
ExtractFunction = Callable[[str, str, str | None, str | None], Extracted]
FeedFunction = Callable[[bytes, str, str | None], FeedResult]
T = TypeVar("T")
# A worker is replaced after this many pages: what lxml's and trafilatura's caches hold only grows.
MAX_TASKS = 10_000
CLOSE_WAIT_S = 10.0


def worker_count(setting: int | Literal["auto"]) -> int:
    """Workers for a crawl child: "auto" is one per core but one (the reactor's), at least one."""
    if setting != "auto":
        return setting
    return max(1, min(4, (os.cpu_count() or 1) - 1))


def _start_worker(memory_bytes: int) -> None:
    """In each worker, first: outlive the group's SIGTERM, not the crawl child, and stay
    within its memory.

    Its own process group keeps the parent's SIGTERM to the crawl's group (and a terminal's
    Ctrl-C) from it; pebble's own SIGTERM, which stops a worker past its time, still works.
    The address-space limit turns a page that would take the machine's memory (a parser's
    runaway tree) into a MemoryError, or at worst a dead worker: that page's error only.
    """
    os.setpgrp()
    parent.set_death_signal(signal.SIGKILL)
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _warm_up() -> None:
    """Nothing: this module (and with it spiders.extract) is imported to unpickle the call."""


@dataclass(slots=True)
class Read:
    """An article page as a worker hands it back: the article, and what the crawl's checks
    need of its text, computed there."""

    article: Extracted
    text: PreparedText  # the title and body as storage keeps them, with their copy keys
    body_key: str  # the soft-error check's identity of the body


def read_page(function: ExtractFunction, html: str, url: str, fallback_language: str | None,
              zone: str | None) -> Read:
    article = function(html, url, fallback_language, zone)
    return Read(article, prepare_text(article.title, article.body), body_key(article.body))


def _feed_error(message: str) -> Exception:
    return FeedError("feed_parse", message)


class Extractor:
    """Article pages (`extract_article`) and feeds (`parse_feed`) read for the crawl's
    callbacks, in `workers` processes (0: in this one).

    `function` and `feed_function` are seams for tests (module-level functions, since workers
    import them).
    """

    def __init__(self, workers: int, timeout: float, function: ExtractFunction = extract_article,
                 feed_function: FeedFunction = parse_feed, memory_mb: int = 0) -> None:
        self.workers, self.timeout, self.function = workers, timeout, function
        self.memory_mb = memory_mb  # each worker's address space; 0: no limit
        self.feed_function = feed_function
        self._pool: pebble.ProcessPool | None = None

    @classmethod
    def inline(cls) -> Extractor:
        return cls(0, 0.0)

    def start(self) -> None:
        """Spawn the workers now (they take ~0.3 s CPU to start), so that the first page need not wait."""
        if self.workers and self._pool is None:
            self._pool = pebble.ProcessPool(max_workers=self.workers, max_tasks=MAX_TASKS,
                                            initializer=_start_worker,
                                            initargs=(self.memory_mb << 20,),
                                            context=multiprocessing.get_context("spawn"))
            self._pool.schedule(_warm_up)  # pebble starts its workers at the first task

    async def extract(self, html: str, url: str, fallback_language: str | None = None,
                      zone: str | None = None) -> Read:
        """The article of a page; ExtractionError when there is none, or its worker crashed
        or ran out of time on it. Any other exception is a bug of extraction's, raised here."""
        return await self._call(read_page, (self.function, html, url, fallback_language, zone), url,
                                "page", ExtractionError)

    async def parse_feed(self, body: bytes, url: str, header_charset: str | None = None) -> FeedResult:
        """The entries of a feed (spiders.parse_feed); FeedError when it is none, or when it
        crashed its worker or ran out of time."""
        return await self._call(self.feed_function, (body, url, header_charset), url, "feed",
                                _feed_error)

    async def _call(self, function: Callable[..., T], args: tuple[Any, ...], url: str, what: str,
                    failed: Callable[[str], Exception]) -> T:
        if not self.workers:
            return function(*args)
        self.start()
        assert self._pool is not None
        try:
            future = self._pool.schedule(function, args=args, timeout=self.timeout)
            result: T = await asyncio.wrap_future(future)
            return result
        except (BrokenProcessPool, RuntimeError) as exc:
            if self._pool.active:
                raise  # the pool runs: a bug of the function's own
            # No worker can be started (out of memory, of processes): read on in this one,
            # without the isolation, rather than lose every page of the run.
            logger.error("extraction workers unavailable (%s: %s); reading pages in the crawl "
                         "child from now on", type(exc).__name__, exc)
            self.workers = 0
            return function(*args)
        except FutureTimeout:
            raise failed(f"reading the {what} took longer than {self.timeout:g} s "
                         "(its worker was stopped)") from None
        except pebble.ProcessExpired as exc:
            how = f"signal {-exc.exitcode}" if exc.exitcode < 0 else f"exit status {exc.exitcode}"
            logger.warning("the extraction worker died on %s (%s); a new one takes over", url, how)
            raise failed(f"the {what} crashed its reader ({how})") from None
        except (ExtractionError, FeedError):
            raise
        except MemoryError:
            limit = (f"the {self.memory_mb} MiB a reader may use (crawl.extract_memory_mb)"
                     if self.memory_mb else "the memory the machine had")
            raise failed(f"reading the {what} took more than {limit}") from None
        except Exception as exc:  # a bug: keep where in the worker it happened
            remote = getattr(exc, "traceback", None)
            if isinstance(remote, str):
                exc.add_note(f"in the extraction worker:\n{remote.rstrip()}")
            raise

    def close(self) -> None:
        """Let the workers finish what they hold, then stop them (killed past CLOSE_WAIT_S)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        pool.close()  # type: ignore[no-untyped-call]  # pebble leaves it unannotated
        try:
            pool.join(timeout=CLOSE_WAIT_S)
        except TimeoutError:
            logger.warning("extraction workers still busy after %g s; stopping them", CLOSE_WAIT_S)
            pool.stop()  # type: ignore[no-untyped-call]
            pool.join()
