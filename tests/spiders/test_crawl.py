"""`python -m spiders` as a real child process against the loopback demo sites."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from storage import leases
from storage.articles import decompress_html
from storage.database import Database
from storage.models import Article, CrawlError, CrawlRun, HttpCache, Lease
from storage.urls import url_key
from tests.spiders.conftest import CrawlResult, fresh_sqlite, make_job, run_job
from tests.support.fixture_site import FixtureSite
from tests.support.sources import DEMO_ARTICLE_PATHS, demo_sources

pytestmark = pytest.mark.slow

EVENT_KEYS = {
    "start": {"event", "source"},
    "page": {"event", "source", "url", "kind"},
    "article": {"event", "source", "new", "url", "id"},
    "error": {"event", "source", "url", "kind", "message"},
    "skipped": {"event", "source", "reason"},
    "done": {"event", "source", "status", "reason", "stats"},
}


def check_events_well_formed(result: CrawlResult) -> None:
    """Every event has its keys; per source: one start first, one done last, and the done
    stats add up to the page/article/error events before it."""
    for e in result.events:
        assert EVENT_KEYS[e["event"]] <= set(e), e
    for source in {e["source"] for e in result.events if e["event"] != "skipped"}:
        evs = result.of(source)
        assert evs[0]["event"] == "start" and evs[-1]["event"] == "done", source
        assert [e["event"] for e in evs].count("start") == 1
        stats = evs[-1]["stats"]
        assert stats["fetched"] == len(result.of(source, "page"))
        assert stats["new"] == sum(1 for e in result.of(source, "article") if e["new"])
        assert stats["duplicates"] == sum(1 for e in result.of(source, "article") if not e["new"])
        assert stats["errors"] == len(result.of(source, "error"))
        assert all(e["kind"] in {"feed", "sitemap", "listing", "article"}
                   for e in result.of(source, "page"))


def article_rows(db: Database) -> list[Article]:
    with db.read() as s:
        return list(s.scalars(select(Article).order_by(Article.id)))


def test_demo_crawl_stores_each_article_once_and_rerun_fetches_nothing_twice(
    db_url: str, demosite: FixtureSite, tmp_path: Path
) -> None:
    sources = demo_sources(demosite.base_url)
    job = make_job(db_url, sources)
    first = run_job(tmp_path, job, "first")
    assert first.returncode == 0, first.stderr[-3000:]
    check_events_well_formed(first)
    for s in sources:
        assert first.done(s["id"])["status"] == "ok", first.of(s["id"])
    db = Database(db_url)
    try:
        rows = article_rows(db)
        assert sorted(r.canonical_url.split("/", 3)[3] for r in rows) == sorted(
            p.lstrip("/") for p in DEMO_ARTICLE_PATHS
        )
        # Fetched once each, although 28503666 is linked from the feed (utm parameters)
        # and the sitemap (trailing slash), and 28490992 twice from the listing.
        hits = demosite.hit_counts()
        assert {p: hits[p] for p in DEMO_ARTICLE_PATHS} == dict.fromkeys(DEMO_ARTICLE_PATHS, 1)
        shared = [r for r in rows if "28503666" in r.url]
        assert len(shared) == 1
        assert shared[0].url == f"{demosite.base_url}/rus-azattyq/a/28503666.html"
        assert shared[0].url_key == url_key(f"{demosite.base_url}/rus-azattyq/a/28503666.html/")
        by_path = {r.url.removeprefix(demosite.base_url): r for r in rows}
        kk = by_path["/azattyq/a/28652001.html"]
        assert (kk.language, kk.author, kk.source_id) == ("kk", "Айгүл Сейтқали", "azattyq")
        assert by_path["/vestnik/doc/7715101"].language == "ru"
        assert "Лариса Харькова приговорена" in by_path["/vestnik/doc/7715101"].body  # cp1251 site
        assert by_path["/rferl/a/28490992.html"].author is None  # "RFE/RL's Kazakh Service"
        assert all(r.published_at is not None and r.published_at.tzinfo for r in rows)
        with db.read() as s:
            raw = s.scalar(select(Article.raw_html).where(Article.id == kk.id))
        assert raw is not None and "Харьковаға".encode() in decompress_html(raw)
        with db.read() as s:
            runs = list(s.scalars(select(CrawlRun).order_by(CrawlRun.id)))
        assert [r.source_id for r in runs] == [s["id"] for s in sources]
        for run in runs:
            done = first.done(run.source_id)
            assert run.status == "ok" and run.finished_at is not None
            assert (run.pages, run.new_articles, run.errors) == (
                done["stats"]["fetched"], done["stats"]["new"], 0
            )
        ua = {h.user_agent for h in demosite.log}
        assert ua == {"unionwatch/0.1 (+https://example.org/unionwatch)"}
        assert demosite.hits("/robots.txt") >= 1

        second = run_job(tmp_path, job, "second")
        assert second.returncode == 0, second.stderr[-3000:]
        check_events_well_formed(second)
        assert len(article_rows(db)) == len(rows)
        assert not second.of("rferl", "article")
        assert all(second.done(s["id"])["stats"]["new"] == 0 for s in sources)
        hits = demosite.hit_counts()
        assert {p: hits[p] for p in DEMO_ARTICLE_PATHS} == dict.fromkeys(DEMO_ARTICLE_PATHS, 1)
        with db.read() as s:
            assert s.scalar(select(func.count()).select_from(CrawlRun)) == 2 * len(sources)
            cached = set(s.scalars(select(HttpCache.url)))
        # Conditional GET: feeds and sitemap children carry validators on the second run
        # and the unchanged server answers 304; sitemap indexes are always fetched in full.
        feeds = {f"{demosite.base_url}/azattyq/api/zivqrkrvil",
                 f"{demosite.base_url}/rightswatch/rss/news",
                 f"{demosite.base_url}/rus-azattyq/sitemap_1_1.xml.gz"}
        assert feeds <= cached
        assert f"{demosite.base_url}/rus-azattyq/sitemap.xml" not in cached
        second_feed_hits = [h for h in demosite.log if h.path == "/azattyq/api/zivqrkrvil"][1:]
        assert [(h.conditional, h.status) for h in second_feed_hits] == [(True, 304)]
        assert second.done("azattyq")["stats"]["not_modified"] == 1
        assert second.done("rus-azattyq-sitemap")["stats"]["not_modified"] == 2
    finally:
        db.dispose()


def test_loopback_refused_when_private_networks_off(demosite: FixtureSite, tmp_path: Path) -> None:
    url = fresh_sqlite(tmp_path / "ssrf.db")
    feed = f"{demosite.base_url}/azattyq/api/zivqrkrvil"
    job = make_job(url, [{"id": "azattyq", "type": "feed", "urls": [feed]}],
                   allow_private_networks=False)
    result = run_job(tmp_path, job)
    assert result.returncode == 0, result.stderr[-3000:]
    [error] = result.errors("azattyq")
    assert error["kind"] == "blocked" and error["url"] == feed
    assert "127.0.0.1" in error["message"]
    assert result.done("azattyq")["status"] == "failed"
    assert demosite.hits("/azattyq/api/zivqrkrvil") == 0
    assert demosite.hits("/robots.txt") == 0
    db = Database(url)
    try:
        with db.read() as s:
            rows = list(s.scalars(select(CrawlError)))
            run = s.scalars(select(CrawlRun)).one()
        assert [(r.url, r.kind) for r in rows] == [(feed, "blocked")]
        assert (run.status, run.errors, run.error_kinds) == ("failed", 1, {"blocked": 1})
    finally:
        db.dispose()


def test_source_whose_lease_is_held_elsewhere_is_skipped(demosite: FixtureSite, tmp_path: Path) -> None:
    from datetime import timedelta

    url = fresh_sqlite(tmp_path / "lease.db")
    db = Database(url)
    try:
        assert leases.acquire(db, "crawl:rferl", "another-host:1", timedelta(minutes=10))
        sources = [s for s in demo_sources(demosite.base_url) if s["id"] in ("rferl", "vestnik")]
        result = run_job(tmp_path, make_job(url, sources))
        assert result.returncode == 0, result.stderr[-3000:]
        [skipped] = result.of("rferl")
        assert skipped["event"] == "skipped" and "lease" in skipped["reason"]
        assert result.done("vestnik")["status"] == "ok"
        assert demosite.hits("/rferl/z/5567") == 0
        with db.read() as s:
            assert [r.source_id for r in s.scalars(select(CrawlRun))] == ["vestnik"]
            held = {lease.name: lease.owner for lease in s.scalars(select(Lease))}
        assert held == {"crawl:rferl": "another-host:1"}  # ours was released, theirs kept
    finally:
        db.dispose()


def test_bad_job_and_database_problems_exit_non_zero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    import subprocess
    import sys

    from tests.spiders.conftest import ROOT

    def child(arg: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "spiders", arg], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)

    p = child(str(bad))
    assert p.returncode == 2 and "bad job" in p.stderr and p.stdout == ""
    p = child(str(tmp_path / "missing.json"))
    assert p.returncode == 2 and "cannot read job file" in p.stderr

    sources = [{"id": "x", "type": "feed", "urls": ["http://127.0.0.1:9/feed"]}]
    down = make_job("postgresql://nobody@127.0.0.1:1/none", sources)
    result = run_job(tmp_path, down, "down")
    assert result.returncode == 3 and "database unreachable" in result.stderr
    empty = make_job(f"sqlite:///{tmp_path / 'empty.db'}", sources)
    result = run_job(tmp_path, empty, "empty")
    assert result.returncode == 3 and "migration" in result.stderr
    assert result.events == []


# ---- one child run over the fault routes; the tests below read its outcome ----------


def fault_sources(base: str) -> list[dict[str, Any]]:
    def feed(name: str) -> dict[str, Any]:
        return {"id": name, "type": "feed", "urls": [f"{base}/faults/feed/{name}"]}

    def page(name: str, path: str, selector: str = "a[href]") -> dict[str, Any]:
        return {"id": name, "type": "listing", "urls": [f"{base}{path}"], "link_selector": selector}

    return [
        feed("robots"), feed("truncated"), feed("invalid-url"), feed("html"),
        feed("billion-laughs"), feed("xxe-file"), feed("xxe-http"), feed("external-dtd"),
        feed("errors"), feed("redirects"), feed("cp1251-declared-utf8"),
        page("encodings", "/faults/enc/", "a.case"),
        page("malformed", "/faults/html/", "a.case"),
        page("huge", "/faults/huge?mb=3"), page("bomb", "/faults/bomb.html"),
        page("stall", "/faults/stall/30"), page("drop", "/faults/drop"),
    ]


@pytest.fixture(scope="module")
def fault_crawl(
    module_demosite: FixtureSite, tmp_path_factory: pytest.TempPathFactory
) -> tuple[CrawlResult, Database, FixtureSite]:
    tmp = tmp_path_factory.mktemp("faults")
    url = fresh_sqlite(tmp / "faults.db")
    job = make_job(url, fault_sources(module_demosite.base_url), timeout=2.0,
                   max_page_bytes=1024 * 1024)
    result = run_job(tmp, job)
    assert result.returncode == 0, result.stderr[-3000:]
    check_events_well_formed(result)
    db = Database(url)
    yield result, db, module_demosite
    db.dispose()


def stored_paths(db: Database, base: str, source: str | None = None) -> set[str]:
    return {r.url.removeprefix(base) for r in article_rows(db) if source in (None, r.source_id)}


def test_robots_disallow_is_honoured(fault_crawl: Any) -> None:
    result, db, site = fault_crawl
    assert site.hits("/private/a/1.html") == 0
    [err] = result.errors("robots")
    assert err["kind"] == "robots" and err["url"].endswith("/private/a/1.html")
    assert "/rferl/a/28490992.html" in stored_paths(db, site.base_url, "robots")


def test_truncated_feed_yields_what_can_be_read(fault_crawl: Any) -> None:
    result, db, site = fault_crawl
    assert [e["kind"] for e in result.errors("truncated")] == ["feed_malformed"]
    assert result.done("truncated")["status"] == "partial"
    assert {"/rus-azattyq/a/29700843.html", "/rferl/a/29220970.html"} <= stored_paths(
        db, site.base_url, "truncated"
    )


def test_feed_declared_utf8_but_cp1251_stores_real_text(fault_crawl: Any) -> None:
    result, db, site = fault_crawl
    assert result.done("cp1251-declared-utf8")["status"] == "ok"
    assert "/vestnik/doc/7715101" in stored_paths(db, site.base_url, "cp1251-declared-utf8")


@pytest.mark.parametrize(("source", "kind"), [("invalid-url", "invalid_feed"), ("html", "invalid_feed")])
def test_not_a_feed_fails_the_source(fault_crawl: Any, source: str, kind: str) -> None:
    result, _, _ = fault_crawl
    assert [e["kind"] for e in result.errors(source)] == [kind]
    assert result.done(source)["status"] == "failed"


def test_xml_entity_attacks_refused_and_nothing_fetched(fault_crawl: Any) -> None:
    result, _, site = fault_crawl
    for source in ("billion-laughs", "xxe-file", "xxe-http"):
        assert [e["kind"] for e in result.errors(source)] == ["xml_entities"], source
        assert result.done(source)["status"] == "failed"
    assert site.hits("/faults/xxe-target") == 0
    assert result.done("external-dtd")["status"] == "ok"
    assert site.hits("/faults/dtd-target") == 0


def test_http_errors_are_recorded_and_503_retried_twice(fault_crawl: Any) -> None:
    result, db, site = fault_crawl
    kinds = sorted(e["kind"] for e in result.errors("errors"))
    assert kinds == ["http_404", "http_503"]
    assert site.hits("/faults/status/503") == 3  # RETRY_TIMES=2
    assert site.hits("/faults/status/404") == 1
    assert result.done("errors")["status"] == "partial"
    with db.read() as s:
        run = s.scalars(select(CrawlRun).where(CrawlRun.source_id == "errors")).one()
        errs = list(s.scalars(select(CrawlError).where(CrawlError.run_id == run.id)))
    assert run.error_kinds == {"http_404": 1, "http_503": 1}
    assert sorted(e.kind for e in errs) == kinds


def test_redirects_to_file_refused_and_loops_stopped(fault_crawl: Any) -> None:
    result, _, site = fault_crawl
    kinds = sorted((e["kind"], e["url"].split("/faults/")[1]) for e in result.errors("redirects"))
    assert kinds == [("blocked", "redirect?to=file%3A%2F%2F%2Fetc%2Fpasswd"),
                     ("redirect_loop", "redirect-loop/5")]
    loops = sum(n for p, n in site.hit_counts().items() if p.startswith("/faults/redirect-loop/"))
    assert loops == 6  # the first request and REDIRECT_MAX_TIMES=5 redirects


def test_encoding_matrix_end_to_end(fault_crawl: Any) -> None:
    from tests.support.faults import ENCODING_CASES

    result, db, _ = fault_crawl
    assert not result.errors("encodings")
    rows = {r.url.rsplit("/", 1)[-1]: r for r in article_rows(db) if r.source_id == "encodings"}
    assert set(rows) == set(ENCODING_CASES)
    for name, case in ENCODING_CASES.items():
        assert rows[name].title == case.title, name
        assert case.body in rows[name].body, name
        assert "\ufffd" not in rows[name].body + rows[name].title


def test_malformed_html_never_crashes(fault_crawl: Any) -> None:
    """Each page is stored with a title or recorded as "parse failed"; the child goes on."""
    from tests.support.faults import MALFORMED

    result, db, _ = fault_crawl
    kinds = {e["url"].rsplit("/", 1)[-1]: e["kind"] for e in result.errors("malformed")}
    stored = {r.url.rsplit("/", 1)[-1]: r for r in article_rows(db) if r.source_id == "malformed"}
    assert set(kinds) | set(stored) == set(MALFORMED)
    assert not set(kinds) & set(stored)
    assert kinds["binary"] == "not_html" and kinds["no-body"] == "parse"
    assert set(kinds.values()) <= {"parse", "not_html"}
    assert {"nul-bytes", "bare-lt", "deep-nesting"} <= set(stored)
    assert "Нурбек Кушакбаев" in stored["deep-nesting"].body  # text 300 levels deep is kept
    assert all(r.title for r in stored.values())
    assert "\x00" not in stored["nul-bytes"].body
    assert stored["bare-lt"].title == "Меньше < больше"
    assert "parse failed" in next(e["message"] for e in result.errors("malformed")
                                  if e["url"].endswith("no-body"))


@pytest.mark.parametrize(("source", "kind"), [("huge", "too_large"), ("bomb", "too_large"),
                                              ("stall", "timeout"), ("drop", "connection_lost")])
def test_hostile_responses_fail_cleanly(fault_crawl: Any, source: str, kind: str) -> None:
    result, _, site = fault_crawl
    assert [e["kind"] for e in result.errors(source)] == [kind]
    assert result.done(source)["status"] == "failed"
    if source in ("huge", "bomb"):
        assert site.hits(f"/faults/{'huge' if source == 'huge' else 'bomb.html'}") == 1  # no retry
    if source == "stall":
        assert site.hits("/faults/stall/30") == 3


def test_sigterm_stops_gracefully_records_the_run_and_frees_the_lease(
    demosite: FixtureSite, tmp_path: Path
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.spiders.conftest import ROOT

    base = demosite.base_url
    url = fresh_sqlite(tmp_path / "term.db")
    sources = [
        {"id": "slow", "type": "listing", "urls": [f"{base}/faults/listing?n=5&sleep=1"],
         "link_selector": "a.item"},
        {"id": "later", "type": "listing", "urls": [f"{base}/faults/listing?n=1&start=9"],
         "link_selector": "a.item"},
    ]
    job_file = tmp_path / "job.json"
    job_file.write_text(make_job(url, sources).to_json(), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "spiders", str(job_file)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:  # wait until the listing is in and article fetches have begun
        lines.append(line)
        if '"kind": "listing"' in line:
            break
    os.killpg(proc.pid, signal.SIGTERM)
    sent = time.monotonic()
    out, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 10, "the scheduler SIGKILLs after 10 s"
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]  # a graceful stop is not a crash
    from tests.spiders.conftest import wire_events

    result = CrawlResult(proc.returncode, "".join(lines) + out, err, wire_events("".join(lines) + out))
    done = result.done("slow")
    assert (done["status"], done["reason"]) == ("partial", "shutdown")
    assert done["stats"]["new"] < 5
    assert [e["event"] for e in result.of("later")] == ["skipped"]
    assert demosite.hits("/faults/listing") == 1  # "later" never started
    db = Database(url)
    try:
        with db.read() as s:
            run = s.scalars(select(CrawlRun)).one()
            assert list(s.scalars(select(Lease))) == []
        assert (run.status, run.new_articles) == ("partial", done["stats"]["new"])
        assert run.finished_at is not None
    finally:
        db.dispose()
