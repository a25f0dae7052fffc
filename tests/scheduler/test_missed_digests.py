"""A digest time that passed while the service was down, and was not served, is caught up once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler.config import Config
from scheduler.digesting import missed_digests
from storage import digest_runs
from storage.database import Database
from storage.models import Digest

CFG = Config.model_validate({
    "watchlists": [{"id": "w", "entities": [{"id": "e", "name": "Amin Eleusinov"}]}],
    "subscribers": [
        {"id": "almaty", "timezone": "Asia/Almaty", "digest": {"time": "08:00"}, "watchlists": ["w"],
         "channels": [{"type": "file", "path": "out"}]},
        {"id": "new", "timezone": "UTC", "digest": {"time": "06:00"}, "watchlists": ["w"],
         "channels": [{"type": "file", "path": "out"}]},
    ],
})
# 08:00 in Almaty is 03:00 UTC.
DUE = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
NEW_DUE = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


def test_a_time_that_fell_while_down_is_missed_also_by_a_subscriber_who_never_had_a_digest(
    db: Database
) -> None:
    down_since = DUE - timedelta(hours=5)  # the last heartbeat
    assert missed_digests(CFG, db, DUE - timedelta(minutes=1), down_since) == {}
    assert missed_digests(CFG, db, DUE + timedelta(minutes=1), down_since) == {"almaty": DUE}
    assert missed_digests(CFG, db, NEW_DUE + timedelta(hours=1), down_since) == {
        "almaty": DUE, "new": NEW_DUE}


def test_a_run_that_found_nothing_still_counts_as_served(db: Database) -> None:
    down_since = DUE - timedelta(days=2)
    digest_runs.record(db, "almaty", DUE, None, now=DUE + timedelta(seconds=3))  # nothing to send
    digest_runs.record(db, "new", NEW_DUE - timedelta(days=1), None)  # yesterday's only
    assert missed_digests(CFG, db, NEW_DUE + timedelta(hours=1), down_since) == {"new": NEW_DUE}


def test_times_that_fell_while_the_service_ran_are_not_caught_up(db: Database) -> None:
    # Up until after both due times: whatever happened then, a restart does not repeat it.
    assert missed_digests(CFG, db, NEW_DUE + timedelta(hours=1), NEW_DUE + timedelta(minutes=5)) == {}
    # The last digest row says nothing: a scheduled run is what serves a time.
    with db.write() as s:
        s.add(Digest(subscriber_id="almaty", created_at=DUE - timedelta(days=3),
                     period_end=DUE - timedelta(days=3)))
    assert missed_digests(CFG, db, DUE + timedelta(minutes=1), DUE - timedelta(minutes=1)) == {"almaty": DUE}


def test_without_any_heartbeat_the_service_never_ran_here_and_nothing_was_missed(db: Database) -> None:
    assert missed_digests(CFG, db, NEW_DUE + timedelta(hours=1), None) == {}
