"""Source health from the crawl-run history: what `unionwatch status` shows."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import func, select

from scheduler.config import Config
from storage.database import Database
from storage.models import Article, CrawlRun, Delivery, Lease
from storage.types import utcnow

RECENT_RUNS = 10


@dataclass
class SourceHealth:
    source: str
    last_run: datetime | None = None
    last_status: str | None = None
    last_success: datetime | None = None
    articles_7d: int = 0
    error_rate: float | None = None
    problems: dict[str, str] = field(default_factory=dict)  # key -> message

    @property
    def warnings(self) -> list[str]:
        return list(self.problems.values())

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "warnings": self.warnings}


def source_health(db: Database, cfg: Config, now: datetime | None = None) -> list[SourceHealth]:
    now = now or utcnow()
    out = []
    with db.read() as s:
        for src in cfg.sources:
            h = SourceHealth(src.id)
            runs = s.scalars(
                select(CrawlRun).where(CrawlRun.source_id == src.id)
                .order_by(CrawlRun.started_at.desc()).limit(RECENT_RUNS)
            ).all()
            if runs:
                h.last_run, h.last_status = runs[0].started_at, runs[0].status
                attempts = sum(r.pages + r.errors for r in runs)
                h.error_rate = round(sum(r.errors for r in runs) / attempts, 3) if attempts else None
            h.last_success = s.scalar(
                select(func.max(CrawlRun.finished_at))
                .where(CrawlRun.source_id == src.id, CrawlRun.status.in_(("ok", "partial")))
            )
            h.articles_7d = s.scalar(
                select(func.count()).select_from(Article)
                .where(Article.source_id == src.id, Article.fetched_at >= now - timedelta(days=7))
            ) or 0
            h.problems = _problems(s, src.id, runs, now)
            out.append(h)
    return out


def _problems(s: Any, source_id: str, runs: Sequence[CrawlRun], now: datetime) -> dict[str, str]:
    problems: dict[str, str] = {}
    finished = [r for r in runs if r.finished_at is not None]
    if len(finished) >= 3 and all(r.status == "failed" for r in finished[:3]):
        problems["failing"] = f"the last {min(len(finished), 3)} runs failed"
    # A source that used to yield articles and now fetches pages but finds none has
    # probably changed its layout or its feed address.
    recent, older = finished[:3], finished[3:]
    if len(recent) == 3 and all(r.new_articles == 0 and r.pages > 0 for r in recent) and any(
        r.new_articles > 0 for r in older
    ):
        problems["no_articles"] = "yields no articles any more (layout or feed change?)"
    times = s.scalars(
        select(Article.fetched_at).where(Article.source_id == source_id)
        .order_by(Article.fetched_at.desc()).limit(30)
    ).all()
    if len(times) >= 5:
        gaps = [(a - b).total_seconds() for a, b in pairwise(times)]
        usual = statistics.median(gaps)
        silent = (now - times[0]).total_seconds()
        if usual > 0 and silent > 3 * max(usual, 3600):
            problems["silent"] = (
                f"silent for {silent / 3600:.0f} h, over three times its usual {usual / 3600:.1f} h"
            )
    return problems


def outbox_counts(db: Database) -> dict[str, int]:
    with db.read() as s:
        rows = s.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all()
    return {state: n for state, n in rows}


def scheduler_holder(db: Database) -> dict[str, Any] | None:
    with db.read() as s:
        lease = s.get(Lease, "scheduler")
        if lease is None or lease.expires_at < utcnow():
            return None
        return {"owner": lease.owner, "expires_at": lease.expires_at}
