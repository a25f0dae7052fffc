"""The crawl child's evidence writer, run in a thread of its own, off the reactor's.

Building a page's WARC records, compressing them, hashing them, fsyncing the file and
indexing each batch took the reactor thread about a sixth of its time, and every fsync and
index write stopped it. One thread does it now, in the order the responses came; zlib,
hashlib, fsync and the database release the GIL while they work.

What the reactor sees of it:
- `write()` answers with a future: True once the exchange is written, False if it was not.
  A page is stored without its HTML only when its capture is written.
- A failure reaches the `report` given with its exchange, in the reactor thread. A batch's
  failed index write reports every exchange of the batch, each to its own source's report.
- `flush()` waits for every exchange queued before it, indexes them, and reports failures
  before it returns: what a source's close, and a re-check's lookup of its capture, rely on.
- At most MAX_QUEUED exchanges wait: past that, `write()` waits as the inline writer did,
  so a stalled disk holds back the crawl instead of filling memory with pages.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from storage.evidence import CaptureFailed, CaptureWriter, Exchange

logger = logging.getLogger(__name__)
MAX_QUEUED = 64
Report = Callable[[str, str], None]  # (url, message), called in the reactor thread
Failure = tuple[Report, str, str]


def _call_in_reactor(function: Callable[[], None]) -> None:
    from twisted.internet import reactor  # installed by the time a capture can fail

    reactor.callFromThread(function)


class CaptureQueue:
    """A CaptureWriter behind one thread; see the module's docstring."""

    def __init__(self, writer: CaptureWriter,
                 call_in_reactor: Callable[[Callable[[], None]], None] = _call_in_reactor) -> None:
        self.writer = writer
        self._call_in_reactor = call_in_reactor
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="capture")
        self._room = threading.BoundedSemaphore(MAX_QUEUED)
        self._failures: deque[Failure] = deque()
        # The report of each exchange not indexed yet; the capture thread's alone.
        self._owners: dict[str, Report] = {}

    # -- the reactor's side ---------------------------------------------------------------

    def write(self, exchange: Exchange, report: Report) -> Future[bool]:
        """Queue the exchange; its future says whether it was written."""
        self._room.acquire()
        try:
            future = self._thread.submit(self._write, exchange, report)
        except BaseException:
            self._room.release()
            raise
        future.add_done_callback(lambda _: self._room.release())
        return future

    def flush(self) -> list[tuple[str, str]]:
        """Index everything queued so far; the (url, message) of what failed, reported already."""
        self._thread.submit(self._flush).result()
        return self.deliver()

    def deliver(self) -> list[tuple[str, str]]:
        """Hand the failures noted so far to their reports (in the reactor thread)."""
        delivered = []
        while self._failures:
            report, url, message = self._failures.popleft()
            delivered.append((url, message))
            try:
                report(url, message)
            except Exception:
                logger.exception("reporting that %s was not archived", url)
        return delivered

    def _deliver_later(self) -> None:
        self.deliver()

    def close(self) -> None:
        """Write what is queued, stop the thread, then close the writer (after the reactor)."""
        self._thread.shutdown(wait=True)
        for _, url, message in self._failures:  # no source is listening any more
            logger.error("evidence: %s not archived: %s", url, message)
        self._failures.clear()
        self.writer.close()

    # -- the capture thread's side --------------------------------------------------------

    def _write(self, exchange: Exchange, report: Report) -> bool:
        self._owners[exchange.url] = report
        try:
            self.writer.write(exchange)
        except CaptureFailed as exc:
            self._failed(str(exc), exc.urls or [exchange.url], report)
            return False
        except Exception as exc:  # a bug of ours must not cost the article
            logger.exception("capturing %s", exchange.url)
            self._failed(f"{type(exc).__name__}: {exc}", [exchange.url], report)
            return False
        finally:
            if not self.writer.pending:
                self._owners.clear()  # all indexed: no batch left that could fail
        return True

    def _flush(self) -> None:
        try:
            self.writer.flush()
        except CaptureFailed as exc:
            self._failed(str(exc), exc.urls, None)
        self._owners.clear()

    def _failed(self, message: str, urls: list[str], report: Report | None) -> None:
        for url in urls:
            owner = self._owners.get(url, report)
            if owner is None:
                logger.error("evidence: %s not archived: %s", url, message)
            else:
                self._failures.append((owner, url, message))
        try:
            self._call_in_reactor(self._deliver_later)
        except Exception:  # the reactor has stopped: close() logs what is left
            logger.debug("no reactor to report to", exc_info=True)
