"""Crawl, then match: the work a crawl command or a scheduled crawl job does."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from matching import Watchlist
from scheduler.config import Config
from scheduler.crawling import CrawlResult, EventHandler, run_crawl
from scheduler.matchjob import MatchSummary, match_pending, sync_entities
from scheduler.wiring import open_database, watchlist
from spiders.events import ArticleStored, Event
from spiders.jobspec import CrawlJob
from storage.database import Database


@dataclass
class CrawlOutcome:
    crawl: CrawlResult
    matched_articles: int
    mentions: int


def refresh_matches(cfg: Config, db: Database, wl: Watchlist | None = None, *,
                    sync: bool = True) -> MatchSummary:
    """Rematch entities the admin changed (unless `sync` is off: the service does that in a job
    of its own), then match every article not matched yet."""
    wl = wl or watchlist(cfg)
    backfill = sync_entities(db, cfg.entities) if sync else MatchSummary()
    fresh = match_pending(db, wl)
    fresh.backfilled_entities = backfill.backfilled_entities
    fresh.backfilled_articles = backfill.backfilled_articles
    fresh.removed_entities = backfill.removed_entities
    fresh.mentions += backfill.mentions
    return fresh


class _Matcher(threading.Thread):
    """Matches articles while the child is still crawling, so the second core does it."""

    def __init__(self, db: Database, wl: Watchlist) -> None:
        super().__init__(name="matcher", daemon=True)
        self.db, self.wl = db, wl
        self.wake, self.done = threading.Event(), threading.Event()
        self.summary = MatchSummary()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.done.is_set():
                self.wake.wait(1.0)
                self.wake.clear()
                self._add(match_pending(self.db, self.wl))
            self._add(match_pending(self.db, self.wl))  # what arrived since the last pass
        except BaseException as exc:  # re-raised in the caller's thread
            self.error = exc

    def _add(self, part: MatchSummary) -> None:
        self.summary.articles += part.articles
        self.summary.mentions += part.mentions


def crawl_and_match(
    cfg: Config, job: CrawlJob, on_event: EventHandler | None = None, wl: Watchlist | None = None,
    *, sync: bool = True,
) -> CrawlOutcome:
    # Migrate in the parent, once, before any child (or a second child) touches the schema.
    db = open_database(cfg)
    try:
        wl = wl or watchlist(cfg)
        backfill = sync_entities(db, cfg.entities) if sync else MatchSummary()
        matcher = _Matcher(db, wl)

        def forward(ev: Event) -> None:
            if isinstance(ev, ArticleStored) and ev.new:
                matcher.wake.set()
            if on_event:
                on_event(ev)

        matcher.start()
        try:
            result = run_crawl(job, on_event=forward, timeout=cfg.crawl.max_run_seconds)
        finally:
            matcher.done.set()
            matcher.wake.set()
            matcher.join()
        if matcher.error is not None:
            raise matcher.error
    finally:
        db.dispose()
    return CrawlOutcome(result, matcher.summary.articles, matcher.summary.mentions + backfill.mentions)
