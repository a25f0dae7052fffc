"""kill -9 of the process that started a crawl: the child stops with it, records its run as
not ok, saves no validators, leaves no job file, and the next crawl stores every article."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from spiders.liveness import is_dead_local_owner
from storage import leases
from storage.database import Database
from storage.models import Article, CrawlRun, HttpCache
from tests.e2e.conftest import unionwatch
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

PAGES = 40
SLEEP = 0.5  # per page, one at a time: an undisturbed crawl takes 20 s


def count(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Article)) or 0


def test_kill_9_of_the_parent_stops_the_child_and_no_article_is_lost_for_good(
    config_path: Path, db_url: str, tmp_path: Path
) -> None:
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    base = data["sources"][0]["urls"][0].split("/azattyq/")[0]
    feed = f"{base}/faults/slowfeed?n={PAGES}&sleep={SLEEP}"
    data["crawl"]["per_host_concurrency"] = 1
    data["sources"] = [{"id": "slowfeed", "type": "feed", "language": "en", "urls": [feed],
                        "schedule": "1h"}]
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    scratch = tmp_path / "tmp"  # the parent's temporary directory: a job file would land here
    scratch.mkdir()
    parent = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "crawl", "--config", str(config_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "TMPDIR": str(scratch)})
    db = Database(db_url)
    try:
        wait_for(lambda: count(db) >= 3, 60, "the crawl to store three articles")
        holder = leases.holder(db, "crawl:slowfeed")
        assert holder is not None
        parent.kill()  # SIGKILL: no handler, no cleanup in the parent
        parent.wait(timeout=10)
        wait_for(lambda: is_dead_local_owner(holder.owner), 10, "the orphaned crawl child to stop")

        with db.read() as s:
            [run] = s.scalars(select(CrawlRun)).all()
            cached = s.scalars(select(HttpCache.url)).all()
        stored = count(db)
        assert stored < PAGES, "the child stopped early, it did not crawl on alone"
        assert run.status == "partial" and run.finished_at is not None, "recorded, and not ok"
        assert cached == [], "no validators: the next run must fetch the feed in full"
        assert leases.holder(db, "crawl:slowfeed") is None, "the child released its lease"
        leftovers = [f for f in scratch.rglob("*") if f.is_file() and db_url in f.read_text(errors="replace")]
        assert leftovers == [], "no job file with the database URL left behind"

        # The same feed and pages, fetched eight at a time: the first run had to be slow only
        # until the kill.
        data["crawl"]["per_host_concurrency"] = 8
        config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        again = unionwatch("crawl", "--config", str(config_path), "--json", timeout=120)
        assert again.code == 0, again.stderr
        [src] = again.json()["sources"]
        assert src["status"] == "ok"
        assert count(db) == PAGES, "the next crawl stored every article"
    finally:
        db.dispose()
        if parent.poll() is None:
            os.kill(parent.pid, signal.SIGKILL)
