"""The query modules by noun, on SQLite and PostgreSQL: small typed rows in, small typed rows out."""

from __future__ import annotations

import datetime as dt

from storage import articles, channel_state, digests, entity_state, mentions, outbox
from storage.articles import ArticleRecord, ArticleText, insert_articles
from storage.database import Database
from storage.mentions import Evidence, NewMention
from storage.outbox import DeliveryState, NewDelivery

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def _articles(db: Database, n: int, *, days_ago: float = 0) -> list[int]:
    when = NOW - dt.timedelta(days=days_ago)
    recs = [ArticleRecord("src" if i % 2 else "other", f"https://example.org/{days_ago}/{i}",
                          f"Title {i}", f"Body {i} Харькова.", published_at=when, fetched_at=when,
                          language="ru" if i % 2 else "kk")
            for i in range(n)]
    with db.write() as s:
        ids = insert_articles(s, recs)
    assert all(i is not None for i in ids)
    return [i for i in ids if i is not None]


def test_articles_for_the_matcher_and_for_search(db: Database) -> None:
    fresh = _articles(db, 3)
    old = _articles(db, 1, days_ago=30)
    with db.write() as s:
        batch = articles.claim_unmatched(s, 2)
        assert batch == [ArticleText(fresh[0], "Title 0", "Body 0 Харькова."),
                         ArticleText(fresh[1], "Title 1", "Body 1 Харькова.")]
        articles.mark_matched(s, [a.id for a in batch], NOW)
    with db.write() as s:
        assert [a.id for a in articles.claim_unmatched(s, 10)] == [fresh[2], *old]
        articles.mark_matched(s, [fresh[2], *old], NOW)
        assert articles.claim_unmatched(s, 10) == []
    with db.read() as s:
        week = NOW - dt.timedelta(days=7)
        assert [a.id for a in articles.matched_since(s, 0, week, 10)] == fresh
        assert [a.id for a in articles.matched_since(s, fresh[0], week, 1)] == [fresh[1]]
        assert articles.bodies(s, [fresh[1], 999]) == {fresh[1]: "Body 1 Харькова."}
        newest = articles.newest(s, since=week)
        assert [a.id for a in newest] == sorted(fresh, reverse=True)  # same date: newest id first
        assert {a.source_id for a in articles.newest(s, since=week, source_id="src")} == {"src"}
        assert [a.id for a in articles.newest(s, since=week, offset=1, limit=1)] == [fresh[1]]
        assert [a.id for a in articles.newest(s, until=week)] == old
        assert articles.count(s) == 4 and articles.count(s, until=week) == 1
        assert articles.count(s, since=week, source_id="src") == 1
        assert [a.id for a in articles.texts_within(s, after_id=fresh[0], since=week)] == fresh[1:]
        assert articles.count_by_language(s) == {"kk": 3, "ru": 1}


def test_the_archive_in_keyset_batches(db: Database) -> None:
    fresh = _articles(db, 3)
    old = _articles(db, 2, days_ago=30)
    with db.read() as s:
        first = articles.in_id_order(s, 0, 2)
        assert [a.id for a in first] == fresh[:2]
        assert first[0].body == "Body 0 Харькова." and first[0].url.startswith("https://example.org/")
        assert [a.id for a in articles.in_id_order(s, first[-1].id, 10)] == [fresh[2], *old]
        week = NOW - dt.timedelta(days=7)
        assert [a.id for a in articles.in_id_order(s, 0, 10, since=week)] == fresh
        assert articles.in_id_order(s, old[-1], 10) == []


def test_mentions_stored_once_and_read_as_evidence(db: Database) -> None:
    a, b = _articles(db, 2)
    found = [NewMention(a, "kharkova", "body", 7, 15, "Харькова", "surname", "why"),
             NewMention(a, "kharkova", "title", 0, 5, "Title", "name"),
             NewMention(b, "knprk", "body", 7, 15, "Харькова", "term")]
    with db.write() as s:
        mentions.add(s, found)
        mentions.add(s, found[:1])  # the same place again: ignored, as a second matcher's row
    with db.read() as s:
        ev = mentions.unassigned(s, "bureau", ["kharkova"])
        assert {(e.article_id, e.field) for e in ev} == {(a, "body"), (a, "title")}
        assert all(isinstance(e, Evidence) and e.url == "https://example.org/0/0" for e in ev)
        assert mentions.unassigned(s, "bureau", []) == []
        assert [e.article_id for e in mentions.in_articles(s, ["knprk", "kharkova"], [b])] == [b]
        assert [tuple(m) for m in mentions.spans(s, a, "kharkova")] == [("title", 0, 5), ("body", 7, 15)]
        assert mentions.articles_per_entity(s) == {"kharkova": 1, "knprk": 1}
    with db.write() as s:
        digest_id = digests.add(s, "bureau", NOW, 1, None)
        assert digests.add_items(s, digest_id, "bureau", [(a, ["kharkova"])]) in (1, -1)
    with db.read() as s:
        assert mentions.unassigned(s, "bureau", ["kharkova"]) == [], "assigned to the subscriber"
        assert len(mentions.unassigned(s, "someone-else", ["kharkova"])) == 2
    with db.write() as s:
        mentions.remove(s, [a, b], ["knprk"])
    with db.read() as s:
        assert mentions.articles_per_entity(s) == {"kharkova": 1}


