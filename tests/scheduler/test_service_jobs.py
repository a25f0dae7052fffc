"""Where the service puts each job's next run: at start, and when a reload keeps or changes it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from apscheduler.schedulers.background import BackgroundScheduler

from scheduler.config import load_config
from scheduler.daemon import Service
from storage import crawl_runs, digest_runs
from storage.database import Database

# The case: a 2-minute source last crawled at 19:17:45, the config edited at 19:18:39.
NOW = datetime(2026, 6, 1, 19, 18, 39, tzinfo=UTC)
S = timedelta(seconds=1)


def write_config(path: Path, url: str, schedules: dict[str, str]) -> Path:
    sources = [{"id": sid, "type": "feed", "url": f"https://{sid}.example.org/feed", "schedule": when}
               for sid, when in schedules.items()]
    data: dict[str, Any] = {"database": {"url": url}, "sources": sources,
                            "watchlists": [{"id": "w", "entities": [{"id": "e", "name": "Amin Eleusinov"}]}]}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
def scheduler() -> Iterator[BackgroundScheduler]:
    sched = BackgroundScheduler(timezone=UTC)
    sched.start(paused=True)  # jobs are placed, never run
    yield sched
    sched.shutdown(wait=False)


def next_runs(sched: BackgroundScheduler) -> dict[str, datetime]:
    return {j.id: j.next_run_time for j in sched.get_jobs()}


def test_a_reload_keeps_next_runs_and_a_changed_schedule_starts_from_the_last_run(
    tmp_path: Path, db_url: str, db: Database, scheduler: BackgroundScheduler
) -> None:
    schedules = {"fast": "2m", "daily": "1d", "nightly": "0 6 * * *", "hourly": "1h", "fresh": "30m"}
    config = write_config(tmp_path / "config.yaml", db_url, schedules)
    crawl_runs.start(db, "fast", now=datetime(2026, 6, 1, 19, 17, 45, tzinfo=UTC))
    crawl_runs.start(db, "daily", now=NOW - timedelta(hours=23))
    crawl_runs.start(db, "nightly", now=datetime(2026, 6, 1, 6, 0, 2, tzinfo=UTC))
    crawl_runs.start(db, "hourly", now=NOW - timedelta(hours=3))  # overdue: the service was down
    service = Service(config)
    try:
        service._install_jobs(scheduler, now=NOW)
        at_start = next_runs(scheduler)
        assert at_start["crawl:fast"] == datetime(2026, 6, 1, 19, 19, 45, tzinfo=UTC)
        assert at_start["crawl:daily"] == NOW + timedelta(hours=1), "a restart does not crawl it again"
        assert at_start["crawl:nightly"] == datetime(2026, 6, 2, 6, 0, tzinfo=UTC), "cron sources run"
        # Overdue or never crawled: soon, 20 s apart.
        assert at_start["crawl:hourly"] == NOW + 5 * S
        assert at_start["crawl:fresh"] == NOW + 25 * S

        reload_at = NOW + 10 * S
        service.cfg = load_config(write_config(config, db_url, {**schedules, "daily": "6h", "nightly": "2h",
                                                                "added": "1h"}))
        crawl_runs.start(db, "added", now=NOW - timedelta(minutes=20))
        service._install_jobs(scheduler, now=reload_at)
        after = next_runs(scheduler)
        for unchanged in ("fast", "hourly", "fresh", "outbox"):
            job = unchanged if unchanged == "outbox" else f"crawl:{unchanged}"
            assert after[job] == at_start[job], f"{job} keeps its next run"
        # Changed: the new schedule counted from the source's last run (soon, when that is past).
        assert after["crawl:daily"] == reload_at + 5 * S  # 23 h ago + 6 h is past
        assert after["crawl:nightly"] == reload_at + 25 * S  # 06:00 + 2 h is past too
        assert after["crawl:added"] == NOW + timedelta(minutes=40)
    finally:
        service.db.dispose()


def subscriber(sid: str, time: str) -> dict[str, Any]:
    return {"id": sid, "timezone": "Asia/Almaty", "digest": {"time": time}, "watchlists": ["w"],
            "channels": [{"type": "file", "path": "out"}]}


def test_a_changed_digest_time_is_served_once_that_local_day(
    tmp_path: Path, db_url: str, db: Database, scheduler: BackgroundScheduler
) -> None:
    config = write_config(tmp_path / "config.yaml", db_url, {})
    data = yaml.safe_load(config.read_text(encoding="utf-8"))

    def save(times: dict[str, str]) -> Path:
        data["subscribers"] = [subscriber(sid, t) for sid, t in times.items()]
        config.write_text(yaml.safe_dump(data), encoding="utf-8")
        return config

    save({"early": "08:00", "late": "08:00", "same": "08:00"})
    # Almaty is UTC+5: 08:00 there is 03:00 UTC. Served yesterday ("early") and today ("late").
    digest_runs.record(db, "early", datetime(2026, 6, 1, 3, 0, tzinfo=UTC), None)
    digest_runs.record(db, "late", datetime(2026, 6, 2, 3, 0, tzinfo=UTC), None)
    service = Service(config)
    try:
        service._install_jobs(scheduler, now=datetime(2026, 6, 2, 1, 0, tzinfo=UTC))
        before = next_runs(scheduler)
        assert before["digest:same"] == datetime(2026, 6, 2, 3, 0, tzinfo=UTC)
        # At 08:30 local: "early" moves to 07:00, not served today: it runs now rather than tomorrow.
        # "late" moves to 09:00, served at 08:00 today already: tomorrow at 09:00, not twice today.
        reload_at = datetime(2026, 6, 2, 3, 30, tzinfo=UTC)
        service.cfg = load_config(save({"early": "07:00", "late": "09:00", "same": "08:00"}))
        service._install_jobs(scheduler, now=reload_at)
        after = next_runs(scheduler)
        assert after["digest:early"] == reload_at + 2 * S
        assert after["digest:late"] == datetime(2026, 6, 3, 4, 0, tzinfo=UTC)
        assert after["digest:same"] == before["digest:same"]
    finally:
        service.db.dispose()
