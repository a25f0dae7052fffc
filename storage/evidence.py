"""The evidence archive: WARC 1.1 files of HTTP exchanges, written with warcio, and read back.

Each exchange is a response record then a request record (WARC-Concurrent-To), each its own
gzip member, so the pair is one byte range of its file that reads, copies and exports alone.
Digests are SHA-256 in warcio's form, "sha256:" + base32.

Crash safety: records are written, flushed and fsynced, and only then indexed (one write
transaction per batch, storage/captures.py). A writer holds an flock on its file; the next
writer that continues a file first cuts it back to the end of its last indexed record, so a
record cut short by a crash, a full disk or a failed index write is never read as evidence.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import logging
import os
import secrets
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any, BinaryIO
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from storage import captures
from storage.captures import CaptureRow, NewCapture
from storage.database import Database
from storage.types import Clock, utcnow

logger = logging.getLogger(__name__)
SUFFIX = ".warc.gz"
PREFIX = "unionwatch-"
# zlib's level for the records' gzip members (config: evidence.gzip_level). On the 258 real
# pages of the fundus set (328 kB of HTML each): level 4 takes 3.1 ms a page for 19.8 % of
# the size, 6 takes 5.3 ms for 18.8 %, 9 (warcio's own) more still; compression was the
# largest part of capturing a page.
GZIP_LEVEL = 4
COPY_CHUNK = 1 << 20
FLUSH_EVERY = 50  # records, or FLUSH_SECONDS, whichever comes first
FLUSH_SECONDS = 2.0
# A file no index row points to is deleted by reclaim() only once it is this old: a writer
# creating a file right now has not indexed anything yet.
ORPHAN_GRACE = timedelta(hours=1)
# Hop-by-hop framing the HTTP client has already undone: kept under this name so that a
# reader does not try to de-chunk a payload that is stored de-chunked.
RENAMED_HEADERS = {"transfer-encoding": "X-Archive-Orig-Transfer-Encoding"}


class CaptureFailed(Exception):
    """Exchanges could not be archived (disk full, permissions); nothing of them is indexed.

    `urls`: the exchanges lost (a failed flush loses its whole batch; empty: the one written).
    """

    def __init__(self, message: str, urls: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.urls = list(urls)


class CaptureGone(Exception):
    """An indexed capture cannot be read: its file is missing, cut short or altered."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Where and how the archive is written (config.yaml's evidence section)."""

    root: Path
    max_file_bytes: int = 1 << 30
    rotate_daily: bool = True
    gzip_level: int = GZIP_LEVEL


@dataclass(slots=True)
class Exchange:
    """One HTTP request and its response as the client saw them; `payload` as received
    (still content-encoded, transfer-encoding undone)."""

    url: str
    status: int
    response_headers: list[tuple[str, str]]
    payload: bytes
    fetched_at: datetime
    ip: str | None = None
    method: str = "GET"
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    protocol: str = "HTTP/1.1"
    reason: str | None = None
    article_id: int | None = None
    kind: str = "crawl"


@dataclass(frozen=True, slots=True)
class Record:
    """A capture read back: its WARC headers, the HTTP response and its payload bytes."""

    warc_headers: list[tuple[str, str]]
    status: int
    http_headers: list[tuple[str, str]]
    payload: bytes
    request_line: str
    request_headers: list[tuple[str, str]]

    def warc_header(self, name: str) -> str | None:
        return next((v for k, v in self.warc_headers if k.lower() == name.lower()), None)

    def http_header(self, name: str) -> str | None:
        return next((v for k, v in self.http_headers if k.lower() == name.lower()), None)


class _Sha256Writer(WARCWriter):  # type: ignore[misc]
    """warcio's writer with SHA-256 digests (warcio's default is SHA-1)."""

    @staticmethod
    def _create_digester() -> Any:
        return Digester("sha256")


class _GzipMember:
    """One gzip member around one record (what warcio does, at a cheaper level)."""

    def __init__(self, out: IO[bytes], level: int = GZIP_LEVEL) -> None:
        self.out = out
        self.z = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)

    def write(self, data: bytes) -> None:
        self.out.write(self.z.compress(data))

    def flush(self) -> None:
        self.out.write(self.z.flush())


def sha256_label(data: bytes) -> str:
    """A digest in the records' form: "sha256:" + base32 of the SHA-256."""
    import base64

    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode("ascii")


def _http_date(when: datetime) -> str:
    return str(datetime_to_iso_date(when.astimezone(UTC).replace(tzinfo=None), use_micros=True))


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _try_lock(f: IO[bytes]) -> bool:
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _new_name(now: datetime) -> str:
    return f"{PREFIX}{now:%Y%m%d-%H%M%S}-{os.getpid()}-{secrets.token_hex(3)}{SUFFIX}"


