"""What every crawler of one child shares: the database, the events stream, the URLs claimed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from spiders.capture_queue import CaptureQueue
from spiders.events import EventWriter
from spiders.extract_workers import Extractor
from storage.database import Database

SETTING = "UNIONWATCH_CONTEXT"
SOURCE_ID = "UNIONWATCH_SOURCE_ID"


@dataclass(eq=False)
class CrawlContext:
    """Handed to each source's crawler in its settings; the child's runner opens and closes it."""

    db: Database
    events: EventWriter = field(default_factory=EventWriter)
    # URL keys already requested by any source of this child: one article linked from a
    # feed and a sitemap is fetched once per run.
    claimed: set[str] = field(default_factory=set)
    # Archives each article fetch (spiders/capture.py); None: evidence capture is off.
    evidence: CaptureQueue | None = None
    # Reads article pages (spiders/extract_workers.py): in worker processes, or inline.
    extractor: Extractor = field(default_factory=Extractor.inline)

    def __deepcopy__(self, memo: dict[int, Any]) -> CrawlContext:
        return self  # Scrapy deep-copies settings for each crawler; all must share this one

    def __repr__(self) -> str:
        return f"CrawlContext({self.db.url!r})"

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlContext:
        context = crawler.settings.get(SETTING)
        if not isinstance(context, cls):
            raise NotConfigured(f"{SETTING} is not set: not a unionwatch source crawl")
        return context


def source_id(crawler: Crawler) -> str:
    """The id of the source this crawler crawls."""
    value = crawler.settings.get(SOURCE_ID)
    if not isinstance(value, str):
        raise NotConfigured(f"{SOURCE_ID} is not set: not a unionwatch source crawl")
    return value
