"""`python -m spiders JOB.json`: crawl every source of a job, then exit.

`python -m spiders --watch-stdin -` is how a parent starts it: the job is the first
line of stdin (compact JSON, so it is never written to disk with the database password),
and stdin then stays open; when it ends, the parent is gone and the crawl stops
(spiders/parent.py).

Exit status: 0 when the job ran (per-URL errors are reported as events and CrawlError
rows), 2 for a bad job or usage, 3 when the database is unreachable or not migrated,
1 for any other fatal error. Events go to stdout as JSON lines; logs go to stderr.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.spiders import Spider
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task
from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.error import ReactorNotRunning

from spiders import parent
from spiders.capture_queue import CaptureQueue
from spiders.context import SETTING, CrawlContext
from spiders.events import EventWriter, Skipped
from spiders.extract_workers import Extractor, worker_count
from spiders.jobspec import CrawlJob, JobError, RecheckSpec, SourceSpec
from spiders.liveness import is_dead_local_owner, owner_id
from spiders.recheck import RecheckSpider
from spiders.recorder import RunRecorder
from spiders.settings import REACTOR, base_settings, source_settings
from spiders.source_spiders import spider_for
from storage import crawl_runs, leases, migrate
from storage.database import BUSY_TIMEOUT_S, Database
from storage.evidence import CaptureFailed, CaptureWriter, Settings

logger = logging.getLogger("spiders.run")
LEASE_TTL = timedelta(minutes=5)
LEASE_RENEW_SECONDS = 60.0
EXIT_OK, EXIT_FATAL, EXIT_BAD_JOB, EXIT_DATABASE = 0, 1, 2, 3


def _fail(code: int, message: str) -> int:
    sys.stderr.write(f"unionwatch crawl: {message}\n")
    sys.stderr.flush()
    return code


def claim_stdout() -> TextIO:
    """Keep the real stdout for events only; anything else printing to it goes to stderr."""
    sys.stdout.flush()
    events_fd = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(events_fd, "w", encoding="utf-8", buffering=1)


def load_job(arg: str, first_line: bool = False) -> CrawlJob:
    """The job from a file, or from stdin (`-`): all of it, or its first line only."""
    try:
        if arg != "-":
            raw = Path(arg).read_text(encoding="utf-8")
        else:
            raw = sys.stdin.readline() if first_line else sys.stdin.read()
    except OSError as exc:
        raise JobError(f"cannot read job file {arg}: {exc}") from exc
    return CrawlJob.from_json(raw)


def open_database(url: str, busy_timeout: float = BUSY_TIMEOUT_S) -> Database:
    """Connect and check the schema; raise RuntimeError with an operator-facing message."""
    db = Database(url, busy_timeout=busy_timeout)
    try:
        current = migrate.is_current(db)  # connects: an unreachable server fails here
    except Exception as exc:
        db.dispose()
        raise RuntimeError(f"database unreachable: {type(exc).__name__}: {exc}") from exc
    if not current:
        db.dispose()
        raise RuntimeError("database schema is not at the latest migration: run the migrations")
    return db


def host_groups(sources: list[SourceSpec]) -> list[list[SourceSpec]]:
    """Sources grouped by the host of their first URL, in job order.

    Groups crawl in parallel; the sources of one host crawl one after another, so the
    per-host concurrency and delay hold across sources, not just within one spider.
    """
    groups: dict[str, list[SourceSpec]] = {}
    for s in sources:
        host = (urlsplit(s.urls[0]).hostname or "").lower().removeprefix("www.")
        groups.setdefault(host, []).append(s)
    return list(groups.values())


def recheck_groups(specs: list[RecheckSpec]) -> list[list[RecheckSpec]]:
    """Re-checks grouped by host, in job order."""
    groups: dict[str, list[RecheckSpec]] = {}
    for r in specs:
        groups.setdefault((urlsplit(r.url).hostname or "").lower().removeprefix("www."), []).append(r)
    return list(groups.values())


def _reactor() -> Any:
    """The installed reactor, imported late: importing it earlier would install the default."""
    from twisted.internet import reactor

    return reactor


class JobRunner:
    """Crawls a job's sources in one reactor: hosts in parallel, each source under its lease.

    The coroutines below await Deferreds (run by Deferred.fromCoroutine), so each resumes
    in the reactor's callback chain, as Scrapy's own code does.
    """

    def __init__(self, job: CrawlJob, db: Database, events: EventWriter, watch_parent: bool = False) -> None:
        self.job = job
        self.db = db
        ev = job.evidence
        writer = (CaptureQueue(CaptureWriter(db, Settings(Path(ev.dir), ev.max_file_bytes,
                                                          ev.rotate_daily, ev.gzip_level)))
                  if ev else None)
        cs = job.settings
        self.context = CrawlContext(db, events, evidence=writer,
                                    extractor=Extractor(worker_count(cs.extract_workers), cs.extract_timeout,
                                                        memory_mb=cs.extract_memory_mb))
        self.owner = owner_id()
        self.stopping = False
        self.crashed = False
        self.watch_parent = watch_parent
        self.orphaned = False

    def run(self) -> int:
        from scrapy.utils.reactor import install_reactor

        install_reactor(REACTOR)
        self.process = CrawlerProcess(base_settings(self.job.settings))
        reactor = _reactor()
        reactor.callWhenRunning(self._start_all)
        reactor.addSystemEventTrigger("before", "shutdown", self._on_shutdown)
        self.context.events.on_broken = self._parent_gone_soon
        if self.watch_parent:
            parent.on_parent_death(self._parent_gone_soon)
            parent.watch_stdin(sys.stdin, self._parent_gone_soon)
        if self.job.sources or self.job.rechecks:
            self.context.extractor.start()  # its workers start while the first feeds load
        try:
            self.process.start(stop_after_crawl=False)
        finally:
            self.context.extractor.close()
            self._close_evidence()
        return EXIT_FATAL if self.crashed else EXIT_OK

    def _close_evidence(self) -> None:
        writer = self.context.evidence
        if writer is None:
            return
        try:
            writer.close()
        except CaptureFailed as exc:  # every source's run is recorded already: the log says it
            logger.error("evidence: %d captures not archived: %s", len(exc.urls), exc)
        except Exception:
            logger.exception("closing the evidence archive")

    def _on_shutdown(self) -> None:
        self.stopping = True

    def _parent_gone_soon(self, why: str) -> None:
        """From any thread or a signal handler: stop in the reactor's thread."""
        _reactor().callFromThread(self._parent_gone, why)

    def _parent_gone(self, why: str) -> None:
        """No one reads the events any more: stop as SIGTERM would. The running sources
        end `partial` (so their validators are not saved), and nothing more starts."""
        if self.orphaned:
            return
        self.orphaned = self.stopping = True
        logger.warning("stopping the crawl: %s", why)
        self.process.stop()

    def _start_all(self) -> None:
        groups = [Deferred.fromCoroutine(self._crawl_host(g)) for g in host_groups(self.job.sources)]
        DeferredList(groups, consumeErrors=True).addBoth(self._start_rechecks)

    def _start_rechecks(self, _: Any) -> None:
        groups = [Deferred.fromCoroutine(self._recheck_host(g)) for g in recheck_groups(self.job.rechecks)]
        DeferredList(groups, consumeErrors=True).addBoth(self._stop_reactor)

    async def _recheck_host(self, group: list[RecheckSpec]) -> None:
        """One host's re-checks in one crawler: its delay and concurrency hold across them."""
        if self.stopping:
            return  # not recorded: the articles stay due and the next run takes them
        settings = base_settings(self.job.settings)
        settings.update({SETTING: self.context, "ITEM_PIPELINES": {}, "EXTENSIONS": {}})
        try:
            await self.process.crawl(Crawler(RecheckSpider, settings), rechecks=group)
        except Exception:
            self.crashed = True
            logger.exception("re-check of %s crashed", urlsplit(group[0].url).hostname)

    def _stop_reactor(self, _: Any) -> None:
        # After SIGTERM, Scrapy has asked the reactor to stop already; `running` stays true
        # until it has, and a second stop() raises.
        with contextlib.suppress(ReactorNotRunning):
            _reactor().stop()

    def _skip(self, source: SourceSpec, reason: str) -> None:
        self.context.events.emit(Skipped(source=source.id, reason=reason))

    async def _crawl_host(self, group: list[SourceSpec]) -> None:
        for n, source in enumerate(group):
            if self.stopping:
                self._skip(source, "child is shutting down")
                continue
            if n and self.job.settings.per_host_delay:
                # Each source has its own downloader; keep the host's delay between the
                # last request of one and the first of the next.
                await task.deferLater(_reactor(), self.job.settings.per_host_delay, lambda: None)
                if self.stopping:
                    self._skip(source, "child is shutting down")
                    continue
            try:
                await self._crawl_source(source)
            except Exception:
                self.crashed = True
                logger.exception("crawl of %s failed", source.id)

    async def _crawl_source(self, source: SourceSpec) -> None:
        name = f"crawl:{source.id}"
        try:
            # A crawl killed outright (kill -9, OOM) on this host left its lease behind;
            # waiting out the TTL would make the next run skip the source needlessly.
            lease = leases.take(self.db, name, self.owner, LEASE_TTL, is_dead=is_dead_local_owner)
        except leases.LeaseHeld as held:
            self._skip(source, f"already being crawled by {held.holder or 'another process'} (lease {name})")
            return
        except Exception as exc:
            logger.exception("lease %s", name)
            self._skip(source, f"could not take the lease: {exc}")
            return
        if lease.taken_from:
            logger.warning("took over lease %s from dead crawl %s", name, lease.taken_from)
        with lease:
            crawl_runs.close_interrupted(self.db, source.id)
            await self._crawl_leased(source, lease)

    async def _crawl_leased(self, source: SourceSpec, lease: leases.HeldLease) -> None:
        crawler = Crawler(spider_for(source.type), source_settings(self.job.settings, source, self.context))
        crawler.signals.connect(self._on_spider_closed, signal=signals.spider_closed)
        renewer = task.LoopingCall(self._renew, lease, crawler)
        renewer.start(LEASE_RENEW_SECONDS, now=False)
        reason = "finished"
        try:
            await self.process.crawl(crawler, source=source)
        except Exception as exc:
            logger.exception("source %s crashed", source.id)
            RunRecorder.of(crawler).crashed(source.urls[0], exc)
            reason = "crashed"
        finally:
            renewer.stop()
            RunRecorder.of(crawler).finish(reason)  # a no-op once spider_closed has finished it

    def _on_spider_closed(self, spider: Spider, reason: str) -> None:
        if reason == "shutdown":
            # SIGTERM: Scrapy stops the running crawlers first and the reactor only
            # afterwards, so no later source may start in between.
            self.stopping = True

    def _renew(self, lease: leases.HeldLease, crawler: Crawler) -> None:
        try:
            still_ours = lease.renew()
        except Exception:
            logger.exception("renewing lease %s", lease.name)
            return  # a transient DB error: try again at the next tick
        if not still_ours and crawler.engine is not None:
            logger.error("lost lease %s; stopping this source", lease.name)
            deferred_from_coro(crawler.engine.close_spider_async(reason="lease_lost"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    watch = args[:1] == ["--watch-stdin"]
    args = args[1:] if watch else args
    if len(args) != 1 or args[0] in ("-h", "--help") or (watch and args[0] != "-"):
        return _fail(EXIT_BAD_JOB, "usage: python -m spiders JOB.json  (or - for stdin, "
                                   "or --watch-stdin - for the job's line, then EOF when the parent goes)")
    events = EventWriter(claim_stdout())
    try:
        job = load_job(args[0], first_line=watch)
    except JobError as exc:
        return _fail(EXIT_BAD_JOB, f"bad job: {exc}")
    try:
        db = open_database(job.database_url, job.settings.database_busy_timeout)
    except RuntimeError as exc:
        return _fail(EXIT_DATABASE, str(exc))
    # A crawl makes many short-lived objects per page (responses, parsed trees, items, events)
    # and few cycles: at the default gen-0 threshold (700) a collection ran every few dozen
    # of them. What is loaded by now lives as long as the child: frozen, later full
    # collections skip it.
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)
    try:
        return JobRunner(job, db, events, watch_parent=watch).run()
    except Exception as exc:
        logger.exception("fatal")
        return _fail(EXIT_FATAL, f"fatal error: {type(exc).__name__}: {exc}")
    finally:
        db.dispose()


if __name__ == "__main__":
    sys.exit(main())
