"""One source's crawl run: counters, events, the CrawlRun row and its CrawlError rows."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update

from spiders import conditional, events
from spiders.jobspec import SourceSpec
from storage.articles import known_url_keys
from storage.database import Database
from storage.models import CrawlError, CrawlRun
from storage.types import utcnow

logger = logging.getLogger(__name__)
ERROR_FLUSH_EVERY = 25
MESSAGE_MAX = 2000


@dataclass(slots=True)
class _PendingError:
    url: str
    kind: str
    message: str
    at: datetime


@dataclass
class SourceRun:
    """Shared by a source's spider, its middlewares and the storage pipeline (one reactor
    thread, so no locking)."""

    source: SourceSpec
    db: Database
    # URL keys already requested by any source of this child: one article linked from a
    # feed and a sitemap is fetched once per run.
    claimed: set[str] = field(default_factory=set)
    run_id: int | None = None
    pages: int = 0
    new: int = 0
    duplicates: int = 0
    errors: int = 0
    known_skipped: int = 0
    not_modified: int = 0
    # Conditional-GET validators seen this run (url -> (etag, last_modified)); saved only
    # if the run ends ok (spiders/conditional.py says why).
    validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    entries_ok: int = 0
    entries_failed: int = 0
    error_kinds: Counter[str] = field(default_factory=Counter)
    _pending: list[_PendingError] = field(default_factory=list)
    finished: bool = False

    @property
    def source_id(self) -> str:
        return self.source.id

    def begin(self) -> None:
        with self.db.write() as s:
            row = CrawlRun(source_id=self.source_id, started_at=utcnow(), status="running",
                           error_kinds={})
            s.add(row)
            s.flush()
            self.run_id = row.id
        events.emit("start", self.source_id)

    def page(self, url: str, kind: str, entry: bool = False) -> None:
        self.pages += 1
        if entry:
            self.entries_ok += 1
        events.emit("page", self.source_id, url=url, kind=kind)

    def error(self, url: str, kind: str, message: str, entry: bool = False) -> None:
        self.errors += 1
        self.error_kinds[kind] += 1
        if entry:
            self.entries_failed += 1
        message = message[:MESSAGE_MAX]
        self._pending.append(_PendingError(url, kind, message, utcnow()))
        events.emit("error", self.source_id, url=url, kind=kind, message=message)
        logger.warning("%s: %s %s: %s", self.source_id, kind, url, message)
        if len(self._pending) >= ERROR_FLUSH_EVERY:
            self.flush_errors()

    def stored(self, url: str, article_id: int | None) -> None:
        if article_id is None:
            self.duplicates += 1
        else:
            self.new += 1
        events.emit("article", self.source_id, new=article_id is not None, url=url, id=article_id)

    def known(self, urls: list[str]) -> set[str]:
        """Those of these URLs whose article is stored already."""
        if not urls:
            return set()
        with self.db.read() as s:
            return known_url_keys(s, urls)

    def flush_errors(self) -> None:
        if not self._pending or self.run_id is None:
            return
        rows = [
            CrawlError(run_id=self.run_id, url=e.url, kind=e.kind[:32], message=e.message, at=e.at)
            for e in self._pending
        ]
        try:
            with self.db.write() as s:
                s.add_all(rows)
        except Exception:  # the run's summary still counts them; the crawl goes on
            logger.exception("%s: could not record %d crawl errors", self.source_id, len(rows))
        self._pending.clear()

    def status(self, reason: str) -> str:
        if self.entries_ok == 0 and (self.entries_failed or self.errors or reason != "finished"):
            return "failed"
        if self.errors or reason != "finished":
            return "partial"
        return "ok"

    def finish(self, reason: str) -> str:
        """Write the run's summary once; emit `done`; return the status."""
        if self.finished:
            return self.status(reason)
        self.finished = True
        self.flush_errors()
        status = self.status(reason)
        if status == "ok":
            try:
                conditional.save(self.db, self.validators)
            except Exception:  # only costs a full fetch next time
                logger.exception("%s: could not save HTTP validators", self.source_id)
        if self.run_id is not None:
            try:
                with self.db.write() as s:
                    s.execute(
                        update(CrawlRun)
                        .where(CrawlRun.id == self.run_id)
                        .values(
                            finished_at=utcnow(),
                            status=status,
                            pages=self.pages,
                            new_articles=self.new,
                            duplicates=self.duplicates,
                            errors=self.errors,
                            error_kinds=dict(self.error_kinds),
                        )
                    )
            except Exception:
                logger.exception("%s: could not record the crawl run", self.source_id)
        events.emit(
            "done",
            self.source_id,
            status=status,
            reason=reason,
            stats={
                "fetched": self.pages,
                "new": self.new,
                "duplicates": self.duplicates,
                "errors": self.errors,
                "already_known": self.known_skipped,
                "not_modified": self.not_modified,
            },
        )
        return status


def close_interrupted_runs(db: Database, source_id: str) -> int:
    """Mark runs of this source left 'running' by a killed crawl as failed.

    Called with the source's lease held, so no live run of the source can be among them.
    """
    with db.write() as s:
        res = s.execute(
            update(CrawlRun)
            .where(CrawlRun.source_id == source_id, CrawlRun.status == "running")
            .values(status="failed", finished_at=utcnow(),
                    error_kinds={"interrupted": 1})
        )
        return int(res.rowcount or 0)  # type: ignore[attr-defined]
