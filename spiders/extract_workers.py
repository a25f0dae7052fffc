"""Reading articles in worker processes beside the crawl: a hostile page costs only itself.

lxml and trafilatura run C code on whatever a site sends. In the crawl child itself, a page
that crashes the parser would end the whole crawl, and one that takes minutes would stall
every source of the child. In a worker, a crash or a hang is that page's `parse` error: the
worker is replaced (pebble's pool tells which task a dead worker held, and stops a task past
its time) and the crawl goes on. The reading also runs beside the reactor, on a core of its
own where there is one: on two cores the crawl child alone reads ~10 % more pages a second
(bench/ingest.py (d)), and `unionwatch crawl` no more, since the parent's matching shares
that core.

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
import signal
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Literal

import pebble

from spiders import parent
from spiders.extract import Extracted, ExtractionError, extract_article

logger = logging.getLogger(__name__)
ExtractFunction = Callable[[str, str, str | None, str | None], Extracted]
# A worker is replaced after this many pages: what lxml's and trafilatura's caches hold only grows.
MAX_TASKS = 10_000
CLOSE_WAIT_S = 10.0


def worker_count(setting: int | Literal["auto"]) -> int:
    """Workers for a crawl child: "auto" is one per core but one (the reactor's), at least one."""
    if setting != "auto":
        return setting
    return max(1, min(4, (os.cpu_count() or 1) - 1))


def _start_worker() -> None:
    """In each worker, first: outlive the group's SIGTERM, not the crawl child.

    Its own process group keeps the parent's SIGTERM to the crawl's group (and a terminal's
    Ctrl-C) from it; pebble's own SIGTERM, which stops a worker past its time, still works.
    """
    os.setpgrp()
    parent.set_death_signal(signal.SIGKILL)


def _warm_up() -> None:
    """Nothing: spiders.extract is imported to unpickle the call, and that is the point."""


class Extractor:
    """`extract_article` for the crawl's callbacks, in `workers` processes (0: in this one).

    `function` is a seam for tests (a module-level function, since workers import it).
    """

    def __init__(self, workers: int, timeout: float, function: ExtractFunction = extract_article) -> None:
        self.workers, self.timeout, self.function = workers, timeout, function
        self._pool: pebble.ProcessPool | None = None

    @classmethod
    def inline(cls) -> Extractor:
        return cls(0, 0.0)

    def start(self) -> None:
        """Spawn the workers now (they take ~0.3 s CPU to start), so that the first page need not wait."""
        if self.workers and self._pool is None:
            self._pool = pebble.ProcessPool(max_workers=self.workers, max_tasks=MAX_TASKS,
                                            initializer=_start_worker,
                                            context=multiprocessing.get_context("spawn"))
            self._pool.schedule(_warm_up)  # pebble starts its workers at the first task

    async def extract(self, html: str, url: str, fallback_language: str | None = None,
                      zone: str | None = None) -> Extracted:
        """The article of a page; ExtractionError when there is none, or its worker crashed
        or ran out of time on it. Any other exception is a bug of extraction's, raised here."""
        if not self.workers:
            return self.function(html, url, fallback_language, zone)
        self.start()
        assert self._pool is not None
        try:
            future = self._pool.schedule(self.function, args=(html, url, fallback_language, zone),
                                         timeout=self.timeout)
            return await asyncio.wrap_future(future)
        except (BrokenProcessPool, RuntimeError) as exc:
            if self._pool.active:
                raise  # the pool runs: a bug of the function's own
            # No worker can be started (out of memory, of processes): read on in this one,
            # without the isolation, rather than lose every page of the run.
            logger.error("extraction workers unavailable (%s: %s); reading pages in the crawl "
                         "child from now on", type(exc).__name__, exc)
            self.workers = 0
            return self.function(html, url, fallback_language, zone)
        except FutureTimeout:
            raise ExtractionError(f"reading the page took longer than {self.timeout:g} s "
                                  "(its worker was stopped)") from None
        except pebble.ProcessExpired as exc:
            how = f"signal {-exc.exitcode}" if exc.exitcode < 0 else f"exit status {exc.exitcode}"
            logger.warning("the extraction worker died on %s (%s); a new one takes over", url, how)
            raise ExtractionError(f"the page crashed its reader ({how})") from None
        except ExtractionError:
            raise
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
