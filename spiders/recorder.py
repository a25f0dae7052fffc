"""Recording a source's crawl run: a Scrapy extension counting in crawler.stats.

It listens to spider_opened and spider_closed and to our own signals (spiders/signals.py),
writes the crawl_run row and its crawl_error rows, saves conditional-GET validators when
the run ends ok with every article it requested stored, and emits the run's events.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals as scrapy_signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spiders import Spider
from scrapy.statscollectors import StatsCollector
from twisted.python.failure import Failure

from spiders import signals
from spiders.context import CrawlContext, source_id
from spiders.events import ArticleStored, Done, Error, Page, PageKind, Start, Stats
from storage import crawl_runs, http_cache
from storage.crawl_runs import CrawlStatus, ErrorRecord, RunTotals
from storage.http_cache import Validators
from storage.types import Clock, utcnow

logger = logging.getLogger(__name__)
ERROR_FLUSH_EVERY = 25
MESSAGE_MAX = 2000
_KEY = "unionwatch/"
ERROR_KINDS = f"{_KEY}error_kinds/"
EXTRACTED = f"{_KEY}extracted/"  # + how an article's body was read (Extracted.method)


class _Counter:
    """A RunCounts attribute: the crawler.stats value under "unionwatch/<its name>"."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, counts: RunCounts, owner: type | None = None) -> int:
        return counts.get(self.name)


class RunCounts:
    """A source's counters as crawler.stats holds them (under "unionwatch/")."""

    pages = _Counter()
    new = _Counter()
    duplicates = _Counter()
    errors = _Counter()
    already_known = _Counter()
    not_modified = _Counter()
    entries_ok = _Counter()
    entries_failed = _Counter()
    articles_requested = _Counter()

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    def get(self, name: str) -> int:
        return int(self.stats.get_value(_KEY + name, 0))

    def inc(self, name: str) -> None:
        self.stats.inc_value(_KEY + name)

    @property
    def all_stored(self) -> bool:
        """Every article requested this run is in the database (new or a duplicate)."""
        return self.new + self.duplicates >= self.articles_requested

    @property
    def error_kinds(self) -> dict[str, int]:
        return self._by(ERROR_KINDS)

    @property
    def extracted(self) -> dict[str, int]:
        """Articles read per extraction method: an adapter's name, "trafilatura", or both
        joined by "+" (an outlet whose selectors stop finding bodies shows here first)."""
        return self._by(EXTRACTED)

    def _by(self, prefix: str) -> dict[str, int]:
        return {k.removeprefix(prefix): int(v) for k, v in self.stats.get_stats().items()
                if k.startswith(prefix)}

    def status(self, reason: str) -> CrawlStatus:
        """failed: no configured URL could be read; partial: errors, or stopped early."""
        if self.entries_ok == 0 and (self.entries_failed or self.errors or reason != "finished"):
            return CrawlStatus.FAILED
        if self.errors or reason != "finished":
            return CrawlStatus.PARTIAL
        return CrawlStatus.OK

    def totals(self) -> RunTotals:
        return RunTotals(self.pages, self.new, self.duplicates, self.errors, self.error_kinds,
                         already_known=self.already_known, not_modified=self.not_modified)

    def event_stats(self) -> Stats:
        return Stats(fetched=self.pages, new=self.new, duplicates=self.duplicates, errors=self.errors,
                     already_known=self.already_known, not_modified=self.not_modified)


