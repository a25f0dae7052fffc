"""`unionwatch run`: crawls on schedule, one scheduler per database, clean SIGTERM, config reload."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from storage.database import Database
from storage.models import Article, Lease
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "run", "--config", str(config), "-v"],
        stdout=subprocess.DEVNULL, stderr=log.open("wb"), env={**os.environ},
    )


def _contains(path: Path, text: str) -> bool:
    return text in path.read_text()


def test_two_daemons_one_scheduler_sigterm_and_reload(config_path: Path, db_url: str, tmp_path: Path) -> None:
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["sources"] = [s for s in data["sources"] if s["id"] in ("vestnik", "rightswatch")]
    for s in data["sources"]:
        s["schedule"] = "1h"
    admin_dir = tmp_path / "admin-alerts"
    data["admins"] = [{"id": "ops", "channels": [{"type": "file", "path": str(admin_dir)}]}]
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    db = Database(db_url)

    def articles() -> int:
        with db.read() as s:
            return s.scalar(select(func.count()).select_from(Article)) or 0

    def holder() -> str | None:
        with db.read() as s:
            lease = s.get(Lease, "scheduler")
            return lease.owner if lease else None

    log_a, log_b = tmp_path / "a.log", tmp_path / "b.log"
    a = start(config_path, log_a)
    b: subprocess.Popen[bytes] | None = None
    try:
        wait_for(lambda: holder() is not None, 30, "the first daemon to take the lease")
        owner_a = holder()
        b = start(config_path, log_b)
        wait_for(lambda: articles() >= 4, 90, "the scheduled crawls to store articles")
        wait_for(lambda: "standing by" in log_b.read_text(), 30, "the second daemon to stand by")
        assert holder() == owner_a

        # An invalid edit is rejected and the old config stays; a valid one is applied.
        good = config_path.read_text(encoding="utf-8")
        config_path.write_text(good.replace("Asia/Almaty", "Asia/Almati"), encoding="utf-8")
        wait_for(lambda: "previous config stays in force" in log_a.read_text(), 30, "the rejection")
        wait_for(lambda: any(admin_dir.glob("*.html")), 10, "the admins' alert")
        alert = next(admin_dir.glob("*.html")).read_text(encoding="utf-8")
        assert "unknown time zone" in alert and "Asia/Almati" in alert
        before = config_path.stat()
        config_path.write_text(good.replace("08:00", "09:30"), encoding="utf-8")
        # A later mtime than the rejected edit's, even on file systems with coarse timestamps.
        os.utime(config_path, ns=(before.st_atime_ns, before.st_mtime_ns + 2_000_000_000))
        wait_for(lambda: "config reloaded" in log_a.read_text(), 30, "the reload")

        a.send_signal(signal.SIGTERM)
        assert a.wait(timeout=60) == 0
        wait_for(lambda: holder() not in (None, owner_a), 20,
                 "the standby to take over soon after a clean stop")
    finally:
        for p in (a, b):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
        db.dispose()
    assert b is not None and b.returncode == 0, log_b.read_text()[-2000:]
    assert "Traceback" not in log_a.read_text(), log_a.read_text()[-3000:]


def test_a_digest_missed_while_down_is_sent_once_on_start(
    config_path: Path, db_url: str, tmp_path: Path
) -> None:
    from datetime import timedelta

    from storage import heartbeats
    from storage.models import Digest, DigestRun
    from storage.types import utcnow
    from tests.e2e.conftest import unionwatch

    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["sources"] = [s for s in data["sources"] if s["id"] == "vestnik"]
    data["sources"][0]["schedule"] = "1d"
    # A second subscriber whose watchlist finds nothing: its catch-up sends nothing.
    quiet = {**data["subscribers"][0], "id": "quiet-desk", "watchlists": ["quiet"]}
    data["watchlists"].append({"id": "quiet", "entities": [{"id": "nobody", "name": "Zzyzx Qwertyuiop"}]})
    data["subscribers"].append(quiet)
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert unionwatch("crawl", "--config", str(config_path)).code == 0
    db = Database(db_url)
    # The service last ran two days ago. kibhr-desk never had a digest; quiet-desk's last was then.
    two_days_ago = utcnow() - timedelta(days=2)
    heartbeats.beat(db, "scheduler", "an earlier run", now=two_days_ago)
    with db.write() as s:
        s.add(Digest(subscriber_id="quiet-desk", created_at=two_days_ago, period_end=two_days_ago))

    def digests() -> int:
        with db.read() as s:
            return len(s.scalars(select(Digest)).all())

    def served() -> set[str]:
        with db.read() as s:
            return set(s.scalars(select(DigestRun.subscriber_id)))

    try:
        for attempt in range(2):
            log = tmp_path / f"run{attempt}.log"
            proc = start(config_path, log)
            try:
                # Missed digests are found, and their catch-ups queued, before this line.
                wait_for(partial(_contains, log, "scheduler running"), 30, "the service to start")
                if attempt == 0:
                    wait_for(lambda: served() == {"kibhr-desk", "quiet-desk"}, 60, "both catch-ups")
                    wait_for(lambda: any((tmp_path / "digests").glob("*.eml")), 30, "the delivery")
            finally:
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(timeout=60) == 0, log.read_text()[-2000:]
        assert digests() == 2, "kibhr-desk's catch-up; quiet-desk had nothing to send"
        first, second = ((tmp_path / f"run{n}.log").read_text() for n in (0, 1))
        assert "digest for kibhr-desk due at" in first and "digest for quiet-desk due at" in first
        assert "missed while the service was down" not in second, "caught up once, not at every start"
    finally:
        db.dispose()
