"""The WARC archive and its index: faults while writing, rotation, retention and reclaiming."""

from __future__ import annotations

import base64
import errno
import io
import os
import random
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from warcio.archiveiterator import ArchiveIterator

from storage import captures, evidence
from storage.articles import ArticleRecord, insert_articles
from storage.captures import CaptureRow
from storage.database import Database
from storage.evidence import CaptureFailed, CaptureWriter, Exchange, Settings
from storage.models import Article, Capture, Mention

T0 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def exchange(url: str, payload: bytes, when: datetime = T0, status: int = 200) -> Exchange:
    return Exchange(url=url, status=status, payload=payload, fetched_at=when, ip="127.0.0.1",
                    response_headers=[("Content-Type", "text/html; charset=utf-8")],
                    request_headers=[("User-Agent", "unionwatch-test")])


def page(n: int, size: int = 3000) -> bytes:
    """An HTML page that compresses about as badly as real text does."""
    text = base64.b64encode(random.Random(n).randbytes(size * 3 // 4)).decode()
    words = " ".join(text[i:i + 7] for i in range(0, len(text), 7))
    return f"<html><body><p>{words}</p></body></html>".encode()


def rows(db: Database) -> list[CaptureRow]:
    with db.read() as s:
        return captures.every(s)


def records_of(path: Path) -> list[str]:
    """The record types of a whole file, every digest checked (raises on a bad record)."""
    with open(path, "rb") as f:
        out = []
        for rec in ArchiveIterator(f, check_digests="raise"):
            rec.content_stream().read()
            out.append(rec.rec_type)
    return out


class FullDisk:
    """A file that takes `room` more bytes, then fails as a full disk does (ENOSPC)."""

    room: int | None = None

    def __init__(self, f: Any) -> None:
        self._f = f

    def write(self, data: bytes) -> int:
        if FullDisk.room is not None:
            if len(data) > FullDisk.room:
                part = FullDisk.room
                FullDisk.room = 0
                self._f.write(data[:part])  # a short write, as a filling disk gives
                raise OSError(errno.ENOSPC, "No space left on device")
            FullDisk.room -= len(data)
        return int(self._f.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)


def full_disk_opener(file: Any, mode: str) -> FullDisk:
    return FullDisk(open(file, mode))


def test_disk_full_mid_record_indexes_nothing_half_written_and_the_next_write_continues(
    db: Database, tmp_path: Path
) -> None:
    root = tmp_path / "ev"
    w = CaptureWriter(db, Settings(root), clock=lambda: T0, opener=full_disk_opener)
    w.write(exchange("http://a.example/1", page(1)))
    w.flush()
    FullDisk.room = 500  # the next record runs out of space part of the way in
    try:
        with pytest.raises(CaptureFailed, match="No space left"):
            w.write(exchange("http://a.example/2", page(2)))
    finally:
        FullDisk.room = None
    w.write(exchange("http://a.example/3", page(3)))  # space is back: the crawl goes on
    w.close()
    got = rows(db)
    assert [r.url for r in got] == ["http://a.example/1", "http://a.example/3"]
    [warc] = list(root.iterdir())
    # The partial record was cut off: the file is whole records only.
    assert records_of(warc) == ["warcinfo", "response", "request", "response", "request"]
    for r, n in zip(got, (1, 3), strict=True):
        assert evidence.read(root, r).payload == page(n)


def test_an_index_write_that_fails_leaves_no_record_behind(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ev"
    w = CaptureWriter(db, Settings(root), clock=lambda: T0)
    w.write(exchange("http://a.example/1", page(1)))
    w.flush()
    real_add: Callable[..., list[int]] = captures.add

    def refuse(*args: Any) -> list[int]:
        raise RuntimeError("database went away")

    monkeypatch.setattr(captures, "add", refuse)
    w.write(exchange("http://a.example/2", page(2)))
    w.write(exchange("http://a.example/3", page(3)))
    with pytest.raises(CaptureFailed) as failed:
        w.flush()
    assert failed.value.urls == ["http://a.example/2", "http://a.example/3"]
    monkeypatch.setattr(captures, "add", real_add)
    w.write(exchange("http://a.example/4", page(4)))
    w.close()
    assert [r.url for r in rows(db)] == ["http://a.example/1", "http://a.example/4"]
    [warc] = list(root.iterdir())
    assert records_of(warc) == ["warcinfo"] + ["response", "request"] * 2


def test_a_crashed_writers_partial_tail_is_cut_off_by_the_next_writer(db: Database, tmp_path: Path) -> None:
    root = tmp_path / "ev"
    w = CaptureWriter(db, Settings(root), clock=lambda: T0)
    w.write(exchange("http://a.example/1", page(1)))
    w.close()
    [warc] = list(root.iterdir())
    whole = warc.stat().st_size
    with open(warc, "ab") as f:  # what a writer killed in the middle of a record leaves
        f.write(evidence.record_bytes(root, rows(db)[0])[:700])
    w2 = CaptureWriter(db, Settings(root), clock=lambda: T0 + timedelta(hours=1))
    w2.write(exchange("http://a.example/2", page(2)))
    w2.close()
    assert [p.name for p in root.iterdir()] == [warc.name]
    assert rows(db)[1].offset == whole
    assert records_of(warc) == ["warcinfo"] + ["response", "request"] * 2


def test_files_rotate_by_size_and_by_day(db: Database, tmp_path: Path) -> None:
    root = tmp_path / "ev"
    now = [T0]
    w = CaptureWriter(db, Settings(root, max_file_bytes=4000), clock=lambda: now[0])
    for n in range(4):  # ~2.5 kB each compressed: a new file every second capture
        w.write(exchange(f"http://a.example/{n}", page(n)))
    now[0] = T0 + timedelta(days=1)
    w.write(exchange("http://a.example/next-day", page(9)))
    w.close()
    names = sorted(p.name for p in root.iterdir())
    assert len(names) == 3, names
    assert [n[len("unionwatch-"):][:8] for n in names] == ["20261101", "20261101", "20261102"]
    by_file: dict[str, int] = {}
    for r in rows(db):
        by_file[r.file] = by_file.get(r.file, 0) + 1
        evidence.read(root, r)
    assert sorted(by_file.values()) == [1, 2, 2]


def test_a_huge_page_is_not_held_twice(db: Database, tmp_path: Path) -> None:
    """10 MiB of payload: writing it allocates a small fraction of that beside the page itself."""
    payload = page(1, size=10 * 1024 * 1024)
    w = CaptureWriter(db, Settings(tmp_path / "ev"), clock=lambda: T0)
    tracemalloc.start()
    try:
        w.write(exchange("http://a.example/huge", payload))
        w.flush()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    w.close()
    assert peak < len(payload) // 5, f"peak {peak} bytes while archiving {len(payload)}"
    [row] = rows(db)
    assert row.payload_digest == evidence.sha256_label(payload)
    assert evidence.read(tmp_path / "ev", row).payload == payload


def stored_article(db: Database, url: str, *, matched: bool, mention: bool) -> int:
    with db.write() as s:
        [article_id] = insert_articles(s, [ArticleRecord(source_id="src", url=url, title=f"t {url}",
                                                         body="body", fetched_at=T0)])
        assert article_id is not None
        if matched:
            s.execute(update(Article).where(Article.id == article_id).values(matched_at=T0))
        if mention:
            s.add(Mention(article_id=article_id, entity_id="eleusinov", field="body", start=0, end=4,
                          surface="body", tier="exact"))
    return article_id


def test_retention_drops_unmatched_captures_and_reclaims_their_space(db: Database, tmp_path: Path) -> None:
    root = tmp_path / "ev"
    matched = stored_article(db, "http://a.example/matched", matched=True, mention=True)
    stored_article(db, "http://a.example/no-mention", matched=True, mention=False)
    stored_article(db, "http://a.example/not-matched-yet", matched=False, mention=False)
    w = CaptureWriter(db, Settings(root), clock=lambda: T0)
    urls = ["http://a.example/matched", "http://a.example/no-mention", "http://a.example/not-matched-yet",
            "http://a.example/no-article", "http://a.example/recent"]
    for n, url in enumerate(urls):
        w.write(exchange(url, page(n), when=T0 if n < 4 else T0 + timedelta(days=29)))
    w.close()
    [old_file] = list(root.iterdir())
    # A second file whose captures all expire goes as a whole.
    w2 = CaptureWriter(db, Settings(root), clock=lambda: T0 + timedelta(days=1))
    w2.write(exchange("http://a.example/other-day", page(7)))
    w2.close()
    # The files' own clock is the writers' clock: reclaim's grace reads their mtime, and the
    # real one would be later than the `now` below once the calendar has passed it.
    for path, when in ((old_file, T0), (next(p for p in root.iterdir() if p != old_file),
                                        T0 + timedelta(days=1))):
        os.utime(path, (when.timestamp(), when.timestamp()))
    before = {r.url: r for r in rows(db)}
    assert before["http://a.example/matched"].article_id == matched  # linked when the writer closed
    total = sum(p.stat().st_size for p in root.iterdir())

    done = evidence.apply_retention(db, root, 30, now=T0 + timedelta(days=31), grace=timedelta(0))

    after = {r.url: r for r in rows(db)}
    assert sorted(after) == ["http://a.example/matched", "http://a.example/not-matched-yet",
                             "http://a.example/recent"]
    assert done.dropped == 3 and done.files_deleted == 1 and done.files_compacted == 1
    files = list(root.iterdir())
    assert len(files) == 1 and files[0] != old_file and not old_file.exists()
    assert sum(p.stat().st_size for p in files) == total - done.bytes_freed
    assert done.bytes_freed > sum(before[u].length for u in before if u not in after)
    # The kept records were copied byte for byte: same digests, same record ids.
    for url, row in after.items():
        assert row.file == files[0].name
        assert (row.record_id, row.payload_digest) == (before[url].record_id, before[url].payload_digest)
        assert evidence.read(root, row).payload == page(urls.index(url))
    assert records_of(files[0]) == ["warcinfo"] + ["response", "request"] * 3
    # Nothing more to do the next time.
    again = evidence.apply_retention(db, root, 30, now=T0 + timedelta(days=31), grace=timedelta(0))
    assert again.as_dict() == {"dropped": 0, "files_deleted": 0, "files_compacted": 0, "bytes_freed": 0}


def test_reclaim_leaves_a_file_a_writer_holds(db: Database, tmp_path: Path) -> None:
    root = tmp_path / "ev"
    w = CaptureWriter(db, Settings(root), clock=lambda: T0)
    w.write(exchange("http://a.example/x", page(1)))
    w.flush()
    with db.write() as s:
        s.execute(Capture.__table__.delete())
    assert evidence.reclaim(db, root, grace=timedelta(0)).files_deleted == 0  # still being written
    w.close()
    assert evidence.reclaim(db, root, grace=timedelta(0)).files_deleted == 1


def test_reading_a_replaced_file_says_the_capture_is_gone(db: Database, tmp_path: Path) -> None:
    root = tmp_path / "ev"
    w = CaptureWriter(db, Settings(root), clock=lambda: T0)
    w.write(exchange("http://a.example/x", page(1)))
    w.close()
    [row] = rows(db)
    (root / row.file).write_bytes(io.BytesIO(b"not a warc at all" * 200).getvalue())
    with pytest.raises(evidence.CaptureGone, match=f"capture {row.id}"):
        evidence.read(root, row)
    _, problems = evidence.check(db, root)
    assert [p.capture_id for p in problems] == [row.id]


def test_a_compaction_that_cannot_finish_leaves_file_and_index_as_they_were(
    db: Database, tmp_path: Path
) -> None:
    root = tmp_path / "ev"
    w = CaptureWriter(db, Settings(root), clock=lambda: T0)
    for n in range(3):
        w.write(exchange(f"http://a.example/{n}", page(n)))
    w.close()
    [warc] = list(root.iterdir())
    first, _, last = rows(db)
    with db.write() as s:
        s.execute(Capture.__table__.delete().where(Capture.id == first.id))
    with open(warc, "r+b") as f:  # the last record cut short by hand: it cannot be copied
        f.truncate(last.offset + last.length // 2)
    before = rows(db)
    done = evidence.reclaim(db, root, grace=timedelta(0))
    assert done.files_compacted == 0
    assert list(root.iterdir()) == [warc] and rows(db) == before  # nothing half-done is left
    _, problems = evidence.check(db, root)
    assert [p.capture_id for p in problems] == [last.id]


def test_the_gzip_level_trades_space_for_time_and_reads_back_the_same(db: Database, tmp_path: Path) -> None:
    sizes = {}
    for level in (1, 9):
        root = tmp_path / f"ev{level}"
        w = CaptureWriter(db, Settings(root, gzip_level=level), clock=lambda: T0)
        w.write(exchange(f"http://a.example/{level}", page(7, size=60_000)))
        w.close()
        [row] = [r for r in rows(db) if r.url == f"http://a.example/{level}"]
        assert evidence.read(root, row).payload == page(7, size=60_000)
        assert row.payload_digest == evidence.sha256_label(page(7, size=60_000))
        sizes[level] = row.length
    assert sizes[1] > sizes[9]
