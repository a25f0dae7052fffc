"""The service's evidence-retention job: installed at start, and it drops and reclaims."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from apscheduler.schedulers.background import BackgroundScheduler

from scheduler.daemon import EVIDENCE_RETENTION_EVERY_S, Service
from storage import captures
from storage.database import Database
from storage.evidence import CaptureWriter, Exchange, Settings

NOW = datetime(2026, 6, 1, 19, 0, tzinfo=UTC)


@pytest.fixture
def scheduler() -> Iterator[BackgroundScheduler]:
    sched = BackgroundScheduler(timezone=UTC)
    sched.start(paused=True)
    yield sched
    sched.shutdown(wait=False)


def test_retention_job_is_installed_and_drops_old_unmatched_captures(
    tmp_path: Path, db_url: str, db: Database, scheduler: BackgroundScheduler
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "database": {"url": db_url}, "evidence": {"dir": "warcs", "keep_unmatched_days": 30},
        "watchlists": [{"id": "w", "entities": [{"id": "e", "name": "Amin Eleusinov"}]}]}), encoding="utf-8")
    service = Service(config)
    try:
        service._install_jobs(scheduler, now=NOW)
        job = scheduler.get_job("evidence-retention")
        assert job is not None and job.next_run_time <= NOW + timedelta(seconds=5)
        assert job.trigger.interval == timedelta(seconds=EVIDENCE_RETENTION_EVERY_S)

        root = tmp_path / "warcs"  # evidence.dir, relative to config.yaml
        old = datetime.now(UTC) - timedelta(days=40)
        writer = CaptureWriter(db, Settings(root), clock=lambda: old)
        writer.write(Exchange(url="https://a.example/x", status=200, response_headers=[], payload=b"<p>x</p>",
                              fetched_at=old))
        writer.close()
        [warc] = list(root.iterdir())
        stamp = time.time() - 40 * 86400
        os.utime(warc, (stamp, stamp))
        service.evidence_retention()
        with db.read() as s:
            assert captures.count(s) == 0
        assert list(root.iterdir()) == []
    finally:
        service.db.dispose()