def test_digests_assign_each_article_once_per_subscriber(db: Database) -> None:
    a, b, c = _articles(db, 3)
    with db.write() as s:
        first = digests.add(s, "bureau", NOW, 2, None)
        assert digests.add_items(s, first, "bureau", [(a, ["e1"]), (b, ["e1", "e2"])]) in (2, -1)
    later = NOW + dt.timedelta(days=1)
    with db.write() as s:
        assert digests.last_period_end(s, "bureau") == NOW
        assert digests.last_period_end(s, "nobody") is None
        second = digests.add(s, "bureau", later, 2, NOW)
        digests.add_items(s, second, "bureau", [(b, ["e1"]), (c, ["e1"])])
        assert digests.article_ids(s, second) == {c}, "b was the first digest's already"
        digests.set_item_count(s, second, 1)
    with db.write() as s:
        assert digests.last_period_end(s, "bureau") == later
        digests.remove(s, second)
    with db.read() as s:
        assert digests.last_period_end(s, "bureau") == NOW
        assert digests.article_ids(s, second) == set()


def _queue(db: Database, *channels: str) -> int:
    with db.write() as s:
        digest_id = digests.add(s, "bureau", NOW, 0, None)
        outbox.add(s, [NewDelivery(digest_id, ch, f"<m{i}@x>", "subject", "text", "<p>html</p>",
                                   ["one", "two"]) for i, ch in enumerate(channels)])
    return digest_id


def test_outbox_claims_due_rows_once_and_records_outcomes(db: Database) -> None:
    digest_id = _queue(db, "email:a@example.org", "telegram:1", "file:/tmp/x")
    hold = NOW + dt.timedelta(minutes=10)
    with db.write() as s:
        claimed = outbox.claim_due(s, ["email:", "telegram:"], NOW, hold, 10)
        assert [c.channel for c in claimed] == ["email:a@example.org", "telegram:1"]
        assert all(c.subscriber_id == "bureau" and c.attempts == 1 and c.digest_created_at == NOW
                   for c in claimed)
        assert claimed[1].parts == ["one", "two"] and claimed[1].parts_sent == 0
        assert outbox.claim_due(s, ["email:", "telegram:"], NOW, hold, 10) == [], "held"
        assert outbox.claim_due(s, [], NOW, hold, 10) == []
    email, telegram = claimed
    with db.write() as s:
        assert outbox.mark_sent(s, email.claim, channel=email.channel, parts_sent=1, at=NOW)
        assert outbox.mark_progress(s, telegram.claim, channel="telegram:-1002", parts_sent=1,
                                    hold_until=hold)
        assert outbox.renew(s, telegram.claim, hold + dt.timedelta(minutes=5))
        assert not outbox.renew(s, email.claim, hold), "a sent row is nobody's claim"
    with db.write() as s:
        assert outbox.claim_due(s, ["telegram:"], hold, hold, 10) == [], "the hold was extended"
        [again] = outbox.claim_due(s, ["telegram:"], hold + dt.timedelta(minutes=5), hold, 10)
        assert again.channel == "telegram:-1002" and again.parts_sent == 1 and again.attempts == 2
        # The first claim is void now: its holder can neither renew nor record an outcome.
        assert not outbox.renew(s, telegram.claim, hold + dt.timedelta(hours=1))
        assert not outbox.mark_sent(s, telegram.claim, channel=telegram.channel, parts_sent=2, at=NOW)
        assert outbox.mark_retrying(s, again.claim, channel=again.channel, parts_sent=1, at=hold,
                                    error="429")
        outbox.add_unless_queued(s, NewDelivery(digest_id, "email:a@example.org", "<m0@x>", "", "", ""))
        outbox.add_unless_queued(s, NewDelivery(digest_id, "email:b@example.org", "<m0@x>", "", "", "",
                                                state=DeliveryState.FAILED, attempts=1, last_error="550"))
    with db.read() as s:
        assert outbox.counts_by_state(s) == {"sent": 1, "retrying": 1, "pending": 1, "failed": 1}
        lines = outbox.lines_of(s, [digest_id])
        assert [(line.channel, line.state) for line in lines] == [
            ("email:a@example.org", DeliveryState.SENT), ("email:b@example.org", DeliveryState.FAILED),
            ("file:/tmp/x", DeliveryState.PENDING), ("telegram:-1002", DeliveryState.RETRYING)]
        assert lines[3].last_error == "429" and outbox.lines_of(s, []) == []
    with db.write() as s:
        [failing] = outbox.claim_due(s, ["file:"], NOW, hold, 10)
        outbox.mark_failed(s, failing.claim, channel=failing.channel, parts_sent=0, error="disk full")
    with db.read() as s:
        assert outbox.counts_by_state(s)["failed"] == 2


def test_channel_and_entity_state(db: Database) -> None:
    with db.write() as s:
        channel_state.disable(s, "telegram:1", "blocked", NOW)
        channel_state.redirect(s, "telegram:2", "telegram:-1002", NOW)
        channel_state.redirect(s, "telegram:2", "telegram:-1003", NOW)  # an upsert
        entity_state.record(s, "kharkova", "f1", NOW)
        entity_state.record(s, "kharkova", "f2", NOW)
        entity_state.record(s, "knprk", "f3", NOW)
    with db.write() as s:
        states = channel_state.of(s, ["telegram:1", "telegram:2", "telegram:3"])
        assert set(states) == {"telegram:1", "telegram:2"}
        assert states["telegram:1"].disabled and states["telegram:1"].reason == "blocked"
        assert not states["telegram:2"].disabled and states["telegram:2"].replaced_by == "telegram:-1003"
        assert channel_state.of(s, []) == {}
        assert entity_state.fingerprints(s) == {"kharkova": "f2", "knprk": "f3"}
        entity_state.forget(s, ["knprk"])
        entity_state.forget(s, [])
    with db.read() as s:
        assert entity_state.fingerprints(s) == {"kharkova": "f2"}
