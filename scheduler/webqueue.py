"""The service's side of the web's work queue: crawls asked for now, digests to send again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from scheduler.config import Config
from storage import work_requests as work
from storage.database import Database

log = logging.getLogger(__name__)


def take_requests(db: Database, cfg: Config, sched: Any, crawl: Callable[[str], None]) -> int:
    """Do what is waiting; each request is finished once (a second service finds it done)."""
    with db.read() as s:
        waiting = work.waiting(s)
    done = 0
    for req in waiting:
        if req.kind is work.WorkKind.CRAWL:
            known = req.target in {src.id for src in cfg.sources}
            if known and sched is not None:
                # one-off job beside the schedule; max_instances keeps it from running twice at once
                sched.add_job(
                    crawl,
                    args=[req.target],
                    id=f"catchup:crawl:{req.target}",
                    replace_existing=True,
                    next_run_time=datetime.now(UTC),
                )
            result = "crawl started" if known else "no such source any more"
            with db.write() as s:
                done += work.finish(s, req.id, result)
        elif req.kind is work.WorkKind.RESEND:
            with db.write() as s:
                n = work.requeue_digest(s, int(req.target))
                done += work.finish(s, req.id, f"{n} deliveries queued again")
        log.info("web request %s %s: done", req.kind, req.target)
    return done
