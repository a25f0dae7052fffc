"""The capture thread: exchanges written in order off the caller's thread, each failure
reported to the source that sent it, in the caller's thread, and flush() as a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from spiders import capture_queue
from spiders.capture_queue import CaptureQueue
from storage import captures
from storage.database import Database
from storage.evidence import CaptureWriter, Exchange, Settings
from tests.storage.test_evidence import T0, FullDisk, exchange, full_disk_opener, page, records_of, rows


class Reactor:
    """Stands in for callFromThread: keeps what the capture thread asks to run, for the test
    thread to run."""

    def __init__(self) -> None:
        self.calls: list[Callable[[], None]] = []

    def __call__(self, function: Callable[[], None]) -> None:
        self.calls.append(function)

    def run(self) -> None:
        calls, self.calls = self.calls, []
        for f in calls:
            f()


class Reports:
    """A source's report: what it was told, and in which thread."""

    def __init__(self) -> None:
        self.got: list[tuple[str, str]] = []
        self.threads: set[str] = set()

    def __call__(self, url: str, message: str) -> None:
        self.got.append((url, message))
        self.threads.add(threading.current_thread().name)


def writer(db: Database, root: Path, **kw: Any) -> CaptureWriter:
    return CaptureWriter(db, Settings(root), clock=lambda: T0, **kw)


def test_exchanges_are_written_in_order_off_the_callers_thread(db: Database, tmp_path: Path) -> None:
    seen: list[str] = []
    w = writer(db, tmp_path / "ev")
    real_write = w.write

    def write(ex: Exchange) -> None:
        seen.append(threading.current_thread().name)
        real_write(ex)

    w.write = write  # type: ignore[method-assign]
    q = CaptureQueue(w, Reactor())
    urls = [f"http://a.example/{n}" for n in range(120)]  # more than one index batch
    futures = [q.write(exchange(u, page(n)), Reports()) for n, u in enumerate(urls)]
    assert q.flush() == []
    assert all(f.result() is True for f in futures)
    assert all(t.startswith("capture") for t in seen)
    q.close()
    got = rows(db)
    assert [r.url for r in got] == urls  # indexed in the order they came
    [warc] = list((tmp_path / "ev").iterdir())
    assert records_of(warc) == ["warcinfo"] + ["response", "request"] * len(urls)


def test_a_failed_write_is_false_and_reported_in_the_reactor_thread(db: Database, tmp_path: Path) -> None:
    reactor, report = Reactor(), Reports()
    q = CaptureQueue(writer(db, tmp_path / "ev", opener=full_disk_opener), reactor)
    ok = q.write(exchange("http://a.example/1", page(1)), report)
    assert ok.result() is True
    FullDisk.room = 500
    try:
        lost = q.write(exchange("http://a.example/2", page(2)), report)
        assert lost.result() is False  # so the article row keeps its page
    finally:
        FullDisk.room = None
    assert report.got == []  # not from the capture thread ...
    reactor.run()  # ... but when the reactor runs what it was handed
    [(url, message)] = report.got
    assert url == "http://a.example/2" and "No space left" in message
    assert report.threads == {threading.current_thread().name}
    q.close()
    assert [r.url for r in rows(db)] == ["http://a.example/1"]


def test_a_failed_batch_reports_each_exchange_to_its_own_source(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reactor, a, b = Reactor(), Reports(), Reports()
    q = CaptureQueue(writer(db, tmp_path / "ev"), reactor)

    def refuse(*args: Any) -> list[int]:
        raise RuntimeError("database went away")

    monkeypatch.setattr(captures, "add", refuse)
    for n in range(4):
        q.write(exchange(f"http://a.example/{n}", page(n)), a)
        q.write(exchange(f"http://b.example/{n}", page(n)), b)
    failed = q.flush()  # the barrier: every failure is reported by the time it returns
    assert len(failed) == 8 and all("database went away" in m for _, m in failed)
    assert [u for u, _ in a.got] == [f"http://a.example/{n}" for n in range(4)]
    assert [u for u, _ in b.got] == [f"http://b.example/{n}" for n in range(4)]
    reactor.run()  # the thread's own wake-up call finds nothing left to report
    assert len(a.got) == len(b.got) == 4
    monkeypatch.undo()
    q.write(exchange("http://a.example/again", page(9)), a)
    q.close()
    assert [r.url for r in rows(db)] == ["http://a.example/again"]


class Stalled:
    """A writer whose disk does not answer until `go` is set."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.written = 0
        self.pending = 0

    def write(self, ex: Exchange) -> None:
        self.go.wait(30)
        self.written += 1

    def flush(self) -> list[int]:
        return []

    def close(self) -> None:
        pass


def test_a_stalled_disk_holds_the_crawl_back_instead_of_queueing_pages(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(capture_queue, "MAX_QUEUED", 3)
    stalled = Stalled()
    q = CaptureQueue(stalled, Reactor())  # type: ignore[arg-type]
    for n in range(3):
        q.write(exchange(f"http://a.example/{n}", b"x"), Reports())
    more = threading.Thread(target=q.write, args=(exchange("http://a.example/3", b"x"), Reports()))
    more.start()
    more.join(0.5)
    assert more.is_alive(), "a fourth page should wait for room"
    stalled.go.set()
    more.join(30)
    assert not more.is_alive()
    q.close()
    assert stalled.written == 4


def test_failures_left_at_close_are_logged(db: Database, tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    def stopped(function: Callable[[], None]) -> None:
        raise RuntimeError("the reactor is not running")

    q = CaptureQueue(writer(db, tmp_path / "ev", opener=full_disk_opener), stopped)
    FullDisk.room = 10
    try:
        assert q.write(exchange("http://a.example/1", page(1)), Reports()).result() is False
    finally:
        FullDisk.room = None
    q.close()
    assert "http://a.example/1 not archived" in caplog.text
