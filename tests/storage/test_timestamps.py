"""The capture_timestamp queue: queued once, claimed for a while, stamped or tried again later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import captures, timestamps
from storage.captures import NewCapture
from storage.database import Database
from storage.timestamps import StampState

T0 = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
HOLD = timedelta(minutes=10)


def _captures(db: Database, n: int) -> list[int]:
    with db.write() as s:
        return captures.add(s, [NewCapture(f"https://example.org/{i}", "a.warc.gz", 1000 * i, 1000,
                                           f"<urn:uuid:{i}>", "sha256:X", "sha256:Y", 10, T0, "127.0.0.1",
                                           200)
                                for i in range(n)])


def test_a_capture_is_queued_once_and_claimed_by_one_stamper(db: Database) -> None:
    c1, c2, c3, c4 = _captures(db, 4)
    with db.write() as s:
        assert timestamps.queue(s, [c3, c1, c2, c1], T0) == 3
        assert timestamps.queue(s, [c1, c2, c4], T0 + timedelta(seconds=1)) == 1
    with db.write() as s:
        assert timestamps.claim_due(s, T0, HOLD, limit=2) == [c1, c2]
    with db.write() as s:  # held: a second stamper takes the others only
        assert timestamps.claim_due(s, T0, HOLD, limit=10) == [c3, c4]
    with db.write() as s:
        assert timestamps.claim_due(s, T0 + timedelta(minutes=5), HOLD, limit=10) == []
    with db.write() as s:  # a stamper that died: its hold lapses and the rows are due again
        assert timestamps.claim_due(s, T0 + HOLD, HOLD, limit=10) == [c1, c2, c3, c4]


def test_a_failure_keeps_the_stamp_owed_until_a_token_arrives(db: Database) -> None:
    (c7,) = _captures(db, 1)
    with db.write() as s:
        timestamps.queue(s, [c7], T0)
        timestamps.claim_due(s, T0, HOLD, limit=10)
        timestamps.record_failure(s, c7, tsa_url="http://tsa/", error="the TSA answered HTTP 500",
                                  next_attempt_at=T0 + timedelta(minutes=2))
    with db.read() as s:
        row = timestamps.get(s, c7)
        counts = timestamps.counts(s)
    assert row is not None and row.state == StampState.PENDING and row.attempts == 1
    assert row.last_error == "the TSA answered HTTP 500" and row.token is None
    assert (counts.pending, counts.failing, counts.stamped) == (1, 1, 0)
    assert counts.last_error == "the TSA answered HTTP 500" and counts.oldest_pending == T0
    with db.write() as s:
        assert timestamps.claim_due(s, T0 + timedelta(minutes=1), HOLD, limit=10) == []
        assert timestamps.claim_due(s, T0 + timedelta(minutes=2), HOLD, limit=10) == [c7]
        timestamps.record_stamp(s, c7, token=b"\x30\x03\x02\x01\x00", imprint="ab" * 32,
                                tsa_url="http://tsa/", gen_time=T0 + timedelta(minutes=2), serial="42",
                                now=T0 + timedelta(minutes=2))
    with db.read() as s:
        row = timestamps.get(s, c7)
        counts = timestamps.counts(s)
    assert row is not None and row.state == StampState.STAMPED and row.attempts == 2
    assert row.token == b"\x30\x03\x02\x01\x00" and row.last_error is None and row.serial == "42"
    assert (counts.pending, counts.stamped) == (0, 1)
    with db.write() as s:  # stamped is final: a late failure from a second stamper changes nothing
        timestamps.record_failure(s, c7, tsa_url="x", error="late", next_attempt_at=T0)
        assert timestamps.claim_due(s, T0 + timedelta(days=1), HOLD, limit=10) == []
    with db.read() as s:
        row = timestamps.get(s, c7)
    assert row is not None and row.last_error is None and row.state == StampState.STAMPED
