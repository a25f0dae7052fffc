"""The storage pipeline on a real database: batches, and taking back a page that turned out
not to be an article (a soft error page seen again at another link)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from spiders import signals
from spiders.jobspec import SourceSpec
from spiders.pipeline import StoragePipeline
from spiders.source_spiders import FeedSpider
from storage import digests
from storage.articles import ArticleRecord
from storage.database import Database
from storage.models import Article
from tests.spiders.conftest import source_spider

SOURCE = SourceSpec(id="walls", type="feed", urls=["https://x.org/feed"])


def record(n: int) -> ArticleRecord:
    return ArticleRecord("walls", f"https://x.org/a/{n}", f"Title {n}", f"Body of article {n}.")


def urls(db: Database) -> list[str]:
    with db.read() as s:
        return sorted(s.scalars(select(Article.url)))


def test_a_page_taken_back_is_removed_buffered_or_stored_and_reported(db: Database) -> None:
    spider, counts = source_spider(FeedSpider, SOURCE, db)
    pipeline = StoragePipeline.from_crawler(spider.crawler)
    send = spider.crawler.signals.send_catch_log
    for n in (1, 2):
        pipeline.process_item(record(n))
    pipeline.flush()
    pipeline.process_item(record(3))  # still buffered
    assert urls(db) == ["https://x.org/a/1", "https://x.org/a/2"] and counts.new == 2

    send(signals.withdraw_article, url="https://x.org/a/1", kind="soft_error", message="same text")
    send(signals.withdraw_article, url="https://x.org/a/3", kind="soft_error", message="same text")
    pipeline.close_spider()
    assert urls(db) == ["https://x.org/a/2"]
    assert counts.new == 1, "the article taken back is not counted as new"
    assert counts.error_kinds == {"soft_error": 2}


def test_an_article_a_digest_already_holds_is_not_taken_back(db: Database) -> None:
    spider, counts = source_spider(FeedSpider, SOURCE, db)
    pipeline = StoragePipeline.from_crawler(spider.crawler)
    pipeline.process_item(record(1))
    pipeline.flush()
    with db.write() as s:
        [article_id] = s.scalars(select(Article.id)).all()
        digest = digests.add(s, "ann", datetime.now(UTC), 1, None)
        digests.add_items(s, digest, "ann", [(article_id, ["e"])])
    spider.crawler.signals.send_catch_log(signals.withdraw_article, url="https://x.org/a/1",
                                          kind="soft_error", message="same text")
    assert urls(db) == ["https://x.org/a/1"], "a digest's article is never deleted under it"
    assert counts.new == 1 and counts.error_kinds == {"soft_error": 1}


def test_a_page_taken_back_before_its_item_arrives_is_not_stored(db: Database) -> None:
    """Extraction is awaited, so the check of the later copy can run before the earlier copy's
    item reaches the pipeline."""
    spider, counts = source_spider(FeedSpider, SOURCE, db)
    pipeline = StoragePipeline.from_crawler(spider.crawler)
    spider.crawler.signals.send_catch_log(signals.withdraw_article, url="https://x.org/a/1",
                                          kind="soft_error", message="same text")
    for n in (1, 2):
        pipeline.process_item(record(n))
    pipeline.close_spider()
    assert urls(db) == ["https://x.org/a/2"]
    assert counts.new == 1 and counts.error_kinds == {"soft_error": 1}
