"""Save Page Now 2 end to end, through the CLI, against the loopback SPN2 stand-in.

Newly matched articles are submitted, their jobs polled from pending to success and the
snapshot recorded; 429 with Retry-After, a job error, a refusal and the daily quota each end
as SPN2 asks, and nothing is lost or submitted twice within min_interval. The digest then
links each archived item to its snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from storage.database import Database
from storage.models import WaybackSubmission
from storage.types import utcnow
from tests.e2e.conftest import unionwatch
from tests.evidence import site as news
from tests.support.fixture_site import FixtureSite
from tests.support.spn2 import Reply, Spn2StandIn

pytestmark = pytest.mark.slow
ENV = {"UW_TEST_SPN2_KEY": "k3y", "UW_TEST_SPN2_SECRET": "s3cret"}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[FixtureSite]:
    with FixtureSite(roots=(news.build(tmp_path / "site"),)) as s:
        yield s


@pytest.fixture
def spn2() -> Iterator[Spn2StandIn]:
    with Spn2StandIn(access=ENV["UW_TEST_SPN2_KEY"], secret=ENV["UW_TEST_SPN2_SECRET"]) as s:
        yield s


def _rows(db_url: str) -> dict[str, WaybackSubmission]:
    db = Database(db_url)
    try:
        with db.read() as s:
            return {r.url.rsplit("/", 1)[1].removesuffix(".html"): r
                    for r in s.scalars(select(WaybackSubmission).order_by(WaybackSubmission.id))}
    finally:
        db.dispose()


def _due_now(db_url: str, slug: str) -> None:
    """Time passes for one submission: its backoff is over."""
    db = Database(db_url)
    try:
        with db.write() as s:
            s.execute(update(WaybackSubmission).where(WaybackSubmission.url.like(f"%/{slug}.html"))
                      .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    finally:
        db.dispose()


@pytest.mark.timeout(360)  # seven commands, one with a crawl child
def test_spn2_rate_limits_errors_and_snapshots(tmp_path: Path, db_url: str, site: FixtureSite,
                                                spn2: Spn2StandIn) -> None:
    cfg = str(news.config(tmp_path, db_url, site.base_url, wayback={
        "enabled": True, "api_base": spn2.base_url, "access_key_env": "UW_TEST_SPN2_KEY",
        "secret_key_env": "UW_TEST_SPN2_SECRET", "poll_interval": 0.0, "min_interval": "1d"}))
    crawl = unionwatch("crawl", "--config", cfg, "--json")
    assert crawl.code == 0, crawl.stderr
    url = {slug: f"{site.base_url}/news/{slug}.html" for slug in news.ARTICLES}

    # 1. A 429 with Retry-After: 0 stops the run; the submission waits in the queue.
    spn2.save_replies.append(Reply.too_many_requests(retry_after=0))
    first = unionwatch("wayback", "--config", cfg, "--json", env=ENV)
    assert first.code == 0, first.stderr
    out = first.json()
    assert out["queued"] == len(news.ARTICLES) and out["archived"] == [] and len(out["retrying"]) == 1
    assert "429" in out["stopped"]
    assert len(spn2.saves) == 1
    assert {r.state for r in _rows(db_url).values()} == {"queued"}

    # 2. Jobs go pending -> success; one job errors for a while, one URL SPN2 refuses for good.
    spn2.pending_polls = 2
    spn2.job_outcomes[url["flaky"]] = Reply.error("error:browsing-timeout", "browser timeout")
    spn2.job_outcomes[url["gone"]] = Reply.error("error:blocked-url", "blocked")
    second = unionwatch("wayback", "--config", cfg, "--json", env=ENV)
    assert second.code == 0, second.stderr
    out = second.json()
    assert out["stopped"] is None and out["archived"], (out, second.stderr)
    assert sorted(a["snapshot"] for a in out["archived"]) == sorted(
        f"https://web.archive.org/web/{spn2.timestamp_of(url[s])}/{url[s]}"
        for s in ("edited", "same", "moved", "renamed"))
    assert [e["error"] for e in out["refused"]] == ["error:blocked-url: blocked"]
    assert [e["error"] for e in out["retrying"]] == ["error:browsing-timeout: browser timeout"]
    assert all(n == 3 for n in spn2.polls.values()), spn2.polls  # pending, pending, then the outcome
    rows = _rows(db_url)
    assert {s: r.state for s, r in rows.items()} == {
        "edited": "archived", "same": "archived", "moved": "archived", "renamed": "archived",
        "gone": "refused", "flaky": "queued"}
    assert rows["flaky"].next_attempt_at is not None and rows["flaky"].next_attempt_at > utcnow()
    saves = len(spn2.saves)

    # 3. Nothing is due: no URL is submitted twice within min_interval, the retry waits its backoff.
    third = unionwatch("wayback", "--config", cfg, "--json", env=ENV)
    assert third.code == 0, third.stderr
    assert third.json()["queued"] == 0 and len(spn2.saves) == saves

    # 4. The backoff is over, but the day's quota is used up: held back for hours, not lost.
    _due_now(db_url, "flaky")
    del spn2.job_outcomes[url["flaky"]]
    spn2.save_replies.append(Reply.error("error:too-many-daily-captures", "daily limit"))
    fourth = unionwatch("wayback", "--config", cfg, "--json", env=ENV)
    assert fourth.code == 0, fourth.stderr
    assert "rate limited until" in fourth.json()["stopped"]
    flaky = _rows(db_url)["flaky"]
    assert flaky.state == "queued" and flaky.next_attempt_at is not None
    assert flaky.next_attempt_at > utcnow() + timedelta(hours=5)

    # 5. The next day it goes through.
    _due_now(db_url, "flaky")
    fifth = unionwatch("wayback", "--config", cfg, "--json", env=ENV)
    assert fifth.code == 0, fifth.stderr
    assert [a["snapshot"] for a in fifth.json()["archived"]] == [
        f"https://web.archive.org/web/{spn2.timestamp_of(url['flaky'])}/{url['flaky']}"]
    assert spn2.saves.count(url["flaky"]) == 3 and spn2.saves.count(url["same"]) == 1

    # The digest links each archived article to its snapshot.
    digest = unionwatch("digest", "--config", cfg, "--json", env=ENV)
    assert digest.code == 0, digest.stderr
    [html] = list((tmp_path / "out").glob("*.html"))
    page = html.read_text(encoding="utf-8")
    for slug in ("edited", "same", "moved", "renamed", "flaky"):
        snap = f"https://web.archive.org/web/{spn2.timestamp_of(url[slug])}/{url[slug]}"
        assert f'href="{snap}"' in page, slug
    assert page.count("Archived copy:") == 5  # not the refused one


def test_missing_keys_and_disabled_are_one_line_errors(tmp_path: Path, db_url: str,
                                                       site: FixtureSite) -> None:
    cfg = str(news.config(tmp_path, db_url, site.base_url))
    off = unionwatch("wayback", "--config", cfg)
    assert off.code == 2 and "evidence.wayback.enabled is false" in off.stderr
    cfg = str(news.config(tmp_path, db_url, site.base_url, wayback={
        "enabled": True, "api_base": "http://127.0.0.1:9", "access_key_env": "UW_TEST_NO_SUCH_KEY",
        "secret_key_env": "UW_TEST_NO_SUCH_SECRET"}))
    check = unionwatch("check", "--config", cfg)
    assert check.code != 0 and "UW_TEST_NO_SUCH_KEY" in check.stderr + check.stdout
