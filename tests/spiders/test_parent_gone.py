"""Each sign of a dead parent, alone, stops a crawl child started with --watch-stdin
(spiders/parent.py): stdin closing, the events pipe breaking, the parent-death signal.
The stopped run is recorded `partial`, its lease released; validators are not saved."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import select

from spiders.liveness import is_dead_local_owner
from storage import leases
from storage.database import Database
from storage.models import CrawlRun, HttpCache
from tests.spiders.conftest import ROOT, fresh_sqlite, make_job
from tests.support.fixture_site import FixtureSite
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow
CHILD = [sys.executable, "-m", "spiders", "--watch-stdin", "-"]


def first_article(stream: IO[str]) -> None:
    for line in stream:
        if json.loads(line)["event"] == "article":
            return
    raise AssertionError("the child ended before storing an article")


def run_of(db: Database) -> CrawlRun:
    with db.read() as s:
        [run] = s.scalars(select(CrawlRun)).all()
        return run


@pytest.mark.parametrize("sign", ["stdin closed", "events pipe broken", "parent killed"])
def test_a_child_whose_parent_is_gone_stops_and_records_partial(
    demosite: FixtureSite, tmp_path: Path, sign: str
) -> None:
    url = fresh_sqlite(tmp_path / "p.db")
    feed = f"{demosite.base_url}/faults/slowfeed?n=40&sleep=0.3"
    job = make_job(url, [{"id": "slow", "type": "feed", "urls": [feed]}]).model_dump_json() + "\n"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    db = Database(url)
    procs: list[subprocess.Popen[str]] = []
    holder = None
    try:
        if sign == "parent killed":
            # A small parent between us and the child; we keep the child's stdin open, and
            # its events go to a file, so only the kernel's parent-death signal is left.
            events = tmp_path / "events.jsonl"
            middle = subprocess.Popen(
                [sys.executable, "-c", "import subprocess, sys; "
                 "subprocess.Popen(sys.argv[2:], stdout=open(sys.argv[1], 'w'), "
                 "stderr=subprocess.DEVNULL).wait()", str(events), *CHILD],
                cwd=ROOT, env=env, stdin=subprocess.PIPE, text=True)
            procs.append(middle)
            assert middle.stdin is not None
            middle.stdin.write(job)
            middle.stdin.flush()
            wait_for(lambda: events.is_file() and '"article"' in events.read_text(), 60,
                     "the first stored article")
            holder = leases.holder(db, "crawl:slow")
            assert holder is not None
            middle.kill()
            middle.wait(timeout=10)
        else:
            child = subprocess.Popen(CHILD, cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            procs.append(child)
            assert child.stdin is not None and child.stdout is not None
            child.stdin.write(job)
            child.stdin.flush()
            first_article(child.stdout)
            holder = leases.holder(db, "crawl:slow")
            assert holder is not None
            if sign == "stdin closed":
                child.stdin.close()  # we still read its events: only stdin tells
                child.stdout.read()
            else:
                child.stdout.close()  # stdin stays open: only the failed write tells
        wait_for(lambda: is_dead_local_owner(holder.owner), 10, "the crawl child to stop")
        run = run_of(db)
        assert (run.status, run.finished_at is not None) == ("partial", True)
        assert 0 < run.new_articles < 40
        with db.read() as s:
            assert s.scalars(select(HttpCache)).all() == []
        assert leases.holder(db, "crawl:slow") is None
    finally:
        db.dispose()
        for p in procs:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
        if holder is not None and not is_dead_local_owner(holder.owner):  # a child left running
            os.kill(int(holder.owner.split(":")[1]), signal.SIGKILL)
