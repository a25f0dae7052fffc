"""Hostile and broken input end to end: a crawl child against the loopback fault routes
stores what can be stored, loses nothing silently, and never reports `ok` after a loss."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from storage.database import Database
from storage.models import Article, CrawlError
from tests.spiders.conftest import make_job, run_job
from tests.support.fixture_site import FixtureSite

pytestmark = pytest.mark.slow


def stored(db_url: str, source: str) -> dict[str, Article]:
    db = Database(db_url)
    try:
        with db.read() as s:
            rows = s.scalars(select(Article).where(Article.source_id == source)).all()
    finally:
        db.dispose()
    return {r.url.split("/", 3)[3]: r for r in rows}


def crawl_errors(db_url: str) -> list[tuple[str, str]]:
    db = Database(db_url)
    try:
        with db.read() as s:
            return [(e.url, e.kind) for e in s.scalars(select(CrawlError).order_by(CrawlError.id))]
    finally:
        db.dispose()


def test_a_forbidden_character_reference_in_one_guid_costs_no_entry(
    db_url: str, demosite: FixtureSite, tmp_path: Path
) -> None:
    feed = f"{demosite.base_url}/faults/feed/charref-guid"
    result = run_job(tmp_path, make_job(db_url, [{"id": "charref", "type": "feed", "urls": [feed]}]))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = stored(db_url, "charref")
    assert set(rows) == {"rferl/a/29220970.html", "rus-azattyq/a/29700843.html",
                         "azattyq/a/28652001.html"}, result.events
    assert rows["rferl/a/29220970.html"].guid == "rferl-29220970-\ufffd"
    assert result.done("charref")["status"] == "ok", result.errors("charref")


def test_unusable_links_cost_only_their_entries_and_are_reported(
    db_url: str, demosite: FixtureSite, tmp_path: Path
) -> None:
    feed = f"{demosite.base_url}/faults/feed/bad-links"
    result = run_job(tmp_path, make_job(db_url, [{"id": "badlinks", "type": "feed", "urls": [feed]}]))
    assert result.returncode == 0, result.stderr[-3000:]
    assert set(stored(db_url, "badlinks")) == {"rferl/a/28490992.html", "vestnik/doc/7715101"}
    kinds = sorted((e["kind"], e["url"]) for e in result.errors("badlinks"))
    assert kinds == [("bad_link", "http://127.0.0.1:99999/a/2.html"), ("feed_malformed", feed)], kinds
    assert "http://[oops/a/1.html" in result.errors("badlinks", "feed_malformed")[0]["message"]
    assert result.done("badlinks")["status"] == "partial"
    assert sorted(crawl_errors(db_url)) == sorted((url, kind) for kind, url in kinds)
