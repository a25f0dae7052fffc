"""Heartbeats: when a named service (the scheduler) was last seen running.

After a crash or a stop, the last beat is where the service's downtime began.
"""

from __future__ import annotations

from datetime import datetime

from storage.database import Database, dialect_insert
from storage.models import Heartbeat
from storage.types import utcnow


def beat(db: Database, name: str, owner: str, *, now: datetime | None = None) -> None:
    """Record that `owner` runs `name` now."""
    at = now or utcnow()
    with db.write() as s:
        stmt = dialect_insert(s)(Heartbeat).values(name=name, owner=owner, beat_at=at)
        s.execute(stmt.on_conflict_do_update(index_elements=[Heartbeat.name],
                                             set_={"owner": owner, "beat_at": at}))


def last(db: Database, name: str) -> datetime | None:
    """When `name` was last seen running (None: never, on this database)."""
    with db.read() as s:
        row = s.get(Heartbeat, name)
        return row.beat_at if row is not None else None
