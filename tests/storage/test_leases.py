from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import leases
from storage.database import Database

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def test_one_holder_at_a_time_and_expiry_frees_it(db: Database) -> None:
    ttl = timedelta(seconds=1)
    assert leases.acquire(db, "scheduler", "a", ttl, now=T0)
    assert not leases.acquire(db, "scheduler", "b", ttl, now=T0)
    assert leases.acquire(db, "scheduler", "a", ttl, now=T0), "the holder may re-acquire"
    later = T0 + timedelta(seconds=1.2)
    assert leases.acquire(db, "scheduler", "b", ttl, now=later), "an expired lease is free"
    assert not leases.renew(db, "scheduler", "a", ttl, now=later), "the old holder lost it"


def test_release_lets_the_next_one_in(db: Database) -> None:
    ttl = timedelta(minutes=5)
    assert leases.acquire(db, "crawl:x", "a", ttl)
    leases.release(db, "crawl:x", "b")  # not the holder: no effect
    assert not leases.acquire(db, "crawl:x", "b", ttl)
    leases.release(db, "crawl:x", "a")
    assert leases.acquire(db, "crawl:x", "b", ttl)
    assert leases.acquire(db, "crawl:y", "a", ttl), "leases are per name"


def test_holder_names_the_owner_until_expiry(db: Database) -> None:
    ttl = timedelta(minutes=5)
    assert leases.holder(db, "crawl:x", now=T0) is None
    assert leases.acquire(db, "crawl:x", "host:1:a", ttl, now=T0)
    assert leases.holder(db, "crawl:x", now=T0) == leases.Holder("host:1:a", T0 + ttl)
    assert leases.holder(db, "crawl:x", now=T0 + ttl + timedelta(seconds=1)) is None


def test_held_lease_renews_on_the_injected_clock_and_is_released_on_exit(db: Database) -> None:
    clock, ttl = Clock(), timedelta(minutes=5)
    with leases.take(db, "crawl:s", "a", ttl, clock=clock) as held:
        assert held.taken_from is None
        with pytest.raises(leases.LeaseHeld) as refused:
            leases.take(db, "crawl:s", "b", ttl, clock=clock)
        assert refused.value.holder == "a" and "crawl:s" in str(refused.value)
        clock.advance(minutes=4)
        assert held.renew()
        clock.advance(minutes=4)  # 8 min after taking it: alive only because it was renewed
        assert leases.holder(db, "crawl:s", now=clock()) == leases.Holder("a", T0 + timedelta(minutes=9))
        with pytest.raises(leases.LeaseHeld):
            leases.take(db, "crawl:s", "b", ttl, clock=clock)
    assert leases.holder(db, "crawl:s", now=clock()) is None, "leaving the block released it"
    with leases.take(db, "crawl:s", "b", ttl, clock=clock):
        pass


def test_an_expired_lease_is_lost_and_renew_says_so(db: Database) -> None:
    clock, ttl = Clock(), timedelta(minutes=5)
    with leases.take(db, "crawl:s", "a", ttl, clock=clock) as held:
        clock.advance(minutes=6)
        with leases.take(db, "crawl:s", "b", ttl, clock=clock):
            assert not held.renew(), "b holds it now"
    # a's exit released nothing of b's; b's exit released b's lease
    assert leases.holder(db, "crawl:s", now=clock()) is None


def test_a_dead_holder_is_taken_over_and_a_live_one_is_not(db: Database) -> None:
    clock, ttl = Clock(), timedelta(minutes=5)
    assert leases.acquire(db, "crawl:s", "dead", ttl, now=clock())
    with pytest.raises(leases.LeaseHeld):
        leases.take(db, "crawl:s", "b", ttl, clock=clock, is_dead=lambda owner: False)
    with leases.take(db, "crawl:s", "b", ttl, clock=clock, is_dead=lambda owner: owner == "dead") as held:
        assert held.taken_from == "dead"
        assert leases.holder(db, "crawl:s", now=clock()) == leases.Holder("b", T0 + ttl)


def test_a_lease_that_cannot_be_released_in_an_outage_is_one_warning(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A job that meets an outage leaves its lease to expire; the daemon's log says so in
    one line, not with a traceback (an outage is expected; test_service_faults reads the log)."""
    from storage.database import Unavailable

    held = leases.take(db, "recheck", "a", timedelta(minutes=5))

    def down(*args: object) -> None:
        raise Unavailable(db.url, "connection failed: server closed the connection unexpectedly")

    monkeypatch.setattr(leases, "release", down)
    with caplog.at_level("WARNING", logger="storage.leases"), held:
        pass
    [record] = [r for r in caplog.records if r.name == "storage.leases"]
    assert record.levelname == "WARNING" and record.exc_info is None
    assert "could not release lease recheck (it will expire)" in record.getMessage()
