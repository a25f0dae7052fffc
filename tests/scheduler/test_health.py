"""Source health: the warnings an operator sees in `unionwatch status`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.config import Config
from scheduler.health import source_health
from storage.articles import ArticleRecord, insert_article
from storage.database import Database
from storage.models import CrawlRun

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CFG = Config.model_validate({
    "sources": [{"id": "s", "type": "feed", "url": "https://example.org/rss"}],
    "watchlists": [{"id": "w", "entities": [{"id": "e", "name": "Amin Eleusinov"}]}],
})


def run(db: Database, hours_ago: float, status: str, pages: int, new: int, errors: int = 0) -> None:
    start = NOW - timedelta(hours=hours_ago)
    with db.write() as s:
        s.add(CrawlRun(source_id="s", started_at=start, finished_at=start + timedelta(minutes=1),
                       status=status, pages=pages, new_articles=new, errors=errors))


def test_healthy_source(db: Database) -> None:
    for i in range(4):
        run(db, hours_ago=4 - i, status="ok", pages=10, new=2)
        with db.write() as s:
            when = NOW - timedelta(hours=4 - i)
            insert_article(s, ArticleRecord("s", f"https://example.org/{i}", "t", "b", fetched_at=when))
    [h] = source_health(db, CFG, NOW)
    assert h.last_status == "ok" and h.articles_7d == 4 and h.error_rate == 0.0
    assert h.last_success is not None and h.warnings == []


def test_a_source_that_stopped_yielding_articles_is_flagged(db: Database) -> None:
    for i in range(3):
        run(db, hours_ago=10 - i, status="ok", pages=10, new=3)
    for i in range(3):
        run(db, hours_ago=3 - i, status="ok", pages=10, new=0)
    [h] = source_health(db, CFG, NOW)
    assert any("no articles any more" in w for w in h.warnings)


def test_failures_and_error_rate(db: Database) -> None:
    for i in range(3):
        run(db, hours_ago=3 - i, status="failed", pages=0, new=0, errors=4)
    [h] = source_health(db, CFG, NOW)
    assert h.error_rate == 1.0 and h.last_success is None
    assert any("runs failed" in w for w in h.warnings)


def test_silence_well_beyond_its_own_history(db: Database) -> None:
    for i in range(6):
        when = NOW - timedelta(days=3) - timedelta(hours=2 * i)
        with db.write() as s:
            insert_article(s, ArticleRecord("s", f"https://example.org/{i}", "t", "b", fetched_at=when))
    [h] = source_health(db, CFG, NOW)
    assert any("silent for 72 h" in w for w in h.warnings), h.warnings


def test_a_quiet_night_of_an_hourly_feed_is_not_silence(db: Database) -> None:
    # Hourly articles by day, a 12-hour night yesterday; now 10 hours since the last one.
    hours = [10 + i for i in range(8)] + [30 + i for i in range(8)]
    for i, h in enumerate(hours):
        with db.write() as s:
            insert_article(s, ArticleRecord("s", f"https://example.org/{i}", "t", "b",
                                            fetched_at=NOW - timedelta(hours=h)))
    [h] = source_health(db, CFG, NOW)
    assert h.warnings == []


def test_admins_hear_of_a_problem_once_and_when_it_clears(db: Database) -> None:
    from scheduler.source_alerts import alert_source_changes, update_source_problems

    sent: list[tuple[str, str]] = []
    for i in range(3):
        run(db, hours_ago=5 - i, status="failed", pages=0, new=0, errors=2)
    for _ in range(3):  # three more checks of the same failing state
        alert_source_changes(update_source_problems(CFG, db, NOW), lambda s, t: sent.append((s, t)))
    assert len(sent) == 1
    assert sent[0][0] == "1 source problem(s): s" and "the last 3 runs failed" in sent[0][1]
    run(db, hours_ago=1, status="ok", pages=5, new=1)
    alert_source_changes(update_source_problems(CFG, db, NOW), lambda s, t: sent.append((s, t)))
    assert len(sent) == 2 and "cleared" in sent[1][0] and "no longer failing" in sent[1][1]


def test_status_shows_each_sources_last_and_recent_crawl_errors(
    db: Database, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from scheduler.commands import status_command
    from scheduler.health import RECENT_ERRORS
    from storage import crawl_runs
    from storage.crawl_runs import CrawlStatus, ErrorRecord, RunTotals

    for i in range(3):
        at = NOW - timedelta(hours=3 - i)
        run_id = crawl_runs.start(db, "s", now=at)
        errors = [ErrorRecord(f"https://example.org/{i}/{n}", "http_404", f"HTTP 404 #{i}.{n}", at)
                  for n in range(3)]
        crawl_runs.add_errors(db, run_id, errors)
        crawl_runs.finish(db, run_id, CrawlStatus.PARTIAL, RunTotals(pages=5, errors=3), now=at)
    [h] = source_health(db, CFG, NOW)
    assert len(h.recent_errors) == RECENT_ERRORS
    assert h.last_error is not None and h.last_error.url == "https://example.org/2/2"
    assert [e.at for e in h.recent_errors] == sorted((e.at for e in h.recent_errors), reverse=True)

    cfg = CFG.model_copy(update={"database": CFG.database.model_copy(update={"url": db_url})})
    assert status_command(cfg, json_out=True) == 0
    [src] = json.loads(capsys.readouterr().out)["sources"]
    assert src["last_error"]["url"] == "https://example.org/2/2"
    assert src["last_error"]["kind"] == "http_404" and src["last_error"]["message"] == "HTTP 404 #2.2"
    assert [e["url"] for e in src["recent_errors"]][:2] == ["https://example.org/2/2", "https://example.org/2/1"]
    assert status_command(cfg, json_out=False) == 0
    text = capsys.readouterr().out
    assert "recent crawl errors" in text and "https://example.org/2/2" in text and "HTTP 404 #2.2" in text
