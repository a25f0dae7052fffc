"""`unionwatch run`: the long-lived service. APScheduler jobs for crawls, digests and the outbox.

One scheduler per database: a lease in the database elects it, so a second `unionwatch run`
waits as a standby. Crawls run in child processes; SIGTERM stops the children and the jobs.
The main thread tends the lease and watches config.yaml; a database outage is ridden out
with backoff, and a leader whose lease lapses meanwhile stops its jobs until it has it again.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from matching import Watchlist
from scheduler.config import Config, load_config, parse_interval
from scheduler.crawling import crawl_job, stop_all_crawls
from scheduler.instant import send_instant_alerts
from scheduler.matchjob import rematch_total, sync_entities
from scheduler.pipeline import crawl_and_match
from scheduler.reloading import SETTLE_S, SettledFile, Stopped, dropped_everything, load_unless_stopped
from scheduler.source_alerts import check_sources
from scheduler.triggers import OncePerLocalDay, digest_trigger, source_trigger
from scheduler.wiring import open_database, watchlist
from scheduler.yamlsource import ConfigError
from storage import crawl_runs, digest_runs, heartbeats, leases
from storage.database import Database, DatabaseError, display_url
from storage.types import utcnow

log = logging.getLogger("unionwatch.daemon")
LEASE = "scheduler"
LEASE_TTL = timedelta(seconds=60)
LEASE_EVERY_S = LEASE_TTL.total_seconds() / 3  # the leader renews
# A standby asks often, so a leader that stops cleanly (and lets go) is followed within
# seconds; one that dies is followed once its lease lapses. The ask is one small UPDATE.
STANDBY_EVERY_S = 5.0
TICK_S = 1.0  # the main loop's pace: config polls, lease due times, stop requests
OUTBOX_POLL_S = 60.0
STAMP_POLL_S = 300.0  # owed time-stamps are asked for this often (and after every crawl)
EVIDENCE_RETENTION_EVERY_S = 6 * 3600  # unmatched captures expire by the day: a few passes a day
MISFIRE_S = 300  # a run this late still starts (crawls and digests allow more)
DIGEST_RETRY = timedelta(seconds=60)  # a digest that met a database outage is tried again
REMATCH_RETRY = timedelta(seconds=60)  # so is a rematch
# A rescheduled digest counts from the last one served within this span (else from now).
SERVED_LOOK_BACK = timedelta(days=3)
# Retrying an unreachable database: 1 s, doubling, at most this (well inside the lease's
# lifetime, so that a short outage never costs the leader its lease).
BACKOFF_MAX_S = 10.0


def _reason(exc: BaseException) -> str:
    """The driver's own first line (SQLAlchemy appends the SQL and a link)."""
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]


@dataclass(frozen=True, slots=True)
class _Job:
    """A job the config asks for, and the facts that place its first run."""

    func: Callable[..., None]
    args: list[Any]
    trigger: BaseTrigger
    schedule: tuple[Any, ...]  # what the job's schedule was made from: equal means unchanged
    misfire_grace: int  # seconds late a run may still start
    since: datetime | None = None  # its last run
    soon_if_new: bool = False  # never run: now rather than at the trigger's next time

    def first_run(self, now: datetime) -> datetime | None:
        """The trigger's first time after the last run (None: now); without one, after now."""
        if isinstance(self.trigger, OncePerLocalDay) and self.since is not None:
            return self.trigger.first_after_day_of(self.since)  # that day's digest is done
        if self.since is not None:
            fire: datetime | None = self.trigger.get_next_fire_time(self.since, self.since)
            return fire
        if self.soon_if_new:
            return None
        fire = self.trigger.get_next_fire_time(None, now)
        return fire


