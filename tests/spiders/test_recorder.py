"""The run recorder extension: what a source's spider and pipeline report becomes counts in
crawler.stats, a crawl_run row with its crawl_error rows, and the run's events."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from scrapy import signals as scrapy_signals
from scrapy.http import HtmlResponse, Request
from sqlalchemy import select

from spiders import signals
from spiders.events import PageKind, parse_events
from spiders.jobspec import SourceSpec
from spiders.recorder import ERROR_FLUSH_EVERY, RunRecorder
from spiders.source_spiders import FeedSpider
from storage import crawl_runs, http_cache
from storage.articles import ArticleRecord
from storage.crawl_runs import CrawlStatus
from storage.database import Database
from storage.http_cache import Validators
from storage.models import CrawlError, CrawlRun
from tests.spiders.conftest import source_spider
from tests.support.aio import collect
from tests.support.fixture_site import FixtureSite

SOURCE = SourceSpec(id="feedy", type="feed", urls=["https://x.org/feed", "https://x.org/other"])


def runs(db: Database) -> list[CrawlRun]:
    with db.read() as s:
        return list(s.scalars(select(CrawlRun)))


def test_a_run_is_opened_counted_and_closed_with_its_errors(db: Database) -> None:
    out = io.StringIO()
    spider, counts = source_spider(FeedSpider, SOURCE, db, out)
    crawler = spider.crawler
    recorder = crawler.get_extension(RunRecorder)
    assert recorder is not None
    crawler.signals.send_catch_log(scrapy_signals.spider_opened, spider=spider)
    [row] = runs(db)
    assert (row.source_id, row.status, row.finished_at) == ("feedy", "running", None)

    spider.page("https://x.org/feed", PageKind.FEED, entry=True)
    spider.error("https://x.org/other", "http_404", "HTTP 404 from https://x.org/other", entry=True)
    spider.not_modified(HtmlResponse("https://x.org/feed", status=304, request=Request("https://x.org/feed")),
                        PageKind.FEED, entry=False)
    send = crawler.signals.send_catch_log
    send(signals.article_stored, url="https://x.org/a/1", article_id=11)
    send(signals.article_stored, url="https://x.org/a/2", article_id=None)
    send(signals.validators_seen, url="https://x.org/feed", validators=Validators('"e1"', None))
    crawler.signals.send_catch_log(scrapy_signals.spider_closed, spider=spider, reason="finished")

    assert (counts.pages, counts.new, counts.duplicates, counts.errors, counts.not_modified) == (
        2, 1, 1, 1, 1)
    assert counts.error_kinds == {"http_404": 1}
    assert crawler.stats.get_value("unionwatch/pages") == 2, "counted in Scrapy's own stats"
    [row] = runs(db)
    assert (row.status, row.pages, row.new_articles, row.duplicates, row.errors, row.error_kinds) == (
        "partial", 2, 1, 1, 1, {"http_404": 1})
    assert row.finished_at is not None
    [err] = crawl_runs.recent_errors(db, "feedy", 5)
    assert (err.url, err.kind) == ("https://x.org/other", "http_404")
    assert http_cache.lookup(db, "https://x.org/feed") is None, "validators are kept only after an ok run"
    events = parse_events(out.getvalue())
    assert [e.event for e in events] == ["start", "page", "error", "page", "article", "article", "done"]
    done = events[-1]
    assert done.event == "done" and done.status == CrawlStatus.PARTIAL
    assert done.stats.not_modified == 1 and done.stats.fetched == 2
    assert recorder.finish("finished") == CrawlStatus.PARTIAL
    assert len(parse_events(out.getvalue())) == len(events), "a run is finished once"


def test_an_ok_run_saves_its_validators(db: Database) -> None:
    spider, _ = source_spider(FeedSpider, SOURCE, db)
    send = spider.crawler.signals.send_catch_log
    send(scrapy_signals.spider_opened, spider=spider)
    spider.page("https://x.org/feed", PageKind.FEED, entry=True)
    send(signals.validators_seen, url="https://x.org/feed", validators=Validators('"e1"', "Tue, 1 Dec"))
    send(scrapy_signals.spider_closed, spider=spider, reason="finished")
    assert runs(db)[0].status == "ok"
    assert http_cache.lookup(db, "https://x.org/feed") == Validators('"e1"', "Tue, 1 Dec")


@pytest.mark.parametrize(("reason", "entry_ok", "status"), [
    ("finished", False, CrawlStatus.FAILED), ("shutdown", True, CrawlStatus.PARTIAL),
    ("shutdown", False, CrawlStatus.FAILED), ("finished", True, CrawlStatus.OK),
])
def test_status_from_what_was_read_and_why_it_closed(db: Database, reason: str, entry_ok: bool,
                                                     status: CrawlStatus) -> None:
    spider, counts = source_spider(FeedSpider, SOURCE, db)
    if entry_ok:
        spider.page("https://x.org/feed", PageKind.FEED, entry=True)
    elif reason == "finished":
        spider.error("https://x.org/feed", "timeout", "took too long", entry=True)
    assert counts.status(reason) == status


def test_errors_are_written_in_batches_while_the_crawl_goes_on(db: Database) -> None:
    spider, _ = source_spider(FeedSpider, SOURCE, db)
    spider.crawler.signals.send_catch_log(scrapy_signals.spider_opened, spider=spider)
    for i in range(ERROR_FLUSH_EVERY):
        spider.error(f"https://x.org/a/{i}", "parse", "parse failed")
    with db.read() as s:
        assert len(list(s.scalars(select(CrawlError)))) == ERROR_FLUSH_EVERY, "flushed before the end"


def test_a_crash_before_the_spider_opened_is_still_a_failed_run(db: Database, tmp_path: Path) -> None:
    spider, _ = source_spider(FeedSpider, SOURCE, db)
    RunRecorder.of(spider.crawler).crashed("https://x.org/feed", RuntimeError("boom"))
    [row] = runs(db)
    assert (row.status, row.error_kinds) == ("failed", {"internal": 1})
    [err] = crawl_runs.recent_errors(db, "feedy", 5)
    assert err.message == "RuntimeError: boom"


def test_how_each_article_was_read_is_counted_in_the_crawl_stats(db: Database) -> None:
    spider, counts = source_spider(FeedSpider, SOURCE, db)
    site = FixtureSite()  # only its files: nothing is fetched
    trafilatura_page = "/rightswatch/news/2017/05/17/kazakhstan-trade-union-leader-jailed"
    for path in ("/rferl/a/29220970.html", trafilatura_page, "/rferl/a/28490992.html"):
        found = site.content(path)
        assert found is not None, path
        url = f"https://x.org{path}"
        response = HtmlResponse(url, body=found[0], encoding="utf-8", request=Request(url))
        assert len(asyncio.run(collect(spider.parse_article(response)))) == 1
    assert counts.extracted == {"pangea": 2, "trafilatura": 1}
    assert spider.crawler.stats.get_value("unionwatch/extracted/pangea") == 2


def test_a_callback_or_pipeline_that_raised_is_an_error_and_the_run_not_ok(db: Database) -> None:
    """Scrapy only logs these; whatever the callback would have yielded is lost."""
    from twisted.python.failure import Failure

    spider, counts = source_spider(FeedSpider, SOURCE, db)
    send = spider.crawler.signals.send_catch_log
    send(scrapy_signals.spider_opened, spider=spider)
    spider.page("https://x.org/feed", PageKind.FEED, entry=True)
    response = HtmlResponse("https://x.org/feed", request=Request("https://x.org/feed"))
    crash = Failure(UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates"))
    send(scrapy_signals.spider_error, failure=crash, response=response, spider=spider)
    send(scrapy_signals.item_error, item=ArticleRecord("feedy", "https://x.org/a/1", "T", "B"),
         response=response, spider=spider, failure=Failure(ValueError("bad")))
    send(scrapy_signals.spider_closed, spider=spider, reason="finished")
    assert counts.error_kinds == {"internal": 2}
    [row] = runs(db)
    assert row.status == "partial"
    errors = sorted((e.url, e.message) for e in crawl_runs.recent_errors(db, "feedy", 5))
    assert errors[0][0] == "https://x.org/a/1" and "not stored: ValueError: bad" in errors[0][1]
    assert errors[1][0] == "https://x.org/feed" and errors[1][1].startswith("UnicodeEncodeError")


def test_validators_wait_until_every_requested_article_is_stored(db: Database) -> None:
    """A request Scrapy dropped without an answer leaves no error, but its article is not in
    the database: a 304 next run would hide it, so the feed's validators are not saved."""
    spider, counts = source_spider(FeedSpider, SOURCE, db)
    send = spider.crawler.signals.send_catch_log
    send(scrapy_signals.spider_opened, spider=spider)
    spider.page("https://x.org/feed", PageKind.FEED, entry=True)
    send(signals.validators_seen, url="https://x.org/feed", validators=Validators('"e1"', None))
    requests = list(spider.article_requests([("https://x.org/a/1", {}), ("https://x.org/a/2", {})]))
    assert counts.articles_requested == len(requests) == 2
    send(signals.article_stored, url="https://x.org/a/1", article_id=1)
    send(scrapy_signals.spider_closed, spider=spider, reason="finished")
    assert runs(db)[0].status == "ok"
    assert http_cache.lookup(db, "https://x.org/feed") is None
