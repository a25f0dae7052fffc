"""Evidence packages: the captures of some articles, their digests, tokens and custody, as WACZ.

The package is a WACZ file written by the `wacz` package (a zip that web-archive players
open: archive/*.warc.gz, CDX indexes, pages, datapackage.json with the SHA-256 of every
file in it, datapackage-digest.json). unionwatch's own files are its logs/:

- logs/manifest.json   the articles, and one entry per capture: where its WARC records lie
                       in archive/evidence.warc.gz, their SHA-256, the WARC digests, the token
- logs/custody.jsonl   the chain of custody, oldest first: fetched (when, from which IP, by
                       which software as its request said), time-stamped, re-checked, exported
- logs/capture-N.tsr   the RFC 3161 reply of the TSA for capture N, as it sent it (DER)
- logs/tsa-ca.pem      the CA certificates the TSA's replies were checked against, if any

What a token stamps is the SHA-256 of the capture's WARC records (response, then request)
uncompressed: the WARC headers (URL, time, IP address), the HTTP headers and the payload.
The records are copied byte for byte from the archive, gzip members and all.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import tempfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from warcio.archiveiterator import ArchiveIterator

FORMAT = "unionwatch-evidence/1"
WARC_NAME = "evidence.warc.gz"
WARC_PATH = f"archive/{WARC_NAME}"
MANIFEST = "logs/manifest.json"
CUSTODY = "logs/custody.jsonl"
CA_FILE = "logs/tsa-ca.pem"
COPY_CHUNK = 1 << 20


def token_path(capture_id: int) -> str:
    return f"logs/capture-{capture_id}.tsr"


class CaptureLike(Protocol):
    """A capture as the capture index holds it (storage.captures.CaptureRow)."""

    @property
    def id(self) -> int: ...
    @property
    def article_id(self) -> int | None: ...
    @property
    def url(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def file(self) -> str: ...  # relative to evidence.dir
    @property
    def offset(self) -> int: ...
    @property
    def length(self) -> int: ...
    @property
    def record_id(self) -> str: ...
    @property
    def payload_digest(self) -> str: ...
    @property
    def block_digest(self) -> str: ...
    @property
    def fetched_at(self) -> datetime: ...
    @property
    def ip(self) -> str | None: ...
    @property
    def status(self) -> int: ...


class StampLike(Protocol):
    """A capture's time-stamp row (storage.timestamps.TimestampRow)."""

    @property
    def state(self) -> str: ...
    @property
    def token(self) -> bytes | None: ...
    @property
    def imprint(self) -> str | None: ...
    @property
    def tsa_url(self) -> str | None: ...
    @property
    def gen_time(self) -> datetime | None: ...
    @property
    def serial(self) -> str | None: ...
    @property
    def attempts(self) -> int: ...
    @property
    def last_error(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class ArticleEntry:
    id: int
    url: str
    title: str
    source_id: str
    published_at: datetime | None
    fetched_at: datetime
    entities: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CustodyEvent:
    """A later event of an article's custody (a re-check), as the package's log shows it."""

    at: datetime
    event: str  # "rechecked", ...
    article_id: int
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Selection:
    """What was asked for: one article, or an entity's articles since a day."""

    article: int | None = None
    entity: str | None = None
    since: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (("article", self.article), ("entity", self.entity),
                                  ("since", self.since)) if v is not None}


@dataclass
class PackageSummary:
    path: Path
    articles: int = 0
    captures: int = 0
    stamped: int = 0
    missing: list[str] = field(default_factory=list)  # captures whose records could not be read


class CaptureUnreadable(Exception):
    """The capture's records are not where the index says (file gone, cut short, corrupt)."""


