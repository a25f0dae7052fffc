"""Hostile and broken input end to end: a crawl child against the loopback fault routes
stores what can be stored, loses nothing silently, and never reports `ok` after a loss."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from spiders.jobspec import CrawlJob
from storage.database import Database
from storage.models import Article, CrawlError
from tests.spiders.conftest import make_job, run_job
from tests.support.faults import (
    FLAKY,
    HOSTILE_COUNT,
    HOSTILE_LONG_GUID,
    HOSTILE_NUL,
    HOSTILE_SURROGATE,
    LONG_GUID,
    OUTAGE_BRIEFS,
    POISON,
)
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


def test_a_long_link_is_fetched_and_one_too_long_for_servers_is_reported(
    db_url: str, demosite: FixtureSite, tmp_path: Path
) -> None:
    feed = f"{demosite.base_url}/faults/feed/long-links"
    result = run_job(tmp_path, make_job(db_url, [{"id": "long", "type": "feed", "urls": [feed]}]))
    assert result.returncode == 0, result.stderr[-3000:]
    [kept] = stored(db_url, "long")
    assert kept.startswith("rferl/a/28490992.html?ids=1") and len(kept) > 3000
    [error] = result.errors("long")
    assert error["kind"] == "bad_link"
    assert error["url"].startswith(f"{demosite.base_url}/vestnik/doc/7715101?")
    assert "9,0" in error["message"] and "not fetched" in error["message"]
    assert result.done("long")["status"] == "partial"


def test_a_page_that_takes_too_long_to_read_costs_only_itself(
    db_url: str, demosite: FixtureSite, tmp_path: Path
) -> None:
    """Read inline, the slow page would hold the whole crawl child for many seconds; its worker
    is stopped at extract_timeout and a new one reads the next article."""
    feed = f"{demosite.base_url}/faults/feed/slow-to-read"
    job = make_job(db_url, [{"id": "slow", "type": "feed", "urls": [feed]}],
                   extract_workers=1, extract_timeout=2.0)
    result = run_job(tmp_path, job)
    assert result.returncode == 0, result.stderr[-3000:]
    assert set(stored(db_url, "slow")) == {"rferl/a/29220970.html", "rferl/a/28490992.html"}
    [error] = result.errors("slow")
    assert (error["kind"], error["url"]) == ("parse", f"{demosite.base_url}/faults/slow-to-read")
    assert "took longer than 2 s" in error["message"]
    assert crawl_errors(db_url) == [(error["url"], "parse")]
    assert result.done("slow")["status"] == "partial"


def hostile_job(db_url: str, site: FixtureSite) -> CrawlJob:
    feed = f"{site.base_url}/faults/feed/hostile"
    return make_job(db_url, [{"id": "hostile", "type": "feed", "urls": [feed]}])


def test_hostile_articles_are_stored_cleaned_and_bounded(
    db_url: str, demosite: FixtureSite, tmp_path: Path
) -> None:
    """A lone surrogate, NUL and a 600-character guid used to cost their whole batch, on
    every run (SQLite: the surrogate; PostgreSQL: all three)."""
    result = run_job(tmp_path, hostile_job(db_url, demosite))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = stored(db_url, "hostile")
    assert len(rows) == HOSTILE_COUNT, (sorted(rows), result.errors("hostile"))
    assert result.errors("hostile") == []
    assert result.done("hostile")["status"] == "ok"
    surrogate = rows[f"faults/article/{HOSTILE_SURROGATE}"]
    assert surrogate.title == f"Профсоюз: статья номер {HOSTILE_SURROGATE} \ufffd суррогат"
    nul = rows[f"faults/article/{HOSTILE_NUL}"]
    assert nul.title == f"Профсоюз: статья номер {HOSTILE_NUL} нуль"
    assert all("\x00" not in r.title + r.body + (r.author or "") for r in rows.values())
    long_guid = rows[f"faults/article/{HOSTILE_LONG_GUID}"].guid
    assert long_guid == "sha256:" + hashlib.sha256(LONG_GUID.encode()).hexdigest()

    again = run_job(tmp_path, hostile_job(db_url, demosite), "again")
    assert again.done("hostile")["stats"]["already_known"] == HOSTILE_COUNT
    assert len(stored(db_url, "hostile")) == HOSTILE_COUNT


def refuse_poison(db_url: str, on: bool) -> None:
    """A trigger that makes the database itself refuse one row, as it may for reasons
    cleaning cannot foresee."""
    db = Database(db_url)
    try:
        with db.engine.begin() as conn:
            if db_url.startswith("sqlite"):
                conn.exec_driver_sql(
                    "CREATE TRIGGER refuse_poison BEFORE INSERT ON article "
                    "WHEN instr(NEW.title, 'Poison') > 0 BEGIN SELECT RAISE(ABORT, 'poison refused'); END"
                    if on else "DROP TRIGGER refuse_poison")
            elif on:
                conn.exec_driver_sql(
                    "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "IF strpos(NEW.title, 'Poison') > 0 THEN RAISE EXCEPTION 'poison refused'; END IF; "
                    "RETURN NEW; END $$")
                conn.exec_driver_sql("CREATE TRIGGER refuse_poison BEFORE INSERT ON article "
                                     "FOR EACH ROW EXECUTE FUNCTION refuse_poison()")
            else:
                conn.exec_driver_sql("DROP TRIGGER refuse_poison ON article")
                conn.exec_driver_sql("DROP FUNCTION refuse_poison()")
    finally:
        db.dispose()


def test_a_record_the_database_refuses_costs_only_itself_and_is_fetched_again(
    db_url: str, demosite: FixtureSite, tmp_path: Path
) -> None:
    poison = f"{demosite.base_url}/faults/article/{POISON}"
    refuse_poison(db_url, True)
    result = run_job(tmp_path, hostile_job(db_url, demosite))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = stored(db_url, "hostile")
    assert len(rows) == HOSTILE_COUNT - 1 and f"faults/article/{POISON}" not in rows
    [error] = result.errors("hostile")
    assert (error["url"], error["kind"]) == (poison, "db") and "poison refused" in error["message"]
    assert result.done("hostile")["status"] == "partial"
    assert crawl_errors(db_url) == [(poison, "db")]

    refuse_poison(db_url, False)
    again = run_job(tmp_path, hostile_job(db_url, demosite), "again")
    assert again.done("hostile")["status"] == "ok"
    assert len(stored(db_url, "hostile")) == HOSTILE_COUNT
    assert demosite.hits(f"/faults/article/{POISON}") == 2


def test_soft_error_pages_are_not_stored_and_are_fetched_again(
    db_url: str, demosite: FixtureSite, tmp_path: Path
) -> None:
    """HTTP 200 error pages (nginx 503, a Russian and a Kazakh "temporarily unavailable", a
    consent wall at two links, a front page) are errors, not articles; the next run fetches
    them again and stores the articles. Real briefs about outages are stored at once."""
    feed = f"{demosite.base_url}/faults/feed/soft-errors"
    job = make_job(db_url, [{"id": "soft", "type": "feed", "urls": [feed]}])
    first = run_job(tmp_path, job, "first")
    assert first.returncode == 0, first.stderr[-3000:]
    real = {"rus-azattyq/a/29700843.html", "rferl/a/29220970.html",
            *(f"faults/outage/{i}" for i in OUTAGE_BRIEFS)}
    assert set(stored(db_url, "soft")) == real, first.errors("soft")
    # A page too short to be an article (nginx's bare 503) is refused by extraction as a
    # `parse` error before the soft-error check sees it: either way not stored, fetched again.
    refused = {e["url"].split("/", 3)[3]: (e["kind"], e["message"]) for e in first.errors("soft")}
    assert set(refused) == {f"faults/flaky/{i}" for i in FLAKY}, first.errors("soft")
    assert {kind for kind, _ in refused.values()} <= {"soft_error", "parse"}
    soft = {url: message for url, (kind, message) in refused.items() if kind == "soft_error"}
    assert "сервис временно недоступен" in soft["faults/flaky/3"]
    assert "қызмет уақытша қолжетімсіз" in soft["faults/flaky/4"]
    walls = sorted(soft[f"faults/flaky/{i}"] for i in (5, 6))
    assert all("the same text as" in m for m in walls), walls
    done = first.done("soft")
    assert done["status"] == "partial" and done["stats"]["new"] == len(real)
    assert len(crawl_errors(db_url)) == len(FLAKY)

    second = run_job(tmp_path, job, "second")
    assert second.done("soft")["status"] == "ok", second.errors("soft")
    rows = stored(db_url, "soft")
    assert set(rows) == real | {f"faults/flaky/{i}" for i in FLAKY}
    for i, (_, title) in FLAKY.items():
        assert rows[f"faults/flaky/{i}"].title == title
        assert demosite.hits(f"/faults/flaky/{i}") == 2
