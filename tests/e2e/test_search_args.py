"""`search` looks through the whole archive, newest first; --since, --until and --days narrow it
and say how many hits they hide. Arguments it cannot use are one line (exit 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import mentions
from storage.articles import ArticleRecord, insert_article, insert_articles
from storage.database import Database
from storage.mentions import NewMention
from tests.e2e.conftest import Run, unionwatch


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
    assert [h["url"] for h in run.json()["articles"]] == ["https://example.org/a/1.html"]
    by_entity = unionwatch("search", "--entity", "eleusinov", "--days", days, "--config", config, "--json")
    assert by_entity.code == 0 and by_entity.json()["articles"] == [], by_entity.stderr  # not matched yet
    everything = unionwatch("search", "Eleusinov", "--config", config, "--json")
    assert everything.code == 0 and len(everything.json()["articles"]) == 1, "no window by default"


@pytest.mark.parametrize(("args", "named"), [
    (["--days", "-1"], "--days must be 0 or more (got -1)"),
    (["--limit", "0"], "--limit must be 1 or more (got 0)"),
    (["--entity", "nobody"], "unknown entity 'nobody'"),
    (["--since", "2019-13-01"], "--since must be a date as YYYY-MM-DD (got '2019-13-01')"),
    (["--until", "last week"], "--until must be a date as YYYY-MM-DD (got 'last week')"),
    (["--since", "2019-02-01", "--until", "2019-01-31"], "--since 2019-02-01 is after --until 2019-01-31"),
    (["--days", "7", "--since", "2019-01-01"], "give --days or --since, not both"),
])
def test_bad_search_arguments_are_one_line_exit_2(tmp_path: Path, args: list[str], named: str) -> None:
    query = [] if "--entity" in args else ["Eleusinov"]
    db_file = tmp_path / "none.db"  # refused before any database is opened
    run = unionwatch("search", *query, *args, "--config", _config(tmp_path, f"sqlite:///{db_file}"))
    assert run.code == 2 and "Traceback" not in run.stderr
    [line] = run.stderr.strip().splitlines()
    assert line.startswith(f"error: {named}"), line
    assert not db_file.exists()


# One article a year before the window, one in it, one after it; plus one from last week.
DATED = {"1995": datetime(1995, 5, 1, tzinfo=UTC), "2018": datetime(2018, 5, 10, 23, 30, tzinfo=UTC),
         "2019": datetime(2019, 1, 1, tzinfo=UTC)}


@pytest.fixture
def dated_articles(db_url: str) -> str:
    db = Database(db_url)
    days_ago = datetime.now(UTC) - timedelta(days=6)
    with db.write() as s:
        for year, when in [*DATED.items(), ("recent", days_ago)]:
            [aid] = insert_articles(s, [ArticleRecord(
                source_id="archive", url=f"https://example.org/a/{year}.html", title=f"News of {year}",
                body="Amin Eleusinov spoke to the union.", published_at=when)])
            assert aid is not None
            mentions.add(s, [NewMention(aid, "eleusinov", "body", 0, 14, "Amin Eleusinov", "full_name")])
        insert_articles(s, [ArticleRecord(source_id="archive", url="https://example.org/a/other.html",
                                          title="Other news", body="Nothing about him.",
                                          published_at=datetime(1990, 1, 1, tzinfo=UTC))])
    db.dispose()
    return db_url


def _urls(run: Run) -> list[str]:
    assert run.code == 0, run.stderr
    return [h["url"].rsplit("/", 1)[1] for h in run.json()["articles"]]


def test_search_looks_through_the_whole_archive_newest_first(tmp_path: Path, dated_articles: str) -> None:
    config = _config(tmp_path, dated_articles)
    for how in (["Eleusinov"], ["--entity", "eleusinov"]):
        run = unionwatch("search", *how, "--config", config, "--json")
        assert _urls(run) == ["recent.html", "2019.html", "2018.html", "1995.html"]
        assert run.json()["hidden"] == {"before_since": 0, "after_until": 0}
    text = unionwatch("search", "Eleusinov", "--config", config)
    assert text.code == 0 and "News of 1995" in text.stdout and "more before" not in text.stdout


def test_since_and_until_narrow_the_search_and_say_what_they_hide(tmp_path: Path,
                                                                   dated_articles: str) -> None:
    config = _config(tmp_path, dated_articles)
    window = ["--since", "2000-01-01", "--until", "2018-12-31"]
    for how in (["Eleusinov"], ["--entity", "eleusinov"]):
        run = unionwatch("search", *how, *window, "--config", config, "--json")
        assert _urls(run) == ["2018.html"], "until is the whole day; 2019-01-01 00:00 is after it"
        assert run.json()["since"] == "2000-01-01" and run.json()["until"] == "2018-12-31"
        assert run.json()["hidden"] == {"before_since": 1, "after_until": 2}
        text = unionwatch("search", *how, *window, "--config", config)
        assert text.code == 0, text.stderr
        assert text.stdout.strip().splitlines()[-2:] == [
            "1 more before 2000-01-01; widen with --since", "2 more after 2018-12-31; widen with --until"]
    on_the_day = unionwatch("search", "Eleusinov", "--since", "2018-05-10", "--until", "2018-05-10",
                            "--config", config, "--json")
    assert _urls(on_the_day) == ["2018.html"], "both ends are whole days (UTC)"
    week = unionwatch("search", "Eleusinov", "--days", "30", "--config", config)
    assert week.code == 0 and "News of recent" in week.stdout and "News of 2019" not in week.stdout
    since = (datetime.now(UTC) - timedelta(days=30)).date()
    assert f"3 more before {since}; widen with --days" in week.stdout
    nothing = unionwatch("search", "Eleusinov", "--since", "2030-01-01", "--config", config)
    assert nothing.code == 0 and nothing.stdout.strip().splitlines() == [
        "no articles found", "4 more before 2030-01-01; widen with --since"]