def iso(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at is not None else None


def read_range(evidence_dir: Path, capture: CaptureLike) -> bytes:
    """The capture's stored bytes (its gzip members) as the WARC file holds them."""
    path = evidence_dir / capture.file
    try:
        with path.open("rb") as fh:
            fh.seek(capture.offset)
            data = fh.read(capture.length)
    except OSError as exc:
        raise CaptureUnreadable(f"{path}: {exc.strerror or exc}") from None
    if len(data) != capture.length:
        raise CaptureUnreadable(f"{path} ends {capture.length - len(data)} bytes short of the capture")
    return data


def records_bytes(stored: bytes) -> bytes:
    """The WARC records of a stored range, uncompressed: what a capture's token stamps."""
    if stored[:2] != b"\x1f\x8b":
        return stored
    try:
        return gzip.decompress(stored)
    except (OSError, EOFError, ValueError, zlib.error) as exc:  # a changed byte breaks deflate
        raise CaptureUnreadable(f"its gzip data is corrupt ({exc})") from None


def stamped_message(evidence_dir: Path, capture: CaptureLike) -> bytes:
    """What the TSA is asked to stamp for a capture: its WARC records, uncompressed."""
    return records_bytes(read_range(evidence_dir, capture))


def request_user_agent(records: bytes) -> str | None:
    """The User-Agent the request record says was sent (which software fetched the page)."""
    try:
        for rec in ArchiveIterator(io.BytesIO(records)):
            if rec.rec_type == "request" and rec.http_headers is not None:
                value = rec.http_headers.get_header("User-Agent")
                return str(value) if value else None
    except Exception:  # a record warcio cannot parse has no User-Agent to report
        return None
    return None


def _timestamp_entry(capture_id: int, stamp: StampLike | None) -> tuple[dict[str, Any] | None, str]:
    if stamp is None:
        return None, "none"
    if stamp.token is None:
        return None, f"pending ({stamp.attempts} attempts; last error: {stamp.last_error})" \
            if stamp.attempts else "pending"
    return {"file": token_path(capture_id), "tsa_url": stamp.tsa_url, "gen_time": iso(stamp.gen_time),
            "serial": stamp.serial, "imprint_sha256": stamp.imprint}, "stamped"


def write_package(
    out: Path, *, evidence_dir: Path, articles: Sequence[ArticleEntry],
    captures: Sequence[CaptureLike], stamps: dict[int, StampLike], events: Sequence[CustodyEvent],
    selection: Selection, versions: dict[int, int] | None = None, software: str, exported_at: datetime,
    ca_pem: bytes | None = None,
    progress: Callable[[int], None] | None = None,
) -> PackageSummary:
    """Write the WACZ package to `out` (atomically: a temporary file renamed at the end)."""
    summary = PackageSummary(out, articles=len(articles))
    records: list[dict[str, Any]] = []
    custody: list[tuple[str, int, dict[str, Any]]] = []
    first_crawl: dict[int | None, int] = {}
    for order, cap in enumerate(captures):
        if cap.kind == "crawl":
            first_crawl.setdefault(cap.article_id, order)
    with tempfile.TemporaryDirectory(prefix="unionwatch-export-") as tmp:
        work = Path(tmp)
        logs = work / "logs"
        logs.mkdir()
        warc = work / WARC_NAME
        with warc.open("wb") as dst:
            for order, cap in enumerate(captures):
                try:
                    stored = read_range(evidence_dir, cap)
                    message = records_bytes(stored)
                except CaptureUnreadable as exc:
                    summary.missing.append(f"capture {cap.id} ({cap.url}): {exc}")
                    custody.append((iso(cap.fetched_at) or "", order, {
                        "event": "fetched", "capture_id": cap.id, "article_id": cap.article_id,
                        "url": cap.url, "ip": cap.ip, "status": cap.status,
                        "note": f"records not in the package: {exc}"}))
                    continue
                offset = dst.tell()
                dst.write(stored)
                stamp = stamps.get(cap.id)
                ts, ts_state = _timestamp_entry(cap.id, stamp)
                if ts is not None and stamp is not None and stamp.token is not None:
                    (logs / f"capture-{cap.id}.tsr").write_bytes(stamp.token)
                    summary.stamped += 1
                records.append({
                    "capture_id": cap.id, "article_id": cap.article_id, "kind": cap.kind, "url": cap.url,
                    "fetched_at": iso(cap.fetched_at), "ip": cap.ip, "status": cap.status,
                    "warc_record_id": cap.record_id, "warc_file": WARC_PATH, "offset": offset,
                    "length": len(stored), "sha256": hashlib.sha256(message).hexdigest(),
                    "payload_digest": cap.payload_digest, "block_digest": cap.block_digest,
                    "timestamp": ts, "timestamp_state": ts_state,
                    # The article version the capture holds: 1 for the first fetch, a re-check's
                    # new version when it found a change; None for a re-check that found none.
                    "version": (versions or {}).get(
                        cap.id, 1 if order == first_crawl.get(cap.article_id) else None),
                })
                custody.append((iso(cap.fetched_at) or "", order, {
                    "event": "fetched", "capture_id": cap.id, "article_id": cap.article_id, "kind": cap.kind,
                    "url": cap.url, "ip": cap.ip, "status": cap.status, "warc_record_id": cap.record_id,
                    "software": request_user_agent(message)}))
                if ts is not None:
                    custody.append((ts["gen_time"] or "", order, {
                        "event": "timestamped", "capture_id": cap.id, "tsa_url": ts["tsa_url"],
                        "serial": ts["serial"], "imprint_sha256": ts["imprint_sha256"]}))
                summary.captures += 1
                if progress:
                    progress(1)
        if not records:
            raise CaptureUnreadable("none of the selected captures could be read: "
                                    + "; ".join(summary.missing or ["there are none"]))
        for ev in events:
            custody.append((iso(ev.at) or "", len(captures), {"event": ev.event, "article_id": ev.article_id,
                                                              **ev.detail}))
        custody.sort(key=lambda c: (c[0], c[1]))
        lines = [{"at": at, **entry} for at, _, entry in custody]
        lines.append({"at": iso(exported_at), "event": "exported", "software": software,
                      "selection": selection.as_dict(), "captures": summary.captures,
                      "not_included": summary.missing})
        (logs / "custody.jsonl").write_text(
            "".join(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n" for line in lines),
            encoding="utf-8")
        manifest = {
            "format": FORMAT, "software": software, "exported_at": iso(exported_at),
            "selection": selection.as_dict(),
            "stamped_message": "SHA-256 of the capture's WARC records (response, then request), uncompressed",
            "tsa_certificates": CA_FILE if ca_pem else None,
            "articles": [{"id": a.id, "url": a.url, "title": a.title, "source": a.source_id,
                          "published_at": iso(a.published_at), "first_fetched_at": iso(a.fetched_at),
                          "entities": list(a.entities)} for a in articles],
            "records": records,
            "not_included": summary.missing,
        }
        (logs / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                            encoding="utf-8")
        if ca_pem:
            (logs / "tsa-ca.pem").write_bytes(ca_pem)
        titles = {a.id: a.title for a in articles}
        pages = work / "pages.jsonl"  # where a replay tool (ReplayWeb.page) opens: each capture
        pages.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in [
            {"format": "json-pages-1.0", "id": "pages", "title": "Captures"},
            *({"url": r["url"], "ts": r["fetched_at"], "title": f"{titles.get(r['article_id']) or r['url']} "
               f"({r['kind']}, {r['fetched_at']})"} for r in records)]), encoding="utf-8")
        _wacz(work / "package.wacz", warc, logs, pages, articles)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.partial")
        shutil.copyfile(work / "package.wacz", partial)
        os.replace(partial, out)
    return summary


def _wacz(target: Path, warc: Path, logs: Path, pages: Path, articles: Sequence[ArticleEntry]) -> None:
    from wacz.main import main as wacz_main

    args = ["create", "-o", str(target), str(warc), "--pages", str(pages), "--hash-type", "sha256",
            "--log-directory", str(logs), "--title", "unionwatch evidence package"]
    if len(articles) == 1:
        args += ["--desc", f"{articles[0].title} ({articles[0].url})"]
    noise = io.StringIO()  # the wacz tool narrates its steps on stdout, which is ours for --json
    with contextlib.redirect_stdout(noise):
        code = wacz_main(args)
    if code not in (0, None) or not target.exists():
        raise RuntimeError(f"the wacz tool failed: {noise.getvalue().strip()[-500:]}")

