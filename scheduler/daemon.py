"""`unionwatch run`: the long-lived service. APScheduler jobs for crawls, digests and the outbox.

One scheduler per database: a lease in the database elects it, so a second `unionwatch run`
waits as a standby. Crawls run in child processes; SIGTERM stops the children and the jobs.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.config import load_config
from scheduler.crawling import crawl_job, stop_all_crawls
from scheduler.matchjob import rematch_total, sync_entities
from scheduler.pipeline import crawl_and_match
from scheduler.source_alerts import check_sources
from scheduler.triggers import digest_trigger, source_trigger
from scheduler.wiring import open_database, watchlist
from scheduler.yamlsource import ConfigError
from storage import leases
from storage.database import Database
from storage.types import utcnow

HOUSEKEEPING = ("lease", "config")  # the service's own upkeep, not work it does
log = logging.getLogger("unionwatch.daemon")
LEASE = "scheduler"
LEASE_TTL = timedelta(seconds=60)
CONFIG_POLL_S = 10.0
OUTBOX_POLL_S = 60.0


class Service:
    """The scheduler and its jobs, rebuilt whenever a valid new config arrives."""

    def __init__(self, config_path: Path, *, owner: str | None = None) -> None:
        self.config_path = config_path
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.cfg = load_config(config_path)
        self.db: Database = open_database(self.cfg)
        self.watchlist = watchlist(self.cfg)
        self._config_stamp = self._stamp()
        self.stop_event = threading.Event()
        self.scheduler: BackgroundScheduler | None = None
        self._lock = threading.Lock()

    # -- jobs ---------------------------------------------------------------------------

    def crawl(self, source_id: str) -> None:
        cfg, wl = self.cfg, self.watchlist
        if source_id not in {s.id for s in cfg.sources}:
            return  # removed by a reload while queued
        outcome = crawl_and_match(cfg, crawl_job(cfg, [source_id]), wl=wl, sync=False)
        s = outcome.crawl.sources.get(source_id)
        if not outcome.crawl.ok:
            log.error("crawl child for %s %s:\n%s", source_id,
                      "was killed at its time limit" if outcome.crawl.killed
                      else f"exited with code {outcome.crawl.exit_code}",
                      outcome.crawl.stderr_tail.strip()[-2000:])
        log.info("crawl %s: %s, %d new, %d errors", source_id, s.status if s else "?",
                 s.new if s else 0, s.errors if s else 0)
        check_sources(cfg, self.db, lambda subject, text: self._alert_admins(subject, text),
                      sources=[source_id])

    def digest(self, subscriber_id: str) -> None:
        from scheduler.digesting import digest_and_deliver

        digest_and_deliver(self.cfg, self.db, subscriber_id, wl=self.watchlist, sync=False)

    def rematch(self) -> None:
        """Match added or changed entities against the whole archive, beside the other jobs."""
        entities = self.cfg.entities
        total = rematch_total(self.db)
        done, shown = 0, 0

        def progress(n: int) -> None:
            nonlocal done, shown
            done += n
            if total and (done - shown) * 10 >= total:  # about every tenth of the archive
                shown = done
                log.info("rematch: %d of %d articles", done, total)

        summary = sync_entities(self.db, entities, progress=progress)
        if summary.backfilled_articles:
            log.info("rematch: %s matched against %d articles, %d mentions",
                     ", ".join(summary.backfilled_entities), summary.backfilled_articles,
                     summary.mentions)

    def deliver(self) -> None:
        from scheduler.digesting import deliver_outbox

        deliver_outbox(self.cfg, self.db)

    def renew_lease(self) -> None:
        if not leases.renew(self.db, LEASE, self.owner, LEASE_TTL):
            log.error("lost the scheduler lease to another process; standing by")
            self._stop_scheduler()

    def watch_config(self) -> None:
        stamp = self._stamp()
        if stamp == self._config_stamp:
            return
        self._config_stamp = stamp
        try:
            cfg = load_config(self.config_path)
            wl = watchlist(cfg)
        except ConfigError as exc:
            log.error("config.yaml changed but is invalid; the previous config stays in force:\n%s", exc)
            self._alert_admins("config reload rejected", str(exc))
            return
        if cfg.database.url != self.cfg.database.url:
            log.error("database.url cannot change while running; restart to switch databases")
            return
        with self._lock:
            self.cfg, self.watchlist = cfg, wl
            if self.scheduler is not None:
                self._install_jobs(self.scheduler)
        log.info("config reloaded: %d sources, %d subscribers", len(cfg.sources), len(cfg.subscribers))

    # -- plumbing -----------------------------------------------------------------------

    def _stamp(self) -> tuple[float, int] | None:
        try:
            st = self.config_path.stat()
            return (st.st_mtime, st.st_size)
        except OSError:
            return None

    def _alert_admins(self, subject: str, text: str) -> None:
        try:
            from scheduler.digesting import alert_admins

            alert_admins(self.cfg, subject, text)
        except Exception:
            log.exception("could not alert the admins")

    def _install_jobs(self, sched: BackgroundScheduler) -> None:
        wanted: dict[str, dict[str, Any]] = {}
        now = datetime.now(UTC)
        for i, src in enumerate(s for s in self.cfg.sources if s.enabled):
            trigger = source_trigger(src.schedule)
            # Interval sources start soon after start-up, staggered so children do not pile up.
            first = now + timedelta(seconds=5 + 20 * i) if isinstance(trigger, IntervalTrigger) else None
            wanted[f"crawl:{src.id}"] = {"func": self.crawl, "args": [src.id], "trigger": trigger,
                                         "next_run_time": first, "misfire_grace_time": 600}
        for sub in self.cfg.subscribers:
            wanted[f"digest:{sub.id}"] = {"func": self.digest, "args": [sub.id],
                                          "trigger": digest_trigger(sub),
                                          "misfire_grace_time": 6 * 3600}
        # At start and after every reload; a no-op unless an entity was added or changed.
        wanted["rematch"] = {"func": self.rematch, "trigger": DateTrigger(now + timedelta(seconds=1))}
        wanted["outbox"] = {"func": self.deliver, "trigger": IntervalTrigger(seconds=OUTBOX_POLL_S),
                            "next_run_time": now + timedelta(seconds=2)}
        for job in sched.get_jobs():
            if job.id not in wanted and job.id not in HOUSEKEEPING:
                job.remove()
        existing = {j.id for j in sched.get_jobs()}
        for job_id, spec in wanted.items():
            if job_id in existing and "next_run_time" in spec:
                spec = {k: v for k, v in spec.items() if k != "next_run_time"}
            sched.add_job(id=job_id, name=job_id, replace_existing=True, **spec)

    def _start_scheduler(self) -> None:
        sched = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=8)},
            # One run of a job at a time; runs missed while busy collapse into one.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )
        sched.add_listener(self._on_job_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        with self._lock:
            self._install_jobs(sched)
        sched.add_job(self.renew_lease, IntervalTrigger(seconds=LEASE_TTL.total_seconds() / 3),
                      id="lease", replace_existing=True)
        sched.add_job(self.watch_config, IntervalTrigger(seconds=CONFIG_POLL_S), id="config",
                      replace_existing=True)
        sched.start()
        self.scheduler = sched
        self._catch_up_digests()
        jobs = [j for j in sched.get_jobs() if j.id not in HOUSEKEEPING]
        log.info("scheduler running as %s with %d jobs", self.owner, len(jobs))
        never = datetime.max.replace(tzinfo=UTC)
        for job in sorted(jobs, key=lambda j: (j.next_run_time or never, j.id)):
            when = job.next_run_time
            log.info("  %s: next run %s", job.id,
                     when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if when else "paused")

    def _catch_up_digests(self) -> None:
        """Digests whose time passed while no scheduler ran are sent now, once."""
        from scheduler.digesting import missed_digests

        for sub_id in missed_digests(self.cfg, self.db, utcnow()):
            log.warning("digest for %s was missed while the service was down; sending it now", sub_id)
            assert self.scheduler is not None
            self.scheduler.add_job(self.digest, args=[sub_id], id=f"catchup:{sub_id}",
                                   replace_existing=True)

    def _stop_scheduler(self) -> None:
        sched, self.scheduler = self.scheduler, None
        if sched is not None:
            sched.shutdown(wait=False)

    def _on_job_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning("job %s missed its run at %s", event.job_id, event.scheduled_run_time)
        elif event.exception is not None:
            log.error("job %s failed: %r", event.job_id, event.exception)

    def serve(self) -> int:
        """Hold or wait for the lease, run the jobs, stop cleanly when asked."""
        try:
            while not self.stop_event.is_set():
                if self.scheduler is None:
                    if leases.acquire(self.db, LEASE, self.owner, LEASE_TTL):
                        self._start_scheduler()
                    else:
                        log.info("another scheduler holds the lease; standing by")
                        self.watch_config()
                self.stop_event.wait(LEASE_TTL.total_seconds() / 3)
        finally:
            log.info("stopping: ending crawls and jobs")
            stop_all_crawls()
            sched, self.scheduler = self.scheduler, None
            if sched is not None:
                sched.shutdown(wait=True)
            leases.release(self.db, LEASE, self.owner)
            self.db.dispose()
        return 0


def run_daemon(config_path: Path) -> int:
    service = Service(config_path)

    def _stop(signum: int, _frame: Any) -> None:
        log.info("received %s", signal.Signals(signum).name)
        service.stop_event.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return service.serve()