def _day_of(name: str) -> str:
    return name.removeprefix(PREFIX)[:8]


def _warcinfo(writer: _Sha256Writer, name: str) -> Any:
    return writer.create_warcinfo_record(name, {
        "software": "unionwatch (warcio)",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "description": "unionwatch evidence: each article fetch as a response and a request record",
    })


class CaptureWriter:
    """Appends exchanges to the archive and indexes them in batches; one per crawl child.

    Not thread-safe: one thread at a time uses it (a crawl child's capture thread,
    spiders/capture_queue.py).
    """

    def __init__(self, db: Database, settings: Settings, clock: Clock = utcnow,
                 opener: Any = None) -> None:
        self.db, self.settings, self.clock = db, settings, clock
        self._open = opener or open  # a test's seam: a file object that fails as a full disk does
        self._file: BinaryIO | None = None
        self._name = ""
        self._synced_end = 0  # where the last indexed (or cut-back-to) record of the file ends
        self._pending: list[NewCapture] = []
        self._oldest = 0.0
        self._warc = _Sha256Writer(io.BytesIO(), gzip=False, warc_version="1.1")
        self.written: list[int] = []  # ids indexed by this writer

    @property
    def pending(self) -> int:
        """Exchanges written and not indexed yet."""
        return len(self._pending)

    # -- writing ------------------------------------------------------------------------

    def write(self, ex: Exchange) -> None:
        """Write the exchange's records; indexed at the next flush. CaptureFailed if it failed."""
        now = self.clock()
        try:
            f = self._file_for(now)
        except OSError as exc:
            raise CaptureFailed(f"cannot open a WARC file in {self.settings.root}: {exc}") from exc
        start = f.tell()
        try:
            resp, req = self._records(ex)
            self._write_record(f, resp)
            self._write_record(f, req)
            # To the OS now, not when the buffer fills: a full disk fails this exchange, not a
            # later one, and what a killed writer leaves on disk is all it wrote.
            f.flush()
            end = f.tell()
        except OSError as exc:
            self._cut_back(f, start)
            raise CaptureFailed(f"writing {self._name}: {exc.strerror or exc}") from exc
        h = resp.rec_headers
        if not self._pending:
            self._oldest = time.monotonic()
        self._pending.append(NewCapture(
            url=ex.url, file=self._name, offset=start, length=end - start,
            record_id=h.get_header("WARC-Record-ID"), payload_digest=h.get_header("WARC-Payload-Digest"),
            block_digest=h.get_header("WARC-Block-Digest"), payload_length=len(ex.payload),
            fetched_at=ex.fetched_at, ip=ex.ip, status=ex.status, article_id=ex.article_id, kind=ex.kind))
        if len(self._pending) >= FLUSH_EVERY or time.monotonic() - self._oldest > FLUSH_SECONDS:
            self.flush()

    def _records(self, ex: Exchange) -> tuple[Any, Any]:
        date = _http_date(ex.fetched_at)
        warc: dict[str, str] = {"WARC-Date": date}
        if ex.ip:
            warc["WARC-IP-Address"] = ex.ip
        headers = [(RENAMED_HEADERS.get(k.lower(), k), v) for k, v in ex.response_headers]
        reason = ex.reason or _reason(ex.status)
        http = StatusAndHeaders(f"{ex.status} {reason}".strip(), headers, protocol=ex.protocol)
        resp = self._warc.create_warc_record(ex.url, "response", payload=io.BytesIO(ex.payload),
                                             length=len(ex.payload), http_headers=http,
                                             warc_headers_dict=warc)
        parts = urlsplit(ex.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        req_headers = list(ex.request_headers)
        if not any(k.lower() == "host" for k, _ in req_headers):
            req_headers.insert(0, ("Host", parts.netloc))
        req_http = StatusAndHeaders(f"{ex.method} {target} {ex.protocol}", req_headers, is_http_request=True)
        req = self._warc.create_warc_record(ex.url, "request", payload=io.BytesIO(b""), length=0,
                                            http_headers=req_http, warc_headers_dict=dict(warc))
        req.rec_headers.add_header("WARC-Concurrent-To", resp.rec_headers.get_header("WARC-Record-ID"))
        return resp, req

    def _write_record(self, f: BinaryIO, record: Any) -> None:
        member = _GzipMember(f, self.settings.gzip_level)
        self._warc.out = member
        self._warc.write_record(record)

    def _cut_back(self, f: BinaryIO, to: int) -> None:
        """After a failed write: drop its partial bytes, or give up the file."""
        try:
            f.seek(to)
            f.truncate(to)
            f.flush()
        except OSError:
            logger.warning("could not cut %s back to %d; starting a new file", self._name, to)
            self._close_file()

    def flush(self) -> list[int]:
        """Sync the file, then index the pending records in one transaction; their ids.

        If the index write fails, the file is cut back to its last indexed record: what was
        not indexed is not kept, and the run's error log says so (the caller's CaptureFailed).
        """
        pending, self._pending = self._pending, []
        if not pending or self._file is None:
            return []
        f = self._file
        try:
            f.flush()
            os.fsync(f.fileno())
        except OSError as exc:
            self._cut_back(f, self._synced_end)
            raise CaptureFailed(f"syncing {self._name}: {exc.strerror or exc}",
                                [p.url for p in pending]) from exc
        try:
            with self.db.write() as s:
                ids = captures.add(s, pending)
        except Exception as exc:
            self._cut_back(f, self._synced_end)
            raise CaptureFailed(f"indexing the capture: {type(exc).__name__}: {exc}",
                                [p.url for p in pending]) from exc
        self._synced_end = f.tell()
        self.written.extend(ids)
        return ids

    def close(self) -> None:
        """Flush, link this writer's captures to their stored articles, release the file."""
        try:
            self.flush()
        finally:
            self._close_file()
        try:
            for i in range(0, len(self.written), 500):
                with self.db.write() as s:
                    captures.link_articles(s, self.written[i:i + 500])
        except Exception:  # the next retention pass links them
            logger.exception("linking captures to their articles")

    def _close_file(self) -> None:
        f, self._file = self._file, None
        if f is not None:
            with contextlib.suppress(OSError):
                f.close()  # closing releases the flock

    # -- files --------------------------------------------------------------------------

    def _file_for(self, now: datetime) -> BinaryIO:
        f = self._file
        if f is not None:
            day_changed = self.settings.rotate_daily and _day_of(self._name) != f"{now:%Y%m%d}"
            if day_changed or f.tell() >= self.settings.max_file_bytes:
                self.flush()
                self._close_file()
                f = None
        if f is None:
            f = self._continue(now) or self._create(now)
            self._file = f
        return f

    def _continue(self, now: datetime) -> BinaryIO | None:
        """Today's newest file with room that no one else writes, cut back to its last indexed
        record (a crashed writer's partial tail goes)."""
        root = self.settings.root
        if not root.is_dir():
            return None
        day = f"{now:%Y%m%d}" if self.settings.rotate_daily else ""
        names = sorted(p.name for p in root.glob(f"{PREFIX}{day}*{SUFFIX}"))
        for name in reversed(names[-3:]):
            path = root / name
            try:
                f: BinaryIO = self._open(path, "r+b")
            except OSError:
                continue
            ok = False
            try:
                if _try_lock(f):
                    with self.db.read() as s:
                        end = captures.indexed_end(s, name)
                    size = os.fstat(f.fileno()).st_size
                    if end is not None and end <= size and size < self.settings.max_file_bytes:
                        if size > end:
                            logger.warning("%s: cutting off %d bytes after its last indexed record "
                                           "(a write that did not finish)", name, size - end)
                            f.truncate(end)
                        f.seek(end)
                        ok = True
            except Exception:
                logger.exception("cannot continue %s; starting a new file", name)
            if ok:
                self._name, self._synced_end = name, end or 0
                return f
            f.close()
        return None

    def _create(self, now: datetime) -> BinaryIO:
        root = self.settings.root
        root.mkdir(parents=True, exist_ok=True)
        name = _new_name(now)
        fd = os.open(root / name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        f: BinaryIO = self._open(fd, "r+b")
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            self._write_record(f, _warcinfo(self._warc, name))
            f.flush()
            os.fsync(f.fileno())
        except OSError:
            f.close()
            with contextlib.suppress(OSError):
                (root / name).unlink()
            raise
        _fsync_dir(root)
        self._name, self._synced_end = name, f.tell()
        return f


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


# -- reading ------------------------------------------------------------------------------


def _path(root: Path, row: CaptureRow) -> Path:
    return root / row.file


def record_bytes(root: Path, row: CaptureRow) -> bytes:
    """The capture's records exactly as stored (gzip members), for export; CaptureGone if not there."""
    try:
        with open(_path(root, row), "rb") as f:
            f.seek(row.offset)
            data = f.read(row.length)
    except OSError as exc:
        raise CaptureGone(f"capture {row.id}: {row.file}: {exc.strerror or exc}") from exc
    if len(data) != row.length:
        raise CaptureGone(f"capture {row.id}: {row.file} is cut short (has {len(data)} of "
                          f"{row.length} bytes at offset {row.offset})")
    return data


def _headers(sh: Any) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in sh.headers]


def read(root: Path, row: CaptureRow, *, verify: bool = True) -> Record:
    """The capture read back from its file; with `verify`, its payload digest checked.

    CaptureGone names the capture and what is wrong; nothing else is raised for a bad file.
    """
    data = record_bytes(root, row)
    try:
        records = ArchiveIterator(io.BytesIO(data), check_digests=False)
        resp = next(records)
        payload = resp.raw_stream.read()
        warc_headers, http = _headers(resp.rec_headers), resp.http_headers
        status = int(http.get_statuscode()) if http is not None else 0
        http_headers = _headers(http) if http is not None else []
        req = next(records, None)
        request_line = f"{req.http_headers.protocol} {req.http_headers.statusline}" if req else ""
        request_headers = _headers(req.http_headers) if req is not None else []
    except CaptureGone:
        raise
    except Exception as exc:
        raise CaptureGone(f"capture {row.id}: {row.file} at offset {row.offset} is not a readable "
                          f"WARC record ({type(exc).__name__}: {exc})") from exc
    rec = Record(warc_headers, status, http_headers, payload, request_line, request_headers)
    if rec.warc_header("WARC-Record-ID") != row.record_id:
        raise CaptureGone(f"capture {row.id}: {row.file} at offset {row.offset} holds another record")
    if verify and sha256_label(payload) != row.payload_digest:
        raise CaptureGone(f"capture {row.id}: its payload no longer matches its digest {row.payload_digest}")
    return rec


def for_article(db: Database, root: Path, article_id: int) -> list[tuple[CaptureRow, Record | CaptureGone]]:
    """Every capture of the article, oldest first, each read back (or why it cannot be)."""
    with db.read() as s:
        rows = captures.for_article(s, article_id)
    out: list[tuple[CaptureRow, Record | CaptureGone]] = []
    for row in rows:
        try:
            out.append((row, read(root, row)))
        except CaptureGone as gone:
            out.append((row, gone))
    return out


# -- checking -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    capture_id: int
    article_id: int | None
    url: str
    file: str
    reason: str


def check(db: Database, root: Path, *, deep: bool = False) -> tuple[int, list[Problem]]:
    """(captures checked, those that are gone). Quick: each file is there and long enough
    and each capture's record starts where the index says; deep: digests recomputed too."""
    sizes: dict[str, int | None] = {}
    problems: list[Problem] = []
    checked, after = 0, 0
    while True:
        with db.read() as s:
            batch = captures.every(s, after, 1000)
        if not batch:
            break
        for row in batch:
            after, checked = row.id, checked + 1
            reason = _quick_check(root, row, sizes) if not deep else _deep_check(root, row)
            if reason:
                problems.append(Problem(row.id, row.article_id, row.url, row.file, reason))
    return checked, problems


def _quick_check(root: Path, row: CaptureRow, sizes: dict[str, int | None]) -> str | None:
    if row.file not in sizes:
        try:
            sizes[row.file] = _path(root, row).stat().st_size
        except OSError:
            sizes[row.file] = None
    size = sizes[row.file]
    if size is None:
        return f"file {row.file} is missing"
    if size < row.offset + row.length:
        return f"file {row.file} is cut short ({size} bytes; the record ends at {row.offset + row.length})"
    try:
        with open(_path(root, row), "rb") as f:
            f.seek(row.offset)
            head = f.read(min(row.length, 4096))
        text = zlib.decompressobj(zlib.MAX_WBITS + 16).decompress(head, 4096)
    except (OSError, zlib.error) as exc:
        return f"{row.file} at offset {row.offset}: not a gzip member ({exc})"
    if not text.startswith(b"WARC/") or row.record_id.encode() not in text:
        return f"{row.file} at offset {row.offset} holds another record"
    return None


def _deep_check(root: Path, row: CaptureRow) -> str | None:
    try:
        read(root, row, verify=True)
    except CaptureGone as gone:
        return str(gone).split(": ", 1)[-1]
    return None


# -- retention ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reclaimed:
    dropped: int = 0  # index rows forgotten
    files_deleted: int = 0
    files_compacted: int = 0
    bytes_freed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"dropped": self.dropped, "files_deleted": self.files_deleted,
                "files_compacted": self.files_compacted, "bytes_freed": self.bytes_freed}


