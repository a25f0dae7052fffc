"""A digest whose time passed while the service was down is sent once when it comes back."""

from __future__ import annotations

from datetime import UTC, datetime

from scheduler.config import Config
from scheduler.digesting import missed_digests
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


def digest_at(db: Database, sub: str, when: datetime) -> None:
    with db.write() as s:
        s.add(Digest(subscriber_id=sub, created_at=when, period_end=when))


def test_missed_only_when_the_last_digest_is_older_than_the_last_due_time(db: Database) -> None:
    # 08:00 in Almaty is 03:00 UTC. Last digest yesterday at 03:00 UTC.
    digest_at(db, "almaty", datetime(2026, 11, 24, 3, 0, 5, tzinfo=UTC))
    before_due = datetime(2026, 11, 25, 2, 59, tzinfo=UTC)
    after_due = datetime(2026, 11, 25, 3, 1, tzinfo=UTC)
    assert missed_digests(CFG, db, before_due) == []
    assert missed_digests(CFG, db, after_due) == ["almaty"]
    digest_at(db, "almaty", datetime(2026, 11, 25, 3, 2, tzinfo=UTC))
    assert missed_digests(CFG, db, datetime(2026, 11, 25, 9, 0, tzinfo=UTC)) == [], "caught up once"


def test_a_subscriber_without_any_digest_waits_for_the_first_due_time(db: Database) -> None:
    assert "new" not in missed_digests(CFG, db, datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
