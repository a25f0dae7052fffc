"""Which matched articles are due for a re-check, what a re-check records, and version diffs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import mentions, rechecks, versions
from storage.articles import ArticleRecord, insert_article
from storage.database import Database
from storage.mentions import NewMention
from storage.rechecks import Found, RecheckState

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
BODY = "Amin Eleusinov was sentenced. The union appealed."
EDITED = "Amin Eleusinov was sentenced. The union will appeal on Monday.\nA second paragraph."
AGES = [timedelta(days=1), timedelta(days=7), timedelta(days=30)]


def _article(db: Database, slug: str, fetched: datetime, matched: bool = True) -> int:
    with db.write() as s:
        aid = insert_article(s, ArticleRecord(
            source_id="news", url=f"https://news.example/{slug}", title=f"Title {slug}",
            body="Amin Eleusinov was sentenced. The union appealed.", fetched_at=fetched))
        assert aid is not None
        if matched:
            mentions.add(s, [NewMention(aid, "eleusinov", "body", 0, 14, "Amin Eleusinov", "exact")])
    return aid


def _due(db: Database, now: datetime, every: bool = False) -> list[int]:
    with db.read() as s:
        return [a.article_id for a in rechecks.due(s, AGES, now, every=every)]


def _record(db: Database, found: Found) -> rechecks.Outcome:
    with db.write() as s:
        out = rechecks.record(s, found)
    assert out is not None
    return out


def test_due_at_each_age_once_and_never_unmatched(db: Database) -> None:
    young = _article(db, "young", NOW - timedelta(hours=20))
    day2 = _article(db, "day2", NOW - timedelta(days=2))
    old = _article(db, "old", NOW - timedelta(days=40))
    unmatched = _article(db, "unmatched", NOW - timedelta(days=2), matched=False)
    assert _due(db, NOW) == [day2, old]
    assert _due(db, NOW, every=True) == [young, day2, old]
    assert unmatched not in _due(db, NOW, every=True)

    _record(db, Found(day2, NOW, 200, title="Title day2", body=BODY))
    _record(db, Found(old, NOW, 200, title="Title old", body=BODY))
    # The 40-day-old one was checked once for all its ages; the 2-day-old one waits for day 7.
    assert _due(db, NOW + timedelta(days=1)) == [young]
    assert _due(db, NOW - timedelta(days=2) + timedelta(days=7, minutes=1)) == [young, day2]
    assert old not in _due(db, NOW + timedelta(days=300))


def test_a_failure_keeps_it_due_and_a_removal_is_news_once(db: Database) -> None:
    aid = _article(db, "a", NOW - timedelta(days=2))
    failed = _record(db, Found(aid, NOW, 503, failed="http_503: HTTP 503"))
    assert failed.state is RecheckState.FAILED and not failed.is_update
    assert _due(db, NOW + timedelta(minutes=5)) == [aid], "a failure is no answer: tried again"
    first = _record(db, Found(aid, NOW + timedelta(hours=1), 404, removed="not found (404)"))
    again = _record(db, Found(aid, NOW + timedelta(days=6), 404, removed="not found (404)"))
    assert first.is_update and not again.is_update
    with db.write() as s:
        claimed = rechecks.claim_unalerted(s, NOW)
    with db.write() as s:
        assert rechecks.claim_unalerted(s, NOW) == []
    assert [u.recheck_id for u in claimed] == [first.recheck_id]
    # Back online and then gone again: a new removal, news again.
    _record(db, Found(aid, NOW + timedelta(days=7), 200, title="Title a",
                      body="Amin Eleusinov was sentenced. The union appealed."))
    assert _record(db, Found(aid, NOW + timedelta(days=30), 410, removed="gone (410)")).is_update


def test_changes_make_versions_compared_against_the_latest(db: Database) -> None:
    aid = _article(db, "v", NOW - timedelta(days=2))
    same_but_spaced = _record(db, Found(aid, NOW, 200, title="Title  v",
                                        body="Amin Eleusinov was sentenced.\n The union appealed."))
    assert same_but_spaced.state is RecheckState.UNCHANGED
    v2 = _record(db, Found(aid, NOW, 200, title="Title v", body=EDITED))
    assert v2.state is RecheckState.CHANGED and v2.version == 2 and v2.is_update
    assert _record(db, Found(aid, NOW, 200, title="Title v", body=EDITED)).state is RecheckState.UNCHANGED
    v3 = _record(db, Found(aid, NOW, 200, title="Title v, updated", body="Amin Eleusinov was sentenced"))
    assert v3.version == 3
    with db.read() as s:
        vs = versions.of_article(s, aid)
        assert [v.version for v in vs] == [1, 2, 3]
        diff = versions.diff(vs[0], vs[1])
    lines = diff.splitlines()
    assert "-The union appealed." in lines
    assert "+The union will appeal on Monday." in lines and "+A second paragraph." in lines
    assert " Amin Eleusinov was sentenced." in lines  # the unchanged sentence is context
    assert lines[0].startswith("--- version 1") and lines[1].startswith("+++ version 2")


def test_an_article_deleted_meanwhile_is_skipped(db: Database) -> None:
    with db.write() as s:
        assert rechecks.record(s, Found(12345, NOW, 200, title="x", body="y")) is None


def test_any_updates_is_true_only_once_a_recheck_found_news(db: Database) -> None:
    """Batched digests skip the per-subscriber Updates query while this says there are none."""
    aid = _article(db, "news", NOW - timedelta(days=2))
    with db.read() as s:
        assert not rechecks.any_updates(s)
    _record(db, Found(aid, NOW, 200, title="Title news", body=BODY))  # unchanged: no news
    _record(db, Found(aid, NOW + timedelta(hours=1), 503, failed="http_503: HTTP 503"))
    with db.read() as s:
        assert not rechecks.any_updates(s)
    _record(db, Found(aid, NOW + timedelta(hours=2), 404, removed="not found (404)"))
    with db.read() as s:
        assert rechecks.any_updates(s)
