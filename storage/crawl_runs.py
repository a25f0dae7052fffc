"""Crawl runs and their errors: one row per source per crawl, what it fetched and what failed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select, update

from storage.database import Database
from storage.models import CrawlError, CrawlRun
from storage.text import clean_line, clean_text, fit
from storage.types import utcnow

KIND_MAX = 32  # CrawlError.kind length
REASON_MAX = 64  # CrawlRun.reason length


class CrawlStatus(StrEnum):
    """How a source's crawl went. A crawl_run row holds running, ok, partial or failed; a
    parent also reports pending (not started yet) and skipped (its lease was held elsewhere)."""

    PENDING = "pending"
    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    SKIPPED = "skipped"


# A run that ended with articles stored counts as a success for "last success".
SUCCEEDED = (CrawlStatus.OK, CrawlStatus.PARTIAL)


@dataclass(frozen=True, slots=True)
class RunTotals:
    """What a finished run did, as its crawl_run row records it."""

    pages: int = 0
    new_articles: int = 0
    duplicates: int = 0
    errors: int = 0
    error_kinds: Mapping[str, int] = field(default_factory=dict)
    already_known: int = 0  # links not fetched: their article is stored already
    not_modified: int = 0  # feeds and sitemaps answered 304


@dataclass(frozen=True, slots=True)
class Run:
    source_id: str
    started_at: datetime
    finished_at: datetime | None
    status: CrawlStatus
    pages: int
    new_articles: int
    errors: int
    duplicates: int = 0
    already_known: int = 0
    not_modified: int = 0
    reason: str | None = None  # Scrapy's close reason ("finished", "shutdown", ...), "interrupted"
    error_kinds: Mapping[str, int] = field(default_factory=dict)

    def why(self) -> str:
        """The run's outcome in a few words: its reason, then its errors by kind."""
        kinds = ", ".join(f"{k} ×{n}" for k, n in sorted(self.error_kinds.items(), key=lambda kv: -kv[1]))
        reason = {"finished": "", "interrupted": "the crawl process died"}.get(self.reason or "",
                                                                                self.reason or "")
        return "; ".join(p for p in (reason, kinds) if p)

    @property
    def entries(self) -> int:
        """Articles the source's pages listed: new, duplicate or known already."""
        return self.new_articles + self.duplicates + self.already_known


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """One failed URL of a run."""

    url: str
    kind: str
    message: str
    at: datetime


def start(db: Database, source_id: str, *, now: datetime | None = None) -> int:
    """Open a run of this source (status running); return its id."""
    with db.write() as s:
        row = CrawlRun(source_id=source_id, started_at=now or utcnow(), status=CrawlStatus.RUNNING.value,
                       error_kinds={})
        s.add(row)
        s.flush()
        return row.id


def finish(db: Database, run_id: int, status: CrawlStatus, totals: RunTotals, *,
           reason: str | None = None, now: datetime | None = None) -> None:
    with db.write() as s:
        s.execute(
            update(CrawlRun)
            .where(CrawlRun.id == run_id)
            .values(finished_at=now or utcnow(), status=status.value, pages=totals.pages,
                    new_articles=totals.new_articles, duplicates=totals.duplicates,
                    errors=totals.errors, error_kinds=dict(totals.error_kinds),
                    already_known=totals.already_known, not_modified=totals.not_modified,
                    reason=reason[:REASON_MAX] if reason else None)
        )


def add_errors(db: Database, run_id: int, errors: Sequence[ErrorRecord]) -> None:
    if not errors:
        return
    with db.write() as s:
        # URLs and messages quote what a site sent (a feed's bad guid, an exception's text).
        s.add_all(CrawlError(run_id=run_id, url=clean_line(e.url), kind=fit(clean_line(e.kind), KIND_MAX),
                             message=clean_text(e.message), at=e.at)
                  for e in errors)


def close_interrupted(db: Database, source_id: str, *, now: datetime | None = None) -> int:
    """Mark runs of this source left running by a killed crawl as failed; return how many.

    Call it with the source's lease held, so that no live run of the source is among them.
    """
    with db.write() as s:
        res = s.execute(
            update(CrawlRun)
            .where(CrawlRun.source_id == source_id, CrawlRun.status == CrawlStatus.RUNNING.value)
            .values(status=CrawlStatus.FAILED.value, finished_at=now or utcnow(),
                    error_kinds={"interrupted": 1}, reason="interrupted")
        )
        return int(res.rowcount or 0)  # type: ignore[attr-defined]


def recent(db: Database, source_id: str, limit: int) -> list[Run]:
    """The source's last runs, newest first."""
    with db.read() as s:
        rows = s.scalars(select(CrawlRun).where(CrawlRun.source_id == source_id)
                         .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc()).limit(limit))
        return [Run(r.source_id, r.started_at, r.finished_at, CrawlStatus(r.status), r.pages,
                    r.new_articles, r.errors, r.duplicates, r.already_known, r.not_modified,
                    r.reason, dict(r.error_kinds or {}))
                for r in rows]


def last_success(db: Database, source_id: str) -> datetime | None:
    """When a run of the source last finished ok or partial."""
    with db.read() as s:
        return s.scalar(select(func.max(CrawlRun.finished_at)).where(
            CrawlRun.source_id == source_id, CrawlRun.status.in_([st.value for st in SUCCEEDED])))


def last_started(db: Database) -> dict[str, datetime]:
    """When each source's latest run started, by source id (sources never crawled are absent)."""
    with db.read() as s:
        rows = s.execute(select(CrawlRun.source_id, func.max(CrawlRun.started_at))
                         .group_by(CrawlRun.source_id)).all()
    return {source_id: started for source_id, started in rows if started is not None}


def recent_errors(db: Database, source_id: str, limit: int) -> list[ErrorRecord]:
    """The source's latest crawl errors, newest first."""
    with db.read() as s:
        rows = s.execute(
            select(CrawlError.url, CrawlError.kind, CrawlError.message, CrawlError.at)
            .join(CrawlRun, CrawlRun.id == CrawlError.run_id)
            .where(CrawlRun.source_id == source_id)
            .order_by(CrawlError.at.desc(), CrawlError.id.desc()).limit(limit)
        ).all()
    return [ErrorRecord(url, kind, message, at) for url, kind, message, at in rows]
