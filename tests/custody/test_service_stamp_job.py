"""The service's stamp job: there when a TSA is configured, run again right after each crawl."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from apscheduler.schedulers.background import BackgroundScheduler

from scheduler.daemon import STAMP_POLL_S, Service

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def write_config(path: Path, url: str, tsa_url: str | None) -> Path:
    data: dict[str, Any] = {"database": {"url": url},
                            "watchlists": [{"id": "w", "entities": [{"id": "e", "name": "Amin Eleusinov"}]}]}
    if tsa_url:
        data["evidence"] = {"timestamp": {"tsa_url": tsa_url}}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
def scheduler() -> Iterator[BackgroundScheduler]:
    sched = BackgroundScheduler(timezone=UTC)
    sched.start(paused=True)  # jobs are placed, never run
    yield sched
    sched.shutdown(wait=False)


def test_the_stamp_job_runs_soon_every_few_minutes_and_again_after_a_crawl(
        tmp_path: Path, db_url: str, scheduler: BackgroundScheduler) -> None:
    service = Service(write_config(tmp_path / "config.yaml", db_url, "http://127.0.0.1:9/tsr"))
    try:
        service._install_jobs(scheduler, now=NOW)
        job = scheduler.get_job("stamp")
        assert job is not None and job.next_run_time <= NOW + timedelta(seconds=5)
        assert job.trigger.interval == timedelta(seconds=STAMP_POLL_S)
        scheduler.modify_job("stamp", next_run_time=NOW + timedelta(hours=1))
        service.scheduler = scheduler
        service._stamp_soon()  # what a finished crawl does
        assert scheduler.get_job("stamp").next_run_time <= datetime.now(UTC)
    finally:
        service.scheduler = None
        service.db.dispose()


def test_no_tsa_no_stamp_job(tmp_path: Path, db_url: str, scheduler: BackgroundScheduler) -> None:
    service = Service(write_config(tmp_path / "config.yaml", db_url, None))
    try:
        service._install_jobs(scheduler, now=NOW)
        assert scheduler.get_job("stamp") is None
        service.stamp()  # and the job itself does nothing
    finally:
        service.db.dispose()
