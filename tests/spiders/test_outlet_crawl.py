"""`python -m spiders.run` over the outlet fixture sites: adapters in a real crawl, feed
discovery on a listing, every article stored and fetched once, a re-run fetching nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from storage.database import Database
from storage.models import Article
from tests.spiders.conftest import fresh_sqlite, make_job, run_job
from tests.support.fixture_site import FixtureSite
from tests.support.sources import OUTLET_ARTICLE_PATHS, outlet_sources

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def outlet_crawl(
    module_demosite: FixtureSite, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    tmp = tmp_path_factory.mktemp("outlets")
    url = fresh_sqlite(tmp / "outlets.db")
    job = make_job(url, outlet_sources(module_demosite.base_url))
    first = run_job(tmp, job, "first")
    assert first.returncode == 0, first.stderr[-3000:]
    hits_after_first = module_demosite.hit_counts()
    second = run_job(tmp, job, "second")
    assert second.returncode == 0, second.stderr[-3000:]
    db = Database(url)
    yield first, second, hits_after_first, db, module_demosite
    db.dispose()


def rows(db: Database) -> dict[str, Article]:
    with db.read() as s:
        return {a.url: a for a in s.scalars(select(Article))}


def test_every_outlet_article_stored_and_fetched_once(outlet_crawl: Any) -> None:
    first, _, hits, db, site = outlet_crawl
    for source in outlet_sources(site.base_url):
        done = first.done(source["id"])
        assert done["status"] == "ok", (source["id"], first.errors(source["id"]))
    stored = {u.removeprefix(site.base_url): a for u, a in rows(db).items()}
    assert set(stored) == set(OUTLET_ARTICLE_PATHS)
    assert {p: hits[p] for p in OUTLET_ARTICLE_PATHS} == dict.fromkeys(OUTLET_ARTICLE_PATHS, 1)
    assert all(a.title and a.body and a.published_at is not None for a in stored.values())
    assert {a.language for a in stored.values()} == {"en", "ru", "kk"}


def test_stored_fields_come_from_the_adapters(outlet_crawl: Any) -> None:
    _, _, _, db, site = outlet_crawl
    stored = {u.removeprefix(site.base_url): a for u, a in rows(db).items()}

    def check(path: str, when: datetime, author: str | None, language: str) -> None:
        a = stored[path]
        assert a.published_at is not None
        assert (a.published_at.replace(tzinfo=UTC), a.author, a.language) == (when, author, language)

    check("/fergana/news/26391", datetime(2017, 5, 16, 14, 12, tzinfo=UTC), None, "ru")
    check("/hrw/news/2018/05/22/kazakhstan-union-leader-released-on-parole",
          datetime(2018, 5, 22, 14, 15, tzinfo=UTC), "Elena Marsh", "en")
    check("/vlast/kz/novosti/24186-kukyk-korgaushylar-harkovaga-arasha-tusti.html",
          datetime(2017, 7, 20, 4, 30, tzinfo=UTC), None, "kk")
    check("/industriall/kazakhstan-oil-union-leaders-detained-after-hunger-strike",
          datetime(2017, 1, 23, tzinfo=UTC), None, "en")
    assert "Share this via" not in stored[
        "/hrw/news/2017/05/16/kazakhstan-union-leader-sentenced-after-plea-deal"].body
    # The guid a feed gave is kept with the article (HRW's are not URLs).
    assert stored["/hrw/news/2019/11/04/tajikistan-lawyers-face-reprisals"].guid == (
        "336512 at https://www.hrw.org")


def test_listing_follows_the_feed_its_page_advertises(outlet_crawl: Any) -> None:
    first, _, hits, db, site = outlet_crawl
    pages = [(e["kind"], e["url"].removeprefix(site.base_url)) for e in first.of("hrw", "page")]
    assert ("feed", "/hrw/rss/news") in pages
    assert hits["/hrw/rss/news"] == 1  # advertised by both listing pages, fetched once
    # Only in the feed, not on the listing: found through discovery.
    stored = {u.removeprefix(site.base_url): a for u, a in rows(db).items()}
    tajik = stored["/hrw/news/2019/11/04/tajikistan-lawyers-face-reprisals"]
    assert tajik.source_id == "hrw"
    # The feed's report link is outside the source's link_pattern: never requested.
    assert hits["/hrw/report/2018/11/27/kazakhstan-union-activists-travel-bans"] == 0
    assert not first.errors("hrw")
    # WordPress comment feeds are never followed; Fergana's listing advertises none.
    assert hits["/amnesty/en/comments/feed/"] == 0
    assert not [e for e in first.of("fergana", "page") if e["kind"] == "feed"]


def test_amnesty_feed_with_undeclared_amn_prefix_is_not_damaged(outlet_crawl: Any) -> None:
    first, _, _, _, _ = outlet_crawl
    assert not first.errors("amnesty-ru")
    assert first.done("amnesty-ru")["stats"]["new"] == 1


def test_rerun_fetches_no_article_again(outlet_crawl: Any) -> None:
    _, result, hits, db, site = outlet_crawl
    for source in outlet_sources(site.base_url):
        done = result.done(source["id"])
        assert done["status"] == "ok" and done["stats"]["new"] == 0, (source["id"], done)
    assert len(rows(db)) == len(OUTLET_ARTICLE_PATHS)
    now = site.hit_counts()
    assert {p: now[p] for p in OUTLET_ARTICLE_PATHS} == {p: hits[p] for p in OUTLET_ARTICLE_PATHS}
    # The discovered feed is fetched conditionally like a configured one: 304 the second time.
    feed_hits = [(h.conditional, h.status) for h in site.log if h.path == "/hrw/rss/news"]
    assert feed_hits == [(False, 200), (True, 304)]


def test_outlet_fixture_paths_are_served(module_demosite: FixtureSite) -> None:
    """Guards the list itself: each expected path is a page the server has."""
    for path in OUTLET_ARTICLE_PATHS:
        assert module_demosite.content(path) is not None, path