def apply_retention(db: Database, root: Path, keep_unmatched_days: int, *,
                    now: datetime | None = None, grace: timedelta = ORPHAN_GRACE,
                    min_waste: float = 0.25) -> Reclaimed:
    """Link captures to their articles, forget expired ones, then reclaim their space."""
    now = now or utcnow()
    with db.write() as s:
        captures.link_articles(s)
    with db.write() as s:
        dropped = captures.drop_unmatched(s, now - timedelta(days=keep_unmatched_days))
    r = reclaim(db, root, now=now, grace=grace, min_waste=min_waste)
    return Reclaimed(dropped, r.files_deleted, r.files_compacted, r.bytes_freed)


def reclaim(db: Database, root: Path, *, now: datetime | None = None, grace: timedelta = ORPHAN_GRACE,
            min_waste: float = 0.25) -> Reclaimed:
    """Delete files no capture points to; rewrite files that are more than `min_waste` dead
    bytes, copying the live records (byte for byte) to a new file. Files a writer holds are
    left alone. A crash at any point leaves every index row pointing at a whole record."""
    now = now or utcnow()
    if not root.is_dir():
        return Reclaimed()
    deleted = compacted = freed = 0
    for path in sorted(root.glob(f"{PREFIX}*{SUFFIX}")):
        try:
            f = open(path, "rb")  # noqa: SIM115 - held open for its lock across the steps
        except OSError:
            continue
        with f:
            if not _try_lock(f):
                continue  # a crawl is writing it
            size = os.fstat(f.fileno()).st_size
            with db.read() as s:
                rows = captures.in_file(s, path.name)
            if not rows:
                age = now - datetime.fromtimestamp(path.stat().st_mtime, UTC)
                if age >= grace:
                    path.unlink()
                    deleted, freed = deleted + 1, freed + size
                continue
            live = sum(r.length for r in rows)
            if size - live - _warcinfo_length(f) <= min_waste * size:
                continue
            try:
                freed += size - _compact(db, root, path, f, rows, now)
            except (OSError, CaptureGone) as exc:  # this file stays as it is; `status` names its losses
                logger.error("cannot compact %s: %s", path.name, exc)
                continue
            compacted += 1
    if deleted or compacted:
        _fsync_dir(root)
    return Reclaimed(0, deleted, compacted, freed)


