"""SPN2 jobs that outlast a run are polled again, not submitted again."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from scheduler.config import load_config
from scheduler.wayback import run_wayback
from storage import mentions, wayback
from storage.articles import ArticleRecord, insert_article
from storage.database import Database
from storage.mentions import NewMention
from storage.types import utcnow
from tests.evidence import site as news
from tests.support.spn2 import Spn2StandIn


def test_a_job_still_pending_is_polled_next_run(tmp_path: Path, db: Database, db_url: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UW_K", "k")
    monkeypatch.setenv("UW_S", "s")
    with db.write() as s:
        aid = insert_article(s, ArticleRecord(source_id="news", url="https://news.example/a/1.html",
                                              title="t", body="Amin Eleusinov was sentenced."))
        assert aid is not None
        mentions.add(s, [NewMention(aid, "eleusinov", "body", 0, 14, "Amin Eleusinov", "exact")])
    with Spn2StandIn(access="k", secret="s") as spn2:
        cfg = load_config(news.config(tmp_path, db_url, "http://127.0.0.1:9", wayback={
            "enabled": True, "api_base": spn2.base_url, "access_key_env": "UW_K", "secret_key_env": "UW_S",
            "poll_interval": 0.0, "max_wait": 0.001}))
        spn2.pending_polls = 10**6
        first = run_wayback(cfg, db)
        assert first.pending == 1 and first.archived == [] and spn2.saves == ["https://news.example/a/1.html"]
        with db.read() as s:
            [sub] = wayback.of_article(s, aid)
            assert not wayback.any_snapshots(s), "a job still running has no snapshot to link"
        assert sub.state is wayback.WaybackState.SUBMITTED and sub.job_id in spn2.jobs
        spn2.pending_polls = 0
        second = run_wayback(cfg, db)
        assert len(second.archived) == 1 and len(spn2.saves) == 1, "polled, not submitted again"
        with db.read() as s:
            assert wayback.snapshots(s, [aid]) == {aid: second.archived[0][1]}
            assert wayback.any_snapshots(s), "batched digests must look the link up now"
        # Wrong keys: SPN2's 401 is a failure to retry later, never a loss.
        monkeypatch.setenv("UW_S", "wrong")
        with db.write() as s:
            assert wayback.queue(s, None, "https://news.example/a/2.html", utcnow(), timedelta(days=1))
        third = run_wayback(cfg, db)
        assert third.archived == [] and "401" in third.retrying[0][1]
        with db.read() as s:
            assert wayback.counts(s) == {"archived": 1, "queued": 1}

