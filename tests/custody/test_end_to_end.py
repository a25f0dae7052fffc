"""Evidence end to end, as a user runs it: crawl the fixture site, match, time-stamp against the
loopback TSA, export a package, verify it; a flipped byte fails; a TSA that is down delays."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from warcio.archiveiterator import ArchiveIterator

from scheduler.config import load_config
from scheduler.demo import demo_config
from scheduler.stamping import stamp_now
from storage import captures, custody, evidence, timestamps
from storage.database import Database
from storage.types import utcnow
from tests.support.fixture_site import FixtureSite
from tests.support.tsa import FakeTsa, TsaPki

# Each test runs the CLI ten-odd times (a crawl child, re-checks, exports, verifies): minutes on
# a loaded 2-core machine, so the suite's 120 s per test is too short for them.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]
ARTICLES = ("/rightswatch/news/2017/05/17/kazakhstan-trade-union-leader-jailed",
            "/rightswatch/news/2018/06/06/trade-union-leaders-freed-kazakhstan")


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    with FixtureSite() as s:
        yield s


def unionwatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scheduler.cli", *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=240, env={**os.environ, "COLUMNS": "200"})


def _config(tmp_path: Path, site: FixtureSite, db_url: str, tsa: FakeTsa, pki: TsaPki) -> Path:
    path = demo_config(tmp_path, site.base_url, database_url=db_url)
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"] = [s for s in data["sources"] if s["id"] == "rightswatch"]
    data["evidence"] = {"dir": "evidence", "timestamp": {"tsa_url": tsa.url, "ca_file": str(pki.ca_cert),
                                                         "timeout": 5}}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _responses(package: Path) -> dict[str, bytes]:
    """The payload of each response record in the package, by URL."""
    with zipfile.ZipFile(package) as zf:
        warc = zf.read("archive/evidence.warc.gz")
    out = {}
    for rec in ArchiveIterator(io.BytesIO(warc)):
        if rec.rec_type == "response":
            out[rec.rec_headers.get_header("WARC-Target-URI")] = rec.raw_stream.read()
    return out


def test_crawl_match_stamp_export_verify_and_a_flipped_byte(
        tmp_path: Path, db_url: str, site: FixtureSite, tsa: FakeTsa, tsa_pki: TsaPki) -> None:
    cfg = _config(tmp_path, site, db_url, tsa, tsa_pki)
    crawl = unionwatch("crawl", "--config", str(cfg), "--json")
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    stamps = json.loads(crawl.stdout)["timestamps"]
    assert stamps["stamped"] == len(ARTICLES) and stamps["failed"] == 0, stamps

    package = tmp_path / "out" / "eleusinov.wacz"
    export = unionwatch("evidence", "export", "--entity", "eleusinov", "--out", str(package),
                        "--config", str(cfg), "--json")
    assert export.returncode == 0, export.stderr
    assert json.loads(export.stdout)["stamped"] == len(ARTICLES)

    # The exported captures are byte for byte what the server sent.
    payloads = _responses(package)
    for path in ARTICLES:
        served = site.content(path)
        assert served is not None
        got = payloads[site.base_url + path]
        assert hashlib.sha256(got).hexdigest() == hashlib.sha256(served[0]).hexdigest()

    verify = unionwatch("evidence", "verify", str(package), "--ca", str(tsa_pki.ca_cert), "--json")
    assert verify.returncode == 0, verify.stdout[-3000:]
    report = json.loads(verify.stdout)
    assert report["ok"] and {r["timestamp"] for r in report["records"]} == {"verified"}
    text = unionwatch("evidence", "verify", str(package), "--ca", str(tsa_pki.ca_cert))
    assert text.returncode == 0 and "verified: 2 record(s)" in text.stdout

    # One byte of the second article's payload flipped, inside the package file.
    with zipfile.ZipFile(package) as zf:
        info = zf.getinfo("archive/evidence.warc.gz")
        manifest = json.loads(zf.read("logs/manifest.json"))
    entry = next(r for r in manifest["records"] if r["url"].endswith(ARTICLES[1]))
    raw = bytearray(package.read_bytes())
    local = info.header_offset
    start = local + 30 + int.from_bytes(raw[local + 26: local + 28], "little") + \
        int.from_bytes(raw[local + 28: local + 30], "little")
    raw[start + entry["offset"] + entry["length"] // 2] ^= 0x20
    flipped = tmp_path / "flipped.wacz"
    flipped.write_bytes(bytes(raw))
    bad = unionwatch("evidence", "verify", str(flipped), "--ca", str(tsa_pki.ca_cert))
    assert bad.returncode == 1
    assert f"capture {entry['capture_id']} ({site.base_url}{ARTICLES[1]})" in bad.stderr
    ok_entry = next(r for r in manifest["records"] if r["url"].endswith(ARTICLES[0]))
    assert f"capture {ok_entry['capture_id']} (" not in bad.stderr


def test_a_tsa_that_is_down_delays_the_stamp_and_the_capture_stays(
        tmp_path: Path, db_url: str, site: FixtureSite, tsa: FakeTsa, tsa_pki: TsaPki) -> None:
    cfg_path = _config(tmp_path, site, db_url, tsa, tsa_pki)
    tsa.mode = "down"
    crawl = unionwatch("crawl", "--config", str(cfg_path), "--json")
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    stamps = json.loads(crawl.stdout)["timestamps"]
    assert stamps["stamped"] == 0 and stamps["failed"] >= 1 and "HTTP 500" in stamps["errors"][0]
    status = unionwatch("status", "--config", str(cfg_path), "--json")
    assert status.returncode == 0, status.stderr
    owed = json.loads(status.stdout)["timestamps"]
    assert (owed["owed"], owed["stamped"]) == (len(ARTICLES), 0) and "HTTP 500" in owed["last_error"]
    text = unionwatch("status", "--config", str(cfg_path))
    assert f"time-stamps ({tsa.url}): 0 stamped, {len(ARTICLES)} owed" in text.stdout

    cfg = load_config(cfg_path, require_secrets=False)
    db = Database(db_url)
    try:
        with db.read() as s:
            arts = custody.articles_of_entity(s, "eleusinov")
            caps = [c for a in arts for c in captures.for_article(s, a.id)]
            owed = timestamps.of(s, [c.id for c in caps])
        assert len(caps) == len(ARTICLES)
        assert all(owed[c.id].state == "pending" and owed[c.id].token is None for c in caps)
        for c in caps:  # the captures are whole, whatever the TSA did
            evidence.read(cfg.evidence.dir, c, verify=True)

        # Too soon: nothing is asked for again. Past the backoff, the TSA (back up) stamps them.
        tsa.mode = "ok"
        asked = len(tsa.requests)
        assert stamp_now(cfg, db).stamped == 0 and len(tsa.requests) == asked
        later = stamp_now(cfg, db, now=utcnow() + timedelta(minutes=15))
        assert later.stamped == len(ARTICLES), later.errors
        with db.read() as s:
            done = timestamps.of(s, [c.id for c in caps])
        assert all(done[c.id].state == "stamped" and done[c.id].attempts >= 2 for c in caps[:1])
        assert all(done[c.id].token for c in caps)
    finally:
        db.dispose()


def test_an_edited_and_a_removed_article_export_every_version_with_its_stamp(
        tmp_path: Path, db_url: str, tsa: FakeTsa, tsa_pki: TsaPki) -> None:
    from tests.evidence import site as news

    with FixtureSite(roots=(news.build(tmp_path / "site"),)) as newsite:
        cfg = str(news.config(tmp_path, db_url, newsite.base_url,
                              timestamp={"tsa_url": tsa.url, "ca_file": str(tsa_pki.ca_cert)}))
        crawl = unionwatch("crawl", "--config", cfg, "--json")
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        root = tmp_path / "site" / "news"
        (root / "gone.html").unlink()
        (root / "edited.html").write_text(news.page("edited", news.EDITED_NEW), encoding="utf-8")
        run = unionwatch("recheck", "--config", cfg, "--all", "--json")
        assert run.returncode == 0, run.stderr[-3000:]
        ids = {r["url"].rsplit("/", 1)[1].removesuffix(".html"): r["article_id"]
               for r in json.loads(run.stdout)}
    stamp = unionwatch("evidence", "stamp", "--config", cfg, "--json")
    assert stamp.returncode == 0, stamp.stderr
    assert json.loads(stamp.stdout)["owed"] == 0

    for slug, state, versions in (("edited", "changed", [1, 2]), ("gone", "removed", [1, None])):
        package = tmp_path / f"{slug}.wacz"
        export = unionwatch("evidence", "export", "--article", str(ids[slug]), "--out", str(package),
                            "--config", cfg, "--json")
        assert export.returncode == 0, export.stderr
        with zipfile.ZipFile(package) as zf:
            manifest = json.loads(zf.read("logs/manifest.json"))
            custody_log = [json.loads(line) for line in zf.read("logs/custody.jsonl").decode().splitlines()]
        records = manifest["records"]
        assert [r["kind"] for r in records] == ["crawl", "recheck"]
        assert [r["version"] for r in records] == versions
        assert all(r["timestamp_state"] == "stamped" for r in records)
        rechecked = [c for c in custody_log if c["event"] == "rechecked"]
        assert [c["state"] for c in rechecked] == [state]
        assert rechecked[0]["capture_id"] == records[1]["capture_id"]
        if slug == "gone":
            assert records[1]["status"] == 404 and rechecked[0]["status"] == 404
        verify = unionwatch("evidence", "verify", str(package), "--ca", str(tsa_pki.ca_cert), "--json")
        assert verify.returncode == 0, verify.stdout[-2000:]
        assert [r["timestamp"] for r in json.loads(verify.stdout)["records"]] == ["verified", "verified"]
