"""Digest runs: each scheduled digest time a subscriber was served, whether or not it sent anything."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from storage.database import Database
from storage.models import DigestRun
from storage.types import utcnow


def record(db: Database, subscriber_id: str, due_at: datetime, digest_id: int | None, *,
           now: datetime | None = None) -> None:
    """The run for the digest time due_at happened (digest_id None: nothing to send)."""
    with db.write() as s:
        s.add(DigestRun(subscriber_id=subscriber_id, due_at=due_at, ran_at=now or utcnow(),
                        digest_id=digest_id))


def last_due(db: Database) -> dict[str, datetime]:
    """The latest digest time served, by subscriber id (subscribers never served are absent)."""
    with db.read() as s:
        rows = s.execute(select(DigestRun.subscriber_id, func.max(DigestRun.due_at))
                         .group_by(DigestRun.subscriber_id)).all()
    return {sub: due for sub, due in rows if due is not None}
