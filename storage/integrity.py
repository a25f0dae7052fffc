"""What a database holds after a crash, and whether it is consistent (read-only)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import distinct, func, select, text

from storage import migrate
from storage.database import Database
from storage.models import Article, CrawlRun, Delivery, DigestItem, Mention
from storage.outbox import DeliveryState


@dataclass(frozen=True, slots=True)
class Snapshot:
    urls: frozenset[str]  # canonical URLs of the stored articles
    duplicate_articles: int  # articles whose text another article of the same source holds
    running_crawls: int  # crawl runs still marked running
    integrity: str  # SQLite's integrity_check ("ok"), or "ok" on other databases
    at_head: bool  # the schema is at the head revision
    claimed_unsent: int  # deliveries attempted, not recorded as sent: their answer may be lost
    undelivered: int  # deliveries in any state but sent
    unassigned_matches: int  # (subscriber, matched article) pairs in no digest of the subscriber

    def problems(self) -> list[str]:
        out = []
        if self.running_crawls:
            out.append(f"{self.running_crawls} crawl runs still running")
        if self.integrity != "ok":
            out.append(f"integrity check: {self.integrity}")
        if not self.at_head:
            out.append("schema not at head")
        return out


def snapshot(url: str, subscribers: Iterable[str] = ()) -> Snapshot:
    db = Database(url)
    try:
        with db.read() as s:
            urls = frozenset(s.scalars(select(Article.canonical_url)))
            per_text = (select(func.count().label("n")).select_from(Article)
                        .group_by(Article.source_id, Article.content_hash).subquery())
            duplicates = s.scalar(select(func.coalesce(func.sum(per_text.c.n - 1), 0))) or 0
            running = s.scalar(select(func.count()).select_from(CrawlRun)
                               .where(CrawlRun.status == "running")) or 0
            integrity = "ok"
            if s.get_bind().dialect.name == "sqlite":
                integrity = str(s.execute(text("PRAGMA integrity_check")).scalar())
            claimed = s.scalar(select(func.count()).select_from(Delivery).where(
                Delivery.state != DeliveryState.SENT, Delivery.attempts > 0)) or 0
            undelivered = s.scalar(select(func.count()).select_from(Delivery).where(
                Delivery.state != DeliveryState.SENT)) or 0
            matched = s.scalar(select(func.count(distinct(Mention.article_id)))) or 0
            unassigned = 0
            for sub in subscribers:
                assigned = s.scalar(select(func.count(distinct(DigestItem.article_id)))
                                    .where(DigestItem.subscriber_id == sub)) or 0
                unassigned += max(0, matched - assigned)
        return Snapshot(urls, int(duplicates), int(running), integrity, migrate.is_current(db),
                        int(claimed), int(undelivered), int(unassigned))
    finally:
        db.dispose()
