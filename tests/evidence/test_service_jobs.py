"""The service runs re-checks and Wayback submissions as jobs of their own."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from scheduler.daemon import Service
from tests.evidence import site as news


def _jobs(tmp_path: Path, db_url: str, **evidence: object) -> dict[str, str]:
    service = Service(news.config(tmp_path, db_url, "http://127.0.0.1:9", **evidence))
    try:
        sched = BackgroundScheduler(timezone=UTC)
        service._install_jobs(sched)
        jobs = {j.id: str(j.trigger) for j in sched.get_jobs()}
        service.recheck()  # nothing is due: no child, no alert, no error
        return jobs
    finally:
        service.db.dispose()


def test_recheck_job_always_and_wayback_job_when_enabled(tmp_path: Path, db_url: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = _jobs(tmp_path, db_url, recheck_every="30m")
    assert jobs["recheck"] == "interval[0:30:00]" and "wayback" not in jobs
    monkeypatch.setenv("UW_TEST_JOBS_KEY", "x")
    monkeypatch.setenv("UW_TEST_JOBS_SECRET", "y")
    jobs = _jobs(tmp_path, db_url, wayback={"enabled": True, "every": "10m",
                                            "access_key_env": "UW_TEST_JOBS_KEY",
                                            "secret_key_env": "UW_TEST_JOBS_SECRET"})
    assert jobs["wayback"] == "interval[0:10:00]" and jobs["recheck"] == "interval[1:00:00]"