class RunRecorder:
    """Scrapy extension (EXTENSIONS): the crawl_run of the crawler's source."""

    def __init__(self, crawler: Crawler, context: CrawlContext, source: str, clock: Clock = utcnow) -> None:
        self.context, self.source, self.clock = context, source, clock
        self.counts = RunCounts(crawler.stats)
        self.run_id: int | None = None
        self.finished = False
        self._pending: list[ErrorRecord] = []
        # Validators seen this run, saved only if it ends ok (spiders/conditional.py says why).
        self.validators: dict[str, Validators] = {}
        for handler, signal in (
            (self.begin, scrapy_signals.spider_opened), (self._closed, scrapy_signals.spider_closed),
            (self.page, signals.page_fetched), (self.error, signals.url_failed),
            (self.stored, signals.article_stored), (self._validators, signals.validators_seen),
            (self._withdrawn, signals.article_withdrawn),
            (self._callback_crashed, scrapy_signals.spider_error),
            (self._item_crashed, scrapy_signals.item_error),
        ):
            crawler.signals.connect(handler, signal=signal)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecorder:
        return cls(crawler, CrawlContext.of(crawler), source_id(crawler))

    @classmethod
    def of(cls, crawler: Crawler) -> RunRecorder:
        """The crawler's recorder; one made now if the crawl failed before extensions existed."""
        try:
            found = crawler.get_extension(cls)
        except RuntimeError:
            found = None
        return found if found is not None else cls.from_crawler(crawler)

    # -- signal handlers --------------------------------------------------------------------

    def begin(self, spider: Spider | None = None) -> None:
        if self.run_id is not None:
            return
        try:
            self.run_id = crawl_runs.start(self.context.db, self.source, now=self.clock())
        except Exception:  # the crawl still stores articles; the run's events still count
            logger.exception("%s: could not record the start of the crawl run", self.source)
        self.context.events.emit(Start(source=self.source))

    def page(self, url: str, kind: PageKind, entry: bool = False) -> None:
        self.counts.inc("pages")
        if entry:
            self.counts.inc("entries_ok")
        self.context.events.emit(Page(source=self.source, url=url, kind=kind))

    def error(self, url: str, kind: str, message: str, entry: bool = False) -> None:
        self.counts.inc("errors")
        self.counts.stats.inc_value(ERROR_KINDS + kind)
        if entry:
            self.counts.inc("entries_failed")
        message = message[:MESSAGE_MAX]
        self._pending.append(ErrorRecord(url, kind, message, self.clock()))
        self.context.events.emit(Error(source=self.source, url=url, kind=kind, message=message))
        logger.warning("%s: %s %s: %s", self.source, kind, url, message)
        if len(self._pending) >= ERROR_FLUSH_EVERY:
            self.flush_errors()

    def stored(self, url: str, article_id: int | None) -> None:
        self.counts.inc("duplicates" if article_id is None else "new")
        self.context.events.emit(ArticleStored(source=self.source, new=article_id is not None, url=url,
                                               id=article_id))

    def _withdrawn(self, url: str, article_id: int) -> None:
        self.counts.stats.inc_value(_KEY + "new", -1)

    def _validators(self, url: str, validators: Validators) -> None:
        self.validators[url] = validators

    def _callback_crashed(self, failure: Failure, response: Response | Failure, spider: Spider) -> None:
        """A callback raised: what it would have yielded is lost, so the run is not ok."""
        url = response.url if isinstance(response, Response) else "?"
        self.error(url, "internal", f"{failure.type.__name__ if failure.type else 'error'}: {failure.value}")

    def _item_crashed(self, item: Any, response: Response | None, spider: Spider, failure: Failure) -> None:
        """A pipeline raised on an item: it was not stored."""
        url = getattr(item, "url", None) or (response.url if response is not None else "?")
        self.error(url, "internal", f"not stored: {failure.type.__name__ if failure.type else 'error'}: "
                                    f"{failure.value}")

    def _closed(self, spider: Spider, reason: str) -> None:
        self.finish(reason)

    # -- the run's record ---------------------------------------------------------------------

    def flush_errors(self) -> None:
        pending, self._pending = self._pending, []
        if not pending or self.run_id is None:
            return
        try:
            crawl_runs.add_errors(self.context.db, self.run_id, pending)
        except Exception:  # the run's summary still counts them; the crawl goes on
            logger.exception("%s: could not record %d crawl errors", self.source, len(pending))

    def crashed(self, url: str, exc: BaseException) -> None:
        """The crawl raised: record it as an internal error of the entry URL, and finish."""
        if self.finished:
            return
        self.begin()
        self.error(url, "internal", f"{type(exc).__name__}: {exc}", entry=True)
        self.finish("crashed")

    def finish(self, reason: str) -> CrawlStatus:
        """Write the run's summary once; emit `done`; return the status."""
        status = self.counts.status(reason)
        if self.finished:
            return status
        self.finished = True
        self.flush_errors()
        db, now = self.context.db, self.clock()
        if status == CrawlStatus.OK and not self.counts.all_stored:
            # A request that ended with neither an article nor an error (Scrapy dropped it).
            logger.warning("%s: %d of %d articles requested were stored; HTTP validators not saved",
                           self.source, self.counts.new + self.counts.duplicates,
                           self.counts.articles_requested)
        if status == CrawlStatus.OK and self.counts.all_stored:
            try:
                http_cache.save(db, self.validators, now=now)
            except Exception:  # only costs a full fetch next time
                logger.exception("%s: could not save HTTP validators", self.source)
        if self.run_id is not None:
            try:
                crawl_runs.finish(db, self.run_id, status, self.counts.totals(), reason=reason, now=now)
            except Exception:
                logger.exception("%s: could not record the crawl run", self.source)
        self.context.events.emit(Done(source=self.source, status=status, reason=reason,
                                      stats=self.counts.event_stats()))
        return status
