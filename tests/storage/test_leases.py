from __future__ import annotations

import time
from datetime import timedelta

from storage import leases
from storage.database import Database


def test_one_holder_at_a_time_and_expiry_frees_it(db: Database) -> None:
    ttl = timedelta(seconds=1)
    assert leases.acquire(db, "scheduler", "a", ttl)
    assert not leases.acquire(db, "scheduler", "b", ttl)
    assert leases.acquire(db, "scheduler", "a", ttl), "the holder may re-acquire"
    time.sleep(1.2)
    assert leases.acquire(db, "scheduler", "b", ttl), "an expired lease is free"
    assert not leases.renew(db, "scheduler", "a", ttl), "the old holder lost it"


def test_release_lets_the_next_one_in(db: Database) -> None:
    ttl = timedelta(minutes=5)
    assert leases.acquire(db, "crawl:x", "a", ttl)
    leases.release(db, "crawl:x", "b")  # not the holder: no effect
    assert not leases.acquire(db, "crawl:x", "b", ttl)
    leases.release(db, "crawl:x", "a")
    assert leases.acquire(db, "crawl:x", "b", ttl)
    assert leases.acquire(db, "crawl:y", "a", ttl), "leases are per name"
