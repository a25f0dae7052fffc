"""Crawl, then match: the work a crawl command or a scheduled crawl job does."""

from __future__ import annotations

from dataclasses import dataclass

from matching import Watchlist
from scheduler.config import Config
from scheduler.crawling import CrawlResult, EventHandler, run_crawl
from scheduler.matchjob import MatchSummary, match_pending, sync_entities
from scheduler.wiring import entity_specs, open_database, watchlist
from spiders.jobspec import CrawlJob
from storage.database import Database


@dataclass
class CrawlOutcome:
    crawl: CrawlResult
    matched_articles: int
    mentions: int


def refresh_matches(cfg: Config, db: Database, wl: Watchlist | None = None) -> MatchSummary:
    """Backfill entities the admin changed, then match every article not matched yet."""
    specs = entity_specs(cfg)
    wl = wl or watchlist(cfg)
    backfill = sync_entities(db, specs, cfg.matching.backfill_days)
    fresh = match_pending(db, wl)
    fresh.backfilled_entities = backfill.backfilled_entities
    fresh.backfilled_articles = backfill.backfilled_articles
    fresh.removed_entities = backfill.removed_entities
    fresh.mentions += backfill.mentions
    return fresh


def crawl_and_match(
    cfg: Config, job: CrawlJob, on_event: EventHandler | None = None, wl: Watchlist | None = None
) -> CrawlOutcome:
    # Migrate in the parent, once, before any child (or a second child) touches the schema.
    db = open_database(cfg)
    try:
        result = run_crawl(job, on_event=on_event, timeout=cfg.crawl.max_run_seconds)
        summary = refresh_matches(cfg, db, wl)
    finally:
        db.dispose()
    return CrawlOutcome(result, summary.articles, summary.mentions)
