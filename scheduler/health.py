"""Source health from the crawl-run history: what `unionwatch status` shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from scheduler.config import Config
from storage import articles, crawl_runs, leases, optouts, outbox
from storage.crawl_runs import CrawlStatus, ErrorRecord
from storage.database import Database
from storage.types import utcnow

RECENT_RUNS = 10
RECENT_ERRORS = 5
SILENT_AT_LEAST_S = 24 * 3600
SCHEDULER_LEASE = "scheduler"


@dataclass
class SourceHealth:
    source: str
    last_run: datetime | None = None
    last_status: CrawlStatus | None = None
    last_reason: str = ""  # why the last run was not ok: its close reason and errors by kind
    last_success: datetime | None = None
    articles_7d: int = 0
    error_rate: float | None = None
    problems: dict[str, str] = field(default_factory=dict)  # key -> message
    recent_errors: list[ErrorRecord] = field(default_factory=list)  # newest first

    @property
    def warnings(self) -> list[str]:
        return list(self.problems.values())

    @property
    def last_error(self) -> ErrorRecord | None:
        return self.recent_errors[0] if self.recent_errors else None

    def as_dict(self) -> dict[str, Any]:
        last = self.last_error
        return {**asdict(self), "warnings": self.warnings, "last_error": asdict(last) if last else None}


def source_health(db: Database, cfg: Config, now: datetime | None = None) -> list[SourceHealth]:
    now = now or utcnow()
    out = []
    for src in cfg.sources:
        h = SourceHealth(src.id)
        runs = crawl_runs.recent(db, src.id, RECENT_RUNS)
        if runs:
            h.last_run, h.last_status = runs[0].started_at, runs[0].status
            if runs[0].status != CrawlStatus.OK:
                h.last_reason = runs[0].why()
            attempts = sum(r.pages + r.errors for r in runs)
            h.error_rate = round(sum(r.errors for r in runs) / attempts, 3) if attempts else None
        h.last_success = crawl_runs.last_success(db, src.id)
        h.articles_7d = articles.count_fetched_since(db, src.id, now - timedelta(days=7))
        h.problems = _problems(runs, articles.latest_fetch_times(db, src.id, 30), now)
        h.recent_errors = crawl_runs.recent_errors(db, src.id, RECENT_ERRORS)
        out.append(h)
    return out


def _problems(runs: Sequence[crawl_runs.Run], times: Sequence[datetime], now: datetime) -> dict[str, str]:
    problems: dict[str, str] = {}
    finished = [r for r in runs if r.finished_at is not None]
    if len(finished) >= 3 and all(r.status == CrawlStatus.FAILED for r in finished[:3]):
        problems["failing"] = f"the last {min(len(finished), 3)} runs failed"
    # A source whose pages used to list articles and now parse to none has probably changed
    # its layout or its feed address. A quiet day is not that: a 304, or links to articles
    # stored already, are signs of health.
    recent, older = finished[:3], finished[3:]
    if len(recent) == 3 and all(
        r.pages > 0 and r.entries == 0 and r.not_modified == 0 and r.status != CrawlStatus.FAILED
        for r in recent
    ) and any(r.entries > 0 for r in older):
        problems["no_articles"] = "its pages list no articles any more (layout or feed change?)"
    # Silence is judged against the source's own history: news has quiet nights and weekends,
    # so only a silence twice its longest recent gap, and a day at least, is a problem.
    if len(times) >= 5:
        longest = max((a - b).total_seconds() for a, b in pairwise(times))
        silent = (now - times[0]).total_seconds()
        if silent > max(2 * longest, SILENT_AT_LEAST_S):
            problems["silent"] = (
                f"silent for {silent / 3600:.0f} h; its longest gap between new articles "
                f"lately was {longest / 3600:.1f} h"
            )
    return problems


def outbox_counts(db: Database) -> dict[str, int]:
    with db.read() as s:
        return outbox.counts_by_state(s)


def unsettled_deliveries(db: Database, limit: int = 20) -> list[outbox.Unsettled]:
    with db.read() as s:
        return outbox.unsettled(s, limit)


def scheduler_holder(db: Database) -> dict[str, Any] | None:
    holder = leases.holder(db, SCHEDULER_LEASE)
    return {"owner": holder.owner, "expires_at": holder.expires_at} if holder else None


def opt_outs(db: Database) -> list[optouts.OptOutRecord]:
    with db.read() as s:
        return optouts.every(s)
