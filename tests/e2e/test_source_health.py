"""A quiet source is healthy; a source whose pages list nothing any more is not."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from storage import crawl_runs
from storage.crawl_runs import CrawlStatus, RunTotals
from storage.database import Database
from storage.types import utcnow
from tests.e2e.conftest import unionwatch

pytestmark = pytest.mark.slow


def _warnings(config: Path) -> dict[str, list[str]]:
    run = unionwatch("status", "--config", str(config), "--json")
    assert run.code == 0, run.stderr
    return {s["source"]: s["warnings"] for s in run.json()["sources"]}


def test_runs_with_nothing_new_are_not_a_layout_change(config_path: Path) -> None:
    # The first crawl stores everything; the next three find the feeds unchanged (304) or
    # every listed article stored already: a quiet day, as for an hourly feed at night.
    for _ in range(4):
        run = unionwatch("crawl", "--config", str(config_path), "--json")
        assert run.code == 0, run.stderr
    last = {s["source"]: s for s in run.json()["sources"]}
    assert all(s["new"] == 0 for s in last.values()), "the later runs found nothing new"
    assert _warnings(config_path) == {source: [] for source in last}


def test_pages_that_list_no_articles_any_more_are_reported(config_path: Path, db_url: str) -> None:
    db = Database(db_url)
    start = utcnow() - timedelta(hours=10)
    history = [RunTotals(pages=3, new_articles=12),  # the source used to list articles
               RunTotals(pages=3, already_known=12),  # then quiet days
               RunTotals(pages=3, not_modified=1),
               *[RunTotals(pages=3)] * 3]  # then its pages parse to nothing
    for i, totals in enumerate(history):
        at = start + timedelta(hours=i)
        run_id = crawl_runs.start(db, "azattyq", now=at)
        crawl_runs.finish(db, run_id, CrawlStatus.OK, totals, now=at + timedelta(minutes=1))
    db.dispose()
    warnings = _warnings(config_path)
    assert warnings["azattyq"] == ["its pages list no articles any more (layout or feed change?)"]
    assert warnings["rferl"] == []
