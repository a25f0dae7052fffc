"""`search` with arguments it cannot use says so in one line (exit 2); a window longer than the
calendar is the whole archive."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.articles import ArticleRecord, insert_article
from storage.database import Database
from tests.e2e.conftest import unionwatch


def _config(tmp_path: Path, url: str) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f"database: {{url: '{url}'}}\nwatchlists:\n  - id: w\n    entities:\n"
                    "      - {id: eleusinov, name: Amin Eleusinov}\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def old_article(db_url: str) -> str:
    db = Database(db_url)
    with db.write() as s:
        insert_article(s, ArticleRecord(
            source_id="archive", url="https://example.org/a/1.html", title="Eleusinov in 1995",
            body="Amin Eleusinov spoke to the union.", published_at=datetime(1995, 5, 1, tzinfo=UTC)))
    db.dispose()
    return db_url


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_query_is_one_line_exit_2(tmp_path: Path, old_article: str, query: str) -> None:
    run = unionwatch("search", query, "--config", _config(tmp_path, old_article))
    assert run.code == 2 and "Traceback" not in run.stderr
    [line] = run.stderr.strip().splitlines()
    assert line == "error: the search QUERY is empty: give words or a name to look for"


@pytest.mark.parametrize("days", ["99999999", "999999999999"])
def test_days_past_the_calendar_search_the_whole_archive(tmp_path: Path, old_article: str, days: str) -> None:
    config = _config(tmp_path, old_article)
    run = unionwatch("search", "Eleusinov", "--days", days, "--config", config, "--json")
    assert run.code == 0, run.stderr
    assert [h["url"] for h in run.json()] == ["https://example.org/a/1.html"]
    by_entity = unionwatch("search", "--entity", "eleusinov", "--days", days, "--config", config, "--json")
    assert by_entity.code == 0 and by_entity.json() == [], by_entity.stderr  # nothing matched it yet
    recent = unionwatch("search", "Eleusinov", "--config", config, "--json")
    assert recent.code == 0 and recent.json() == [], "the default window is 30 days"


@pytest.mark.parametrize("args", [["--days", "-1"], ["--limit", "0"], ["--entity", "nobody"]])
def test_bad_search_arguments_are_one_line_exit_2(tmp_path: Path, old_article: str, args: list[str]) -> None:
    query = [] if "--entity" in args else ["Eleusinov"]
    run = unionwatch("search", *query, *args, "--config", _config(tmp_path, old_article), "--json")
    assert run.code == 2 and "Traceback" not in run.stderr
    assert run.json()["exit_code"] == 2
