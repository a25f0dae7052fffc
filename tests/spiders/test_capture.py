"""Evidence capture end to end: a crawl child against the loopback site writes each article
fetch as WARC records whose payload is byte for byte what the server sent."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from spiders.jobspec import CrawlJob, EvidenceSpec
from storage import captures, evidence
from storage.database import Database
from storage.evidence import CaptureRow
from storage.models import Article
from tests.spiders.conftest import ROOT, make_job, run_job
from tests.support.faults import EVIDENCE_PATHS, encoded
from tests.support.fixture_site import FixtureSite
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def with_evidence(job: CrawlJob, root: Path, **kw: object) -> CrawlJob:
    return job.model_copy(update={"evidence": EvidenceSpec(dir=str(root), **kw)})  # type: ignore[arg-type]


def feed_job(db_url: str, site: FixtureSite, root: Path, feed: str = "/faults/feed/evidence",
             source: str = "ev") -> CrawlJob:
    job = make_job(db_url, [{"id": source, "type": "feed", "urls": [f"{site.base_url}{feed}"],
                             "language": "en"}])
    return with_evidence(job, root)


def served(site: FixtureSite, path: str) -> bytes:
    """The payload bytes the server put on the wire for this path."""
    if path.startswith("/faults/encoded/"):
        _, _, _, how, rest = path.split("/", 4)
        found = site.content("/" + rest)
        assert found is not None
        return encoded(how, found[0])
    found = site.content(path)
    assert found is not None
    return found[0]


def whole_file_ok(path: Path) -> list[str]:
    """Every record of the file parses and passes its digests; their types."""
    types = []
    with open(path, "rb") as f:
        for rec in ArchiveIterator(f, check_digests="raise"):
            rec.content_stream().read()
            types.append(rec.rec_type)
    return types


def article_ids(db: Database) -> dict[str, int]:
    with db.read() as s:
        return {url: i for i, url in s.execute(select(Article.id, Article.url))}


def raw_html_kept(db: Database) -> list[bool]:
    with db.read() as s:
        return [raw is not None for raw in s.scalars(select(Article.raw_html))]


def test_each_article_fetch_is_archived_as_sent(db_url: str, demosite: FixtureSite, tmp_path: Path) -> None:
    root = tmp_path / "evidence"
    result = run_job(tmp_path, feed_job(db_url, demosite, root))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.done("ev")["status"] == "ok", result.of("ev")
    db = Database(db_url)
    try:
        ids = article_ids(db)
        assert len(ids) == len(EVIDENCE_PATHS)
        for path in EVIDENCE_PATHS:
            url = demosite.base_url + path
            with db.read() as s:
                rows = captures.for_article(s, ids[url])
            assert len(rows) == 1, rows
            row = rows[0]
            assert row.article_id == ids[url]  # linked in the index, not only by URL
            assert (row.status, row.ip, row.url, row.kind) == (200, "127.0.0.1", url, "crawl")
            rec = evidence.read(root, row)
            wire = served(demosite, path)
            # The archived payload is the bytes the server sent, compressed or not.
            assert hashlib.sha256(rec.payload).hexdigest() == hashlib.sha256(wire).hexdigest()
            assert rec.warc_header("WARC-Payload-Digest") == row.payload_digest
            assert row.payload_digest == evidence.sha256_label(wire)
            assert rec.warc_header("WARC-Block-Digest") == row.block_digest
            assert row.block_digest.startswith("sha256:")
            assert rec.warc_header("WARC-Target-URI") == url
            assert rec.warc_header("WARC-IP-Address") == "127.0.0.1"
            assert rec.warc_header("WARC-Date") == row.fetched_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            assert rec.status == 200
            assert rec.http_header("Content-Type") == "text/html; charset=utf-8"
            assert (rec.http_header("Server") or "").startswith("fixturesite/1.0 ")
            assert rec.request_line == f"GET {path} HTTP/1.1"
            assert "unionwatch/0.1" in (dict(rec.request_headers).get("User-Agent") or "")
            if "/gzip/" in path:
                assert rec.http_header("Content-Encoding") == "gzip"
                assert rec.payload[:2] == b"\x1f\x8b"  # still gzip: as received, not as decoded
            if "/chunked/" in path:
                # Twisted undoes the chunking and keeps its framing headers to itself: the
                # payload is the de-chunked body, as WARC's payload digest wants it.
                assert rec.http_header("Transfer-Encoding") is None
        files = sorted(root.iterdir())
        assert len(files) == 1 and files[0].name.endswith(".warc.gz")
        assert whole_file_ok(files[0]) == ["warcinfo"] + ["response", "request"] * len(EVIDENCE_PATHS)
        checked, problems = evidence.check(db, root, deep=True)
        assert (checked, problems) == (len(EVIDENCE_PATHS), [])
        assert raw_html_kept(db) == [False] * len(EVIDENCE_PATHS)  # the capture holds the page
    finally:
        db.dispose()


def test_no_evidence_section_means_no_capture(db_url: str, demosite: FixtureSite, tmp_path: Path) -> None:
    feed = f"{demosite.base_url}/faults/feed/evidence"
    job = make_job(db_url, [{"id": "ev", "type": "feed", "urls": [feed]}])
    result = run_job(tmp_path, job)
    assert result.returncode == 0, result.stderr[-3000:]
    db = Database(db_url)
    try:
        with db.read() as s:
            assert captures.count(s) == 0
        assert len(article_ids(db)) == len(EVIDENCE_PATHS)
        assert raw_html_kept(db) == [True] * len(EVIDENCE_PATHS)
    finally:
        db.dispose()


def test_unwritable_evidence_dir_costs_the_captures_not_the_articles(
    db_url: str, demosite: FixtureSite, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the evidence folder should be")
    result = run_job(tmp_path, feed_job(db_url, demosite, blocked))
    assert result.returncode == 0, result.stderr[-3000:]
    errors = result.errors("ev", "evidence")
    assert len(errors) == len(EVIDENCE_PATHS), result.of("ev")
    assert all("not archived" in e["message"] and str(blocked) in e["message"] for e in errors)
    assert result.done("ev")["status"] == "partial"
    db = Database(db_url)
    try:
        assert len(article_ids(db)) == len(EVIDENCE_PATHS)  # the crawl went on
        assert raw_html_kept(db) == [True] * len(EVIDENCE_PATHS)  # not archived: the row keeps the page
        with db.read() as s:
            assert captures.count(s) == 0
    finally:
        db.dispose()


def all_captures(db: Database) -> list[CaptureRow]:
    with db.read() as s:
        return captures.every(s)


def test_killed_mid_run_then_next_run_continues_the_file_cleanly(
    db_url: str, demosite: FixtureSite, tmp_path: Path
) -> None:
    """kill -9 while pages are being archived: records written but not yet indexed are cut
    off by the next run, which continues the same file; every index row reads back whole."""
    root = tmp_path / "evidence"
    job = feed_job(db_url, demosite, root, feed="/faults/slowfeed?n=12&sleep=0.3", source="slow")
    proc = subprocess.Popen([sys.executable, "-m", "spiders", "-"], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdin is not None
    proc.stdin.write(job.model_dump_json())
    proc.stdin.close()
    db = Database(db_url)

    def unindexed_on_disk() -> bool:
        """Records written that the index does not have yet (it is written in batches). Looked
        at with the child frozen (SIGSTOP), so that it cannot index them before the kill; it
        runs on (SIGCONT) while the answer is no."""
        files = list(root.glob("*.warc.gz")) if root.is_dir() else []
        if not files:
            return False
        proc.send_signal(signal.SIGSTOP)
        with db.read() as s:
            end = captures.indexed_end(s, files[0].name)
        if end is not None and files[0].stat().st_size > end:
            return True
        proc.send_signal(signal.SIGCONT)
        return False

    try:
        wait_for(unindexed_on_disk, 60, "the child to archive pages it has not indexed yet")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    [warc] = list(root.glob("*.warc.gz"))
    killed_size = warc.stat().st_size
    # Whatever was half written stays out of reach of the index.
    try:
        before = all_captures(db)
        for row in before:
            evidence.read(root, row)
        assert killed_size > max((r.offset + r.length for r in before), default=0), \
            "the kill should leave records beyond the last indexed one"
        result = run_job(tmp_path, feed_job(db_url, demosite, root), "second")
        assert result.returncode == 0, result.stderr[-3000:]
        assert [f.name for f in root.glob("*.warc.gz")] == [warc.name]  # continued, not a new file
        after = all_captures(db)
        assert len(after) == len(before) + len(EVIDENCE_PATHS)
        for row in after:
            evidence.read(root, row)
        types = whole_file_ok(warc)
        assert types == ["warcinfo"] + ["response", "request"] * len(after)
        assert "cutting off" in result.stderr
    finally:
        db.dispose()


def test_flipped_byte_and_deleted_file_name_their_captures(
    db_url: str, demosite: FixtureSite, tmp_path: Path
) -> None:
    """check() and read() name the captures a hand-edited or deleted file lost; nothing else raises."""
    root = tmp_path / "evidence"
    result = run_job(tmp_path, feed_job(db_url, demosite, root))
    assert result.returncode == 0, result.stderr[-3000:]
    db = Database(db_url)
    try:
        [warc] = list(root.glob("*.warc.gz"))
        data = bytearray(warc.read_bytes())
        rows = all_captures(db)
        data[rows[1].offset + 30] ^= 0xFF  # one flipped byte inside the second capture
        warc.write_bytes(bytes(data))
        _, problems = evidence.check(db, root, deep=True)
        assert [p.capture_id for p in problems] == [rows[1].id]
        with pytest.raises(evidence.CaptureGone, match=f"capture {rows[1].id}"):
            evidence.read(root, rows[1])
        evidence.read(root, rows[0])
        warc.unlink()
        checked, problems = evidence.check(db, root)
        assert checked == len(rows) and {p.capture_id for p in problems} == {r.id for r in rows}
        assert all("missing" in p.reason for p in problems)
        assert json.dumps([p.reason for p in problems])
    finally:
        db.dispose()
