"""Politeness as the server sees it: one request at a time per host, the delay between
requests (also across sources), Retry-After, conditional GET only after a clean run."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import select

from spiders.politeness import retry_after_seconds
from storage.database import Database
from storage.models import Article, HttpCache
from tests.spiders.conftest import fresh_sqlite, make_job, run_job
from tests.support.fixture_site import FixtureSite

pytestmark = pytest.mark.slow
DELAY = 0.4
SLACK = 0.05  # timer granularity between the reactor and the server's clock


def test_one_request_at_a_time_and_the_delay_between_them(demosite: FixtureSite,
                                                          tmp_path: Path) -> None:
    base = demosite.base_url
    sources = [
        {"id": "first", "type": "listing", "urls": [f"{base}/faults/listing?n=3&start=0"],
         "link_selector": "a.item"},
        {"id": "second", "type": "listing", "urls": [f"{base}/faults/listing?n=3&start=10"],
         "link_selector": "a.item"},
    ]
    job = make_job(fresh_sqlite(tmp_path / "p.db"), sources, per_host_delay=DELAY,
                   per_host_concurrency=1)
    result = run_job(tmp_path, job)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.done("first")["stats"]["new"] == 3
    assert result.done("second")["stats"]["new"] == 3
    log = demosite.log
    assert len(log) >= 8  # two listings and six pages (plus robots.txt)
    assert demosite.max_in_flight == 1
    gaps = [b.at - a.at for a, b in pairwise(log)]
    # The server stamps a request when its thread gets to it; on a loaded machine one stamp
    # can be late, which lengthens one gap and shortens the next by as much. So: each gap
    # well above what no delay gives (a few ms), and the gaps together at least the delay each.
    assert min(gaps) >= DELAY / 2, gaps
    assert sum(gaps) >= len(gaps) * DELAY - SLACK, gaps


def test_short_retry_after_is_waited_for(demosite: FixtureSite, tmp_path: Path) -> None:
    url = f"{demosite.base_url}/faults/status/429?retry_after=1"
    job = make_job(fresh_sqlite(tmp_path / "r.db"),
                   [{"id": "limited", "type": "listing", "urls": [url], "link_selector": "a[href]"}])
    result = run_job(tmp_path, job)
    assert result.returncode == 0, result.stderr[-3000:]
    hits = [h for h in demosite.log if h.path == "/faults/status/429"]
    assert len(hits) == 3  # the request and RETRY_TIMES=2 retries
    assert all(b.at - a.at >= 1.0 - SLACK for a, b in pairwise(hits))
    assert [e["kind"] for e in result.errors("limited")] == ["http_429"]


def test_long_retry_after_defers_the_host_to_the_next_run(demosite: FixtureSite,
                                                          tmp_path: Path) -> None:
    base = demosite.base_url
    sources = [
        {"id": "limited", "type": "listing", "urls": [f"{base}/faults/status/429?retry_after=120"],
         "link_selector": "a[href]"},
        {"id": "same-host", "type": "listing", "urls": [f"{base}/faults/listing?n=2"],
         "link_selector": "a.item"},
    ]
    result = run_job(tmp_path, make_job(fresh_sqlite(tmp_path / "r.db"), sources))
    assert result.returncode == 0, result.stderr[-3000:]
    [limited] = [h for h in demosite.log if h.path == "/faults/status/429"]
    assert demosite.log[-1] is limited  # nothing more was asked of that host
    assert [e["kind"] for e in result.errors("limited")] == ["rate_limited"]
    assert "next run" in result.errors("limited")[0]["message"]
    assert [e["kind"] for e in result.errors("same-host")] == ["rate_limited"]
    assert result.done("same-host")["status"] == "failed"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(b"120", 120.0), ("0", 0.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None),
     (None, None)],
)
def test_retry_after_values(value: bytes | str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value) == seconds


def test_validators_are_kept_only_after_a_clean_run(demosite: FixtureSite, tmp_path: Path) -> None:
    base = demosite.base_url
    feed = f"{base}/rightswatch/rss/news"
    url = fresh_sqlite(tmp_path / "c.db")
    broken = [{"id": "rw", "type": "feed", "urls": [feed, f"{base}/faults/status/404"]}]
    first = run_job(tmp_path, make_job(url, broken), "first")
    assert first.done("rw")["status"] == "partial"
    db = Database(url)
    try:
        with db.read() as s:
            assert list(s.scalars(select(HttpCache))) == []
            stored = len(list(s.scalars(select(Article))))
        assert stored == 3
        clean = [{"id": "rw", "type": "feed", "urls": [feed]}]
        second = run_job(tmp_path, make_job(url, clean), "second")
        assert second.done("rw")["status"] == "ok"
        assert second.done("rw")["stats"]["not_modified"] == 0  # nothing was saved before
        with db.read() as s:
            [row] = list(s.scalars(select(HttpCache)))
        assert row.url == feed and row.etag and row.last_modified
        third = run_job(tmp_path, make_job(url, clean), "third")
        assert third.done("rw")["stats"]["not_modified"] == 1
    finally:
        db.dispose()


def test_markup_and_script_never_reach_stored_text(demosite: FixtureSite, tmp_path: Path) -> None:
    page = f"{demosite.base_url}/faults/html/script-markup"
    job = make_job(fresh_sqlite(tmp_path / "m.db"),
                   [{"id": "m", "type": "listing", "urls": [f"{demosite.base_url}/faults/html/"],
                     "link_selector": "a.case", "link_pattern": "script-markup"}])
    result = run_job(tmp_path, job)
    assert result.done("m")["stats"]["new"] == 1, result.events
    db = Database(job.database_url)
    try:
        with db.read() as s:
            [article] = list(s.scalars(select(Article).where(Article.url == page)))
    finally:
        db.dispose()
    text = article.title + "\n" + article.body
    for bad in ("<script", "alert(", "onerror", "javascript:", "<b>жирный</b>", "<a "):
        assert bad not in text
    assert "Первый абзац жирный ссылка." in article.body
    # Text that was escaped in the source stays text, unescaped once: renderers escape it.
    assert "Текст <b>экранирован</b> в исходнике." in article.body