def _warcinfo_length(f: BinaryIO) -> int:
    """The length of the file's leading warcinfo record (0 if it has none)."""
    f.seek(0)
    try:
        it = ArchiveIterator(f)
        first = next(it, None)
        if first is None or first.rec_type != "warcinfo":
            return 0
        it.read_to_end(first)
        return int(it.get_record_offset() + it.get_record_length())
    except Exception:
        return 0
    finally:
        f.seek(0)


def _compact(db: Database, root: Path, path: Path, old: BinaryIO, rows: Sequence[CaptureRow],
             now: datetime) -> int:
    """Copy the live records to a new file, repoint the index in one transaction, delete the
    old file; the new file's size."""
    name = _new_name(now)
    new_path = root / name
    fd = os.open(new_path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        size, moves = _copy_live(root, path, old, rows, fd, name)
        with db.write() as s:  # committed: from here on the new file is the one indexed
            captures.move(s, moves)
    except BaseException:
        new_path.unlink(missing_ok=True)  # the index still points at the old file, which stays
        raise
    path.unlink()
    logger.info("compacted %s into %s (%d captures kept)", path.name, name, len(rows))
    return size


def _copy_live(root: Path, path: Path, old: BinaryIO, rows: Sequence[CaptureRow],
               fd: int, name: str) -> tuple[int, list[tuple[int, str, int]]]:
    """Write the new file (its warcinfo, then each live range verbatim) and sync it; its size,
    and where each capture now lies."""
    with open(fd, "r+b") as out:
        fcntl.flock(out.fileno(), fcntl.LOCK_EX)
        writer = _Sha256Writer(io.BytesIO(), gzip=False, warc_version="1.1")
        member = _GzipMember(out)
        writer.out = member
        writer.write_record(_warcinfo(writer, name))
        moves = []
        for row in rows:
            moves.append((row.id, name, out.tell()))
            old.seek(row.offset)
            left = row.length
            while left:
                chunk = old.read(min(left, COPY_CHUNK))
                if not chunk:
                    raise CaptureGone(f"{path.name} is cut short at capture {row.id}")
                out.write(chunk)
                left -= len(chunk)
        out.flush()
        os.fsync(out.fileno())
        size = out.tell()
        _fsync_dir(root)
    return size, moves


def iter_files(root: Path) -> Iterator[Path]:
    """The archive's WARC files, oldest name first."""
    if root.is_dir():
        yield from sorted(root.glob(f"{PREFIX}*{SUFFIX}"))

