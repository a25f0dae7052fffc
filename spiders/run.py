"""`python -m spiders.run JOB.json`: crawl every source of a job, then exit.

Exit status: 0 when the job ran (per-URL errors are reported as events and CrawlError
rows), 2 for a bad job or usage, 3 when the database is unreachable or not migrated,
1 for any other fatal error. Events go to stdout as JSON lines; logs go to stderr.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Generator
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from sqlalchemy import text

from spiders import events
from spiders.jobspec import CrawlJob, JobError, SourceSpec
from spiders.liveness import is_dead_local_owner, owner_id
from spiders.runstate import SourceRun, close_interrupted_runs
from spiders.settings import REACTOR, base_settings, source_settings
from spiders.source_spiders import spider_for
from storage import leases, migrate
from storage.database import Database

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


def load_job(arg: str) -> CrawlJob:
    try:
        raw = sys.stdin.read() if arg == "-" else Path(arg).read_text(encoding="utf-8")
    except OSError as exc:
        raise JobError(f"cannot read job file {arg}: {exc}") from exc
    return CrawlJob.from_json(raw)


def open_database(url: str) -> Database:
    """Connect and check the schema; raise RuntimeError with an operator-facing message."""
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = migrate.is_current(db)
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


def _reactor() -> Any:
    """The installed reactor, imported late: importing it earlier would install the default."""
    from twisted.internet import reactor

    return reactor


class JobRunner:
    def __init__(self, job: CrawlJob, db: Database) -> None:
        self.job = job
        self.db = db
        self.owner = owner_id()
        self.claimed: set[str] = set()
        self.stopping = False
        self.crashed = False

    def run(self) -> int:
        from scrapy.crawler import CrawlerProcess
        from scrapy.utils.reactor import install_reactor

        install_reactor(REACTOR)
        reactor = _reactor()
        self.process = CrawlerProcess(base_settings(self.job.settings))
        reactor.callWhenRunning(self._start_all)
        reactor.addSystemEventTrigger("before", "shutdown", self._on_shutdown)
        self.process.start(stop_after_crawl=False)
        return EXIT_FATAL if self.crashed else EXIT_OK

    def _on_shutdown(self) -> None:
        self.stopping = True

    def _start_all(self) -> None:
        from twisted.internet.defer import DeferredList

        reactor = _reactor()
        groups = [self._run_group(g) for g in host_groups(self.job.sources)]

        def stop(_: Any) -> None:
            if reactor.running:
                reactor.stop()

        DeferredList(groups, consumeErrors=True).addBoth(stop)

    def _run_group(self, group: list[SourceSpec]) -> Any:
        from twisted.internet import task
        from twisted.internet.defer import inlineCallbacks

        @inlineCallbacks
        def chain() -> Generator[Any, Any, None]:
            for n, source in enumerate(group):
                if self.stopping:
                    events.emit("skipped", source.id, reason="child is shutting down")
                    continue
                if n and self.job.settings.per_host_delay:
                    # Each source has its own downloader; keep the host's delay between
                    # the last request of one and the first of the next.
                    yield task.deferLater(_reactor(), self.job.settings.per_host_delay,
                                          lambda: None)
                try:
                    yield self._run_source(source)
                except Exception:
                    self.crashed = True
                    logger.exception("crawl of %s failed", source.id)

        return chain()

    def _run_source(self, source: SourceSpec) -> Any:
        from scrapy import signals
        from scrapy.crawler import Crawler
        from twisted.internet.defer import inlineCallbacks
        from twisted.internet.task import LoopingCall

        lease = f"crawl:{source.id}"

        @inlineCallbacks
        def crawl() -> Generator[Any, Any, None]:
            try:
                got = leases.acquire(self.db, lease, self.owner, LEASE_TTL)
            except Exception as exc:
                logger.exception("lease %s", lease)
                events.emit("skipped", source.id, reason=f"could not take the lease: {exc}")
                return
            if not got:
                # A crawl killed outright (kill -9, OOM) on this host left its lease behind;
                # waiting out the TTL would make the next run skip the source needlessly.
                dead = leases.holder(self.db, lease)
                if dead and is_dead_local_owner(dead):
                    got = leases.take_over(self.db, lease, dead, self.owner, LEASE_TTL)
                    if got:
                        logger.warning("took over lease %s from dead crawl %s", lease, dead)
            if got:
                close_interrupted_runs(self.db, source.id)
            if not got:
                who = leases.holder(self.db, lease) or "another process"
                events.emit("skipped", source.id,
                            reason=f"already being crawled by {who} (lease {lease})")
                return
            run = SourceRun(source=source, db=self.db, claimed=self.claimed)
            finish = {"reason": "finished"}
            crawler = Crawler(spider_for(source.type), source_settings(self.job.settings, source))

            def closed(spider: Any, reason: str) -> None:
                finish["reason"] = reason
                if reason == "shutdown":
                    # SIGTERM: Scrapy stops the running crawlers first and the reactor only
                    # afterwards, so no later source may start in between.
                    self.stopping = True

            crawler.signals.connect(closed, signal=signals.spider_closed)

            def renew() -> None:
                try:
                    ok = leases.renew(self.db, lease, self.owner, LEASE_TTL)
                except Exception:
                    logger.exception("renewing lease %s", lease)
                    return  # a transient DB error: try again at the next tick
                if not ok and crawler.engine is not None:
                    logger.error("lost lease %s; stopping this source", lease)
                    from scrapy.utils.defer import deferred_from_coro

                    deferred_from_coro(crawler.engine.close_spider_async(reason="lease_lost"))

            renewer = LoopingCall(renew)
            try:
                run.begin()
                renewer.start(LEASE_RENEW_SECONDS, now=False)
                yield self.process.crawl(crawler, source=source, run=run)
            except Exception as exc:
                logger.exception("source %s crashed", source.id)
                run.error(source.urls[0], "internal", f"{type(exc).__name__}: {exc}", entry=True)
                finish["reason"] = "crashed"
            finally:
                if renewer.running:
                    renewer.stop()
                run.finish(finish["reason"])
                try:
                    leases.release(self.db, lease, self.owner)
                except Exception:
                    logger.exception("releasing lease %s (it will expire)", lease)

        return crawl()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        return _fail(EXIT_BAD_JOB, "usage: python -m spiders.run JOB.json  (or - for stdin)")
    events.set_writer(events.EventWriter(claim_stdout()))
    try:
        job = load_job(args[0])
    except JobError as exc:
        return _fail(EXIT_BAD_JOB, f"bad job: {exc}")
    try:
        db = open_database(job.database_url)
    except RuntimeError as exc:
        return _fail(EXIT_DATABASE, str(exc))
    try:
        return JobRunner(job, db).run()
    except Exception as exc:
        logging.getLogger(__name__).exception("fatal")
        return _fail(EXIT_FATAL, f"fatal error: {type(exc).__name__}: {exc}")
    finally:
        db.dispose()


if __name__ == "__main__":
    sys.exit(main())
