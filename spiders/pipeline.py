"""Storing extracted articles in small write transactions: what is committed is whole.

A crash loses at most the uncommitted batch, and those URLs are not in the database, so
the next run fetches them again; nothing is ever half-written.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy.crawler import Crawler

from spiders import signals
from spiders.context import CrawlContext, source_id
from storage.articles import ArticleRecord, insert_articles, remove_unassigned
from storage.database import DatabaseError

logger = logging.getLogger(__name__)


class StoragePipeline:
    def __init__(self, crawler: Crawler, batch_size: int, max_wait: float) -> None:
        self.crawler = crawler
        self.context = CrawlContext.of(crawler)
        self.source = source_id(crawler)
        self.batch_size = batch_size
        self.max_wait = max_wait
        self._buffer: list[ArticleRecord] = []
        self._oldest = 0.0
        self._new_ids: dict[str, int] = {}  # url -> id of the articles this run inserted
        # URLs taken back before their item arrived: the callbacks of two pages run
        # concurrently (extraction is awaited), so the later page's check can come first.
        self._withdrawn: set[str] = set()
        crawler.signals.connect(self.withdraw, signal=signals.withdraw_article)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(
            crawler,
            crawler.settings.getint("UNIONWATCH_BATCH_SIZE", 50),
            crawler.settings.getfloat("UNIONWATCH_BATCH_SECONDS", 2.0),
        )

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleRecord):
            return item
        if item.url in self._withdrawn:
            return item  # reported failed by withdraw(): not stored, so fetched again next run
        if not self._buffer:
            self._oldest = time.monotonic()
        self._buffer.append(item)
        if len(self._buffer) >= self.batch_size or time.monotonic() - self._oldest > self.max_wait:
            self.flush()
        return item

    def close_spider(self) -> None:
        self.flush()

    def flush(self) -> None:
        batch, self._buffer = self._buffer, []
        if not batch:
            return
        try:
            ids = self._store(batch)
        except Exception as exc:  # a database error, or a record storage cannot write
            if len(batch) == 1:
                self._not_stored(batch[0], exc)
                return
            # The whole batch rolled back. One by one, a bad record costs only itself; what
            # still fails is not stored, so the next run fetches it again.
            logger.warning("%s: storing %d articles at once failed (%s: %s); storing them one by one",
                           self.source, len(batch), type(exc).__name__, exc)
            for rec in batch:
                try:
                    [article_id] = self._store([rec])
                except Exception as one:
                    self._not_stored(rec, one)
                else:
                    self._stored(rec, article_id)
            return
        for rec, article_id in zip(batch, ids, strict=True):
            self._stored(rec, article_id)

    def _store(self, batch: list[ArticleRecord]) -> list[int | None]:
        with self.context.db.write() as s:
            return insert_articles(s, batch)

    def _stored(self, rec: ArticleRecord, article_id: int | None) -> None:
        if article_id is not None:
            self._new_ids[rec.url] = article_id
        self.crawler.signals.send_catch_log(signals.article_stored, url=rec.url, article_id=article_id)

    def withdraw(self, url: str, kind: str, message: str) -> None:
        """Take back the article of `url` (still buffered, or inserted this run), and report
        the URL as failed: not being stored, it is fetched again next run."""
        kept = [rec for rec in self._buffer if rec.url != url]
        if len(kept) == len(self._buffer) and url not in self._new_ids:
            self._withdrawn.add(url)  # its item is still on its way
        if len(kept) == len(self._buffer) and url in self._new_ids:
            article_id = self._new_ids.pop(url)
            try:
                with self.context.db.write() as s:
                    removed = remove_unassigned(s, [article_id])
            except Exception as exc:
                logger.error("%s: could not take back article %d (%s): %s", self.source, article_id, url, exc)
                removed = []
            if removed:
                self.crawler.signals.send_catch_log(signals.article_withdrawn, url=url, article_id=article_id)
            else:
                message += f"; article {article_id} stays stored (a digest holds it, or the database refused)"
        self._buffer = kept
        self.crawler.signals.send_catch_log(signals.url_failed, url=url, kind=kind, message=message)

    def _not_stored(self, rec: ArticleRecord, exc: Exception) -> None:
        if not isinstance(exc, DatabaseError):  # a bug of ours: keep the traceback
            logger.error("%s: storing %s failed", self.source, rec.url, exc_info=exc)
        self.crawler.signals.send_catch_log(signals.url_failed, url=rec.url, kind="db",
                                            message=f"not stored: {type(exc).__name__}: {exc}")