class Service:
    """The scheduler and its jobs, rebuilt whenever a valid new config arrives."""

    def __init__(self, config_path: Path, *, owner: str | None = None, settle: float = SETTLE_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config_path = config_path
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.clock = clock
        # Stamped before reading, so that an edit made meanwhile is still taken up.
        self._config_file = SettledFile(config_path, settle=settle, clock=clock)
        self.cfg = load_config(config_path)
        self._config_file.include(self.cfg.included_files(config_path))
        self.db: Database = open_database(self.cfg)
        self.watchlist = watchlist(self.cfg)
        self.stop_event = threading.Event()
        self.scheduler: BackgroundScheduler | None = None
        self._lock = threading.Lock()
        self._lease_due = 0.0  # when to renew or try to take the lease next (clock time)
        self._lease_until = 0.0  # when our lease lapses unless renewed
        self._standing_by = False
        self._db_down_since: float | None = None
        self._backoff = 0.0
        self._schedules: dict[str, tuple[Any, ...]] = {}  # job id -> the schedule it was installed with

    # -- jobs ---------------------------------------------------------------------------

    def crawl(self, source_id: str) -> None:
        cfg, wl = self.cfg, self.watchlist
        if source_id not in {s.id for s in cfg.sources}:
            return  # removed by a reload while queued
        started = utcnow()
        try:
            outcome = crawl_and_match(cfg, crawl_job(cfg, [source_id]), wl=wl, sync=False)
        except DatabaseError as exc:
            log.warning("crawl %s: database unreachable (%s); it runs again at its next time",
                        source_id, _reason(exc))
            return
        try:
            send_instant_alerts(cfg, self.db, started)
        except DatabaseError as exc:  # what they would hold waits for the scheduled digest
            log.warning("instant alerts after crawl %s: database unreachable (%s)", source_id,
                        _reason(exc))
        s = outcome.crawl.sources.get(source_id)
        if not outcome.crawl.ok:
            log.error("crawl child for %s %s:\n%s", source_id,
                      "was killed at its time limit" if outcome.crawl.killed
                      else f"exited with code {outcome.crawl.exit_code}",
                      outcome.crawl.stderr_tail.strip()[-2000:])
        log.info("crawl %s: %s, %d new, %d errors", source_id, s.status if s else "?",
                 s.new if s else 0, s.errors if s else 0)
        try:
            check_sources(cfg, self.db, lambda subject, text: self._alert_admins(subject, text),
                          sources=[source_id])
        except DatabaseError as exc:
            log.warning("source health of %s: database unreachable (%s)", source_id, _reason(exc))
        self._stamp_soon()

    def stamp(self) -> None:
        """Trusted time for the captures of matched articles (evidence.timestamp.tsa_url)."""
        from scheduler.stamping import stamp_now

        if not self.cfg.evidence.timestamp.tsa_url:
            return
        try:
            summary = stamp_now(self.cfg, self.db)
        except DatabaseError as exc:
            log.warning("time-stamps: database unreachable (%s); they are asked for again in %.0f s",
                        _reason(exc), STAMP_POLL_S)
            return
        if summary.stamped or summary.failed:
            log.info("time-stamps: %d captures stamped, %d to ask again later",
                     summary.stamped, summary.failed)

    def _stamp_soon(self) -> None:
        """Run the stamp job now: a crawl has just matched new articles."""
        sched = self.scheduler
        if sched is not None and sched.get_job("stamp") is not None:
            sched.modify_job("stamp", next_run_time=datetime.now(UTC))

    def web_requests(self) -> None:
        """Work the web queued (crawl a source now, re-send a digest): the web never runs it itself."""
        from scheduler.webqueue import take_requests

        try:
            take_requests(self.db, self.cfg, self.scheduler, self.crawl)
        except DatabaseError as exc:
            log.warning("web requests: database unreachable (%s)", _reason(exc))

    def digest(self, subscriber_id: str, due: datetime | None = None) -> None:
        """The digest due at `due` (None: the scheduled time just passed), recorded as served.

        A catch-up or a retry after an outage runs only if that time was not served meanwhile.
        """
        from scheduler.digesting import digest_and_deliver, last_due

        sub = next((s for s in self.cfg.subscribers if s.id == subscriber_id), None)
        if sub is None:
            return  # removed by a reload while queued
        owed = due is not None
        if due is None:
            due = last_due(sub, utcnow()) or utcnow()
        try:
            if owed and digest_runs.served(self.db, subscriber_id, due):
                return
            digest_id = digest_and_deliver(self.cfg, self.db, subscriber_id, wl=self.watchlist, sync=False)
            digest_runs.record(self.db, subscriber_id, due, digest_id)
        except DatabaseError as exc:
            log.warning("digest for %s: database unreachable (%s); trying again in %.0f s",
                        subscriber_id, _reason(exc), DIGEST_RETRY.total_seconds())
            self._run_again(f"catchup:{subscriber_id}", self.digest, [subscriber_id, due], DIGEST_RETRY)

    def rematch(self) -> None:
        """Match added or changed entities against the whole archive, beside the other jobs.

        An outage retries it: it is queued only at start and after a reload, so a run that fails
        would otherwise leave a new name unmatched against the archive until the next reload.
        """
        try:
            self._rematch()
        except DatabaseError as exc:
            log.warning("rematch: database unreachable (%s); trying again in %.0f s",
                        _reason(exc), REMATCH_RETRY.total_seconds())
            self._run_again("rematch", self.rematch, [], REMATCH_RETRY)

    def _run_again(self, job_id: str, func: Any, args: list[Any], after: timedelta) -> None:
        """Queue one more run of a job that met an outage (none if this process stopped leading)."""
        sched = self.scheduler
        if sched is not None:
            sched.add_job(func, DateTrigger(datetime.now(UTC) + after), args=args, id=job_id,
                          name=job_id, replace_existing=True)

    def _rematch(self) -> None:
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

    def recheck(self) -> None:
        """Re-check the matched articles that are due; one admin alert for what changed."""
        from scheduler.rechecking import run_rechecks

        try:
            run = run_rechecks(self.cfg, self.db, notify=self._alert_admins)
        except DatabaseError as exc:
            log.warning("re-check: database unreachable (%s); it runs again at its next time", _reason(exc))
            return
        if run.skipped:
            log.info("re-check: %s", run.skipped)
        elif run.due:
            states = [r.state for r in run.results]
            log.info("re-check: %d due, %s", run.due,
                     ", ".join(f"{states.count(s)} {s}" for s in sorted(set(states))) or "none done")

    def archive(self) -> None:
        """Submit newly matched articles to the Wayback Machine and poll its jobs."""
        from scheduler.wayback import run_wayback

        if not self.cfg.evidence.wayback.enabled:
            return
        try:
            run = run_wayback(self.cfg, self.db, stop=self.stop_event)
        except (DatabaseError, RuntimeError) as exc:
            log.warning("wayback: %s; it runs again at its next time", _reason(exc))
            return
        if run.archived or run.retrying or run.refused:
            log.info("wayback: %d archived, %d pending, %d to retry, %d refused", len(run.archived),
                     run.pending, len(run.retrying), len(run.refused))

    def deliver(self) -> None:
        from scheduler.digesting import deliver_outbox

        try:
            deliver_outbox(self.cfg, self.db)
        except DatabaseError as exc:
            log.warning("outbox: database unreachable (%s); it runs again in %.0f s",
                        _reason(exc), OUTBOX_POLL_S)

    def evidence_retention(self) -> None:
        """Drop expired unmatched captures and reclaim their space (evidence.keep_unmatched_days)."""
        from scheduler.evidencing import apply_retention

        try:
            apply_retention(self.cfg, self.db)
        except DatabaseError as exc:
            log.warning("evidence retention: database unreachable (%s); it runs again later", _reason(exc))
        except OSError as exc:
            log.error("evidence retention: %s", exc)

    def tend_lease(self) -> None:
        """Renew the lease (leader) or try to take it (standby), when that is due."""
        now = self.clock()
        if now < self._lease_due:
            return
        leading = self.scheduler is not None
        try:
            held = (leases.renew if leading else leases.acquire)(self.db, LEASE, self.owner, LEASE_TTL)
            if held and leading:
                heartbeats.beat(self.db, LEASE, self.owner)
        except DatabaseError as exc:
            self._database_down(exc, now)
            return
        self._database_up(now)
        self._lease_due = now + (LEASE_EVERY_S if held else STANDBY_EVERY_S)
        if held:
            self._lease_until = now + LEASE_TTL.total_seconds()
        if leading and not held:
            log.error("lost the scheduler lease to another process; standing by")
            self._stop_scheduler()
        elif not leading and held:
            self._standing_by = False
            self._start_scheduler()
        elif not held and not self._standing_by:
            self._standing_by = True
            log.info("another scheduler holds the lease; standing by")

    def _database_down(self, exc: BaseException, now: float) -> None:
        if self._db_down_since is None:
            self._db_down_since, self._backoff = now, 1.0
        else:
            self._backoff = min(2 * self._backoff, BACKOFF_MAX_S)
        self._lease_due = now + self._backoff
        log.warning("database unreachable (%s: %s); retrying in %.0f s", display_url(self.db.url),
                    _reason(exc), self._backoff)
        if self.scheduler is not None and now >= self._lease_until:
            # Another daemon may hold the lease by the time the database is back.
            log.error("the scheduler lease lapsed during the outage; stopping the jobs until "
                      "the database is back")
            self._stop_scheduler()

    def _database_up(self, now: float) -> None:
        if self._db_down_since is not None:
            log.warning("database reachable again after %.0f s", now - self._db_down_since)
            self._db_down_since = None

    def watch_config(self) -> None:
        """Apply config.yaml once an edit has settled, validates and keeps what it must."""
        stamp = self._config_file.ready()
        if stamp is None:
            return
        try:
            cfg, wl = load_unless_stopped(self._load_config, self.stop_event)
        except Stopped:
            return
        except ConfigError as exc:
            if self._config_file.still(stamp):
                self._config_file.taken(stamp)
                self._refuse_config("config.yaml changed but is invalid", str(exc))
            return
        except Exception:  # a bug in loading must not end the service: the old config stays
            self._config_file.taken(stamp)
            log.exception("config.yaml changed but could not be loaded; the previous config stays in force")
            return
        if not self._config_file.still(stamp):
            return  # rewritten while being read: wait for it to settle again
        self._config_file.taken(stamp)
        if cfg.database.url != self.cfg.database.url:
            log.error("database.url cannot change while running; restart to switch databases")
            return
        accident = dropped_everything(self.cfg, cfg)
        if accident is not None:
            self._refuse_config("config.yaml changed but looks cut short", accident)
            return
        self._config_file.include(cfg.included_files(self.config_path))
        with self._lock:
            self.cfg, self.watchlist = cfg, wl
            if self.scheduler is not None:
                self._install_jobs(self.scheduler)
        log.info("config reloaded: %d sources, %d subscribers", len(cfg.sources), len(cfg.subscribers))

    def _load_config(self) -> tuple[Config, Watchlist]:
        cfg = load_config(self.config_path)
        return cfg, watchlist(cfg)

    def _refuse_config(self, what: str, why: str) -> None:
        log.error("%s; the previous config stays in force:\n%s", what, why)
        self._alert_admins("config reload rejected", why)

    # -- plumbing -----------------------------------------------------------------------

    def _alert_admins(self, subject: str, text: str) -> None:
        try:
            from scheduler.digesting import alert_admins

            alert_admins(self.cfg, subject, text)
        except Exception:
            log.exception("could not alert the admins")

    def _install_jobs(self, sched: BackgroundScheduler, now: datetime | None = None) -> None:
        """Make the scheduler's jobs match the config.

        A job whose schedule is unchanged keeps its next run time; a new or rescheduled crawl
        runs at its trigger's first time after the source's last run (soon, if that is past),
        so neither a reload nor a restart pushes a crawl back by a whole interval. A rescheduled
        digest runs at its new time on the first local day after the last one it served (soon,
        if that time has passed); a new one at its next time (the start catches up missed ones).
        """
        now = now or utcnow()
        present = {j.id for j in sched.get_jobs()}
        try:
            last_crawl = crawl_runs.last_started(self.db)
            weekly = any(s.digest.weekday for s in self.cfg.subscribers)
            served = digest_runs.last_due(self.db, now - SERVED_LOOK_BACK * (4 if weekly else 1))
        except DatabaseError as exc:  # placing jobs must not fail: new ones run as if never run
            log.warning("could not read when jobs last ran (%s); new crawls start soon", _reason(exc))
            last_crawl, served = {}, {}
        wanted: dict[str, _Job] = {}
        for src in self.cfg.sources:
            if src.enabled:
                wanted[f"crawl:{src.id}"] = _Job(self.crawl, [src.id], source_trigger(src.schedule),
                                                 ("crawl", src.schedule), 600,
                                                 since=last_crawl.get(src.id), soon_if_new=True)
        for sub in self.cfg.subscribers:
            job_id = f"digest:{sub.id}"
            wanted[job_id] = _Job(self.digest, [sub.id], digest_trigger(sub),
                                  ("digest", sub.digest.time, sub.timezone, sub.digest.weekday),
                                  6 * 3600,
                                  since=served.get(sub.id) if job_id in present else None)
        ev = self.cfg.evidence
        every = IntervalTrigger(seconds=parse_interval(ev.recheck_every).total_seconds())
        wanted["recheck"] = _Job(self.recheck, [], every, ("recheck", ev.recheck_every), MISFIRE_S,
                                 soon_if_new=True)
        if ev.wayback.enabled:
            every = IntervalTrigger(seconds=parse_interval(ev.wayback.every).total_seconds())
            wanted["wayback"] = _Job(self.archive, [], every, ("wayback", ev.wayback.every), MISFIRE_S,
                                     soon_if_new=True)
        wanted["outbox"] = _Job(self.deliver, [], IntervalTrigger(seconds=OUTBOX_POLL_S), ("outbox",),
                                MISFIRE_S, soon_if_new=True)
        if self.cfg.evidence.timestamp.tsa_url:
            wanted["stamp"] = _Job(self.stamp, [], IntervalTrigger(seconds=STAMP_POLL_S), ("stamp",),
                                   MISFIRE_S, soon_if_new=True)
        wanted["evidence-retention"] = _Job(self.evidence_retention, [],
                                            IntervalTrigger(seconds=EVIDENCE_RETENTION_EVERY_S),
                                            ("evidence-retention",), 3600, soon_if_new=True)
        wanted["web-requests"] = _Job(self.web_requests, [], IntervalTrigger(seconds=OUTBOX_POLL_S),
                                      ("web-requests",), MISFIRE_S, soon_if_new=True)
        for job in sched.get_jobs():
            # One-off catch-ups stay: a reload must not cancel a digest that is owed.
            if job.id not in wanted and not job.id.startswith("catchup:"):
                job.remove()
                self._schedules.pop(job.id, None)
        crawls_soon = 0
        for job_id, want in wanted.items():
            if job_id in present and self._schedules.get(job_id) == want.schedule:
                continue
            first = want.first_run(now)
            if (first is None or first <= now) and job_id.startswith("crawl:"):
                # Crawl children started together would pile up: 20 s apart.
                first, crawls_soon = now + timedelta(seconds=5 + 20 * crawls_soon), crawls_soon + 1
            elif first is None or first <= now:
                first = now + timedelta(seconds=2)
            sched.add_job(want.func, want.trigger, args=want.args, id=job_id, name=job_id,
                          replace_existing=True, next_run_time=first, misfire_grace_time=want.misfire_grace)
            self._schedules[job_id] = want.schedule
        # At start and after every reload; a no-op unless an entity was added or changed.
        sched.add_job(self.rematch, DateTrigger(now + timedelta(seconds=1)), id="rematch", name="rematch",
                      replace_existing=True)

    def _start_scheduler(self) -> None:
        sched = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=8)},
            # One run of a job at a time; runs missed while busy collapse into one.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_S},
        )
        sched.add_listener(self._on_job_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        with self._lock:
            self._install_jobs(sched)
        sched.start()
        self.scheduler = sched
        try:
            # The last beat, ours or a predecessor's, is when the scheduler stopped running.
            self._catch_up_digests(heartbeats.last(self.db, LEASE), utcnow())
            heartbeats.beat(self.db, LEASE, self.owner)
        except DatabaseError as exc:  # the next start looks again
            log.warning("could not look for missed digests (%s)", _reason(exc))
        jobs = sched.get_jobs()
        log.info("scheduler running as %s with %d jobs", self.owner, len(jobs))
        never = datetime.max.replace(tzinfo=UTC)
        for job in sorted(jobs, key=lambda j: (j.next_run_time or never, j.id)):
            when = job.next_run_time
            log.info("  %s: next run %s", job.id,
                     when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if when else "paused")

    def _catch_up_digests(self, down_since: datetime | None, now: datetime) -> None:
        """Digest times that passed while no scheduler ran, and were not served, are served now."""
        from scheduler.digesting import missed_digests

        for sub_id, due in missed_digests(self.cfg, self.db, now, down_since).items():
            log.warning("digest for %s due at %s was missed while the service was down; sending it now",
                        sub_id, due.strftime("%Y-%m-%d %H:%M UTC"))
            assert self.scheduler is not None
            self.scheduler.add_job(self.digest, args=[sub_id, due], id=f"catchup:{sub_id}",
                                   replace_existing=True)

    def _stop_scheduler(self) -> None:
        sched, self.scheduler = self.scheduler, None
        if sched is not None:
            sched.shutdown(wait=False)

    def _stop_poller(self, poller: Any, thread: threading.Thread) -> None:
        """The poller ends after its long poll; its lease is let go now, so a successor need not wait."""
        thread.join(timeout=2)
        try:
            leases.release(self.db, poller.lease, self.owner)
        except DatabaseError as exc:
            log.warning("could not release the Telegram poll lease (%s)", _reason(exc))

    def _on_job_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning("job %s missed its run at %s", event.job_id, event.scheduled_run_time)
        elif event.exception is not None:
            log.error("job %s failed: %r", event.job_id, event.exception)

    def serve(self) -> int:
        """Hold or wait for the lease, run the jobs, stop cleanly when asked."""
        from scheduler.telegram_self import start_poller

        bot = start_poller(self.cfg, lambda: self.cfg, self.db, self.owner, self.stop_event)
        try:
            while not self.stop_event.is_set():
                self.tend_lease()
                self.watch_config()
                self.stop_event.wait(TICK_S)
        finally:
            log.info("stopping: ending crawls and jobs")
            if bot is not None:
                self._stop_poller(*bot)
            stop_all_crawls()
            sched, self.scheduler = self.scheduler, None
            if sched is not None:
                sched.shutdown(wait=True)
            try:
                if sched is not None:
                    heartbeats.beat(self.db, LEASE, self.owner)  # downtime starts now
                leases.release(self.db, LEASE, self.owner)
            except DatabaseError as exc:
                log.warning("could not release the scheduler lease (%s); it lapses within %.0f s",
                            _reason(exc), LEASE_TTL.total_seconds())
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
