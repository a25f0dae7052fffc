"""Scraped text as storage writes it: cleaned and bounded where it enters the database, so
that no value a site sends can make an insert fail (PostgreSQL refuses NUL; UTF-8 cannot
hold a lone surrogate; guid is a 512-character column)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage import crawl_runs, http_cache
from storage.articles import GUID_MAX, ArticleRecord, bounded_guid, insert_articles
from storage.crawl_runs import ErrorRecord
from storage.database import Database
from storage.http_cache import Validators
from storage.models import Article


def test_nul_controls_surrogates_and_a_long_guid_are_stored_cleaned(db: Database) -> None:
    hostile = ArticleRecord(
        source_id="s", url="https://x.org/a/1", title="Заголовок\x00 \ud800 \x1b[31mкрасный",
        body="Абзац\x00 один.\r\n\r\nАбзац \udfff два.", guid="g" * 600, author="Ivan\x00 Petrov",
        language="ru\x00", published_at=datetime(2017, 5, 16, tzinfo=UTC))
    with db.write() as s:
        [new_id] = insert_articles(s, [hostile])
    assert new_id is not None
    with db.read() as s:
        row = s.get(Article, new_id)
        assert row is not None
        assert row.title == "Заголовок \ufffd [31mкрасный"
        assert row.body == "Абзац один.\n\nАбзац \ufffd два."
        assert row.author == "Ivan Petrov" and row.language == "ru"
        assert row.guid is not None and len(row.guid) <= GUID_MAX
    again = ArticleRecord(source_id="s", url="https://x.org/amp/1", title="t", body="b", guid="g" * 600)
    with db.write() as s:
        assert insert_articles(s, [again]) == [None], "the hashed guid is still the duplicate key"
    assert bounded_guid("g" * GUID_MAX) == "g" * GUID_MAX


def test_crawl_errors_and_validators_quoting_a_site_are_stored_cleaned(db: Database) -> None:
    run = crawl_runs.start(db, "s")
    now = datetime.now(UTC)
    crawl_runs.add_errors(db, run, [ErrorRecord("https://x.org/\x00a", "feed_malformed",
                                                "reference to invalid character number 'g\x00' \ud800", now)])
    [err] = crawl_runs.recent_errors(db, "s", 5)
    assert (err.url, err.message) == ("https://x.org/a", "reference to invalid character number 'g' \ufffd")
    http_cache.save(db, {"https://x.org/feed": Validators('"e\x00tag"', "Tue,\x00 1 Dec")})
    assert http_cache.lookup(db, "https://x.org/feed") == Validators('"etag"', "Tue, 1 Dec")
    with db.read() as s:
        assert s.scalars(select(Article)).all() == []
