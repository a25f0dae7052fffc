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


def last_due(db: Database, since: datetime) -> dict[str, datetime]:
    """The latest digest time served since `since`, by subscriber id (absent: none since then).

    Bounded by time so that it reads a few days of runs, not every subscriber's history.
    """
    with db.read() as s:
        rows = s.execute(select(DigestRun.subscriber_id, func.max(DigestRun.due_at))
                         .where(DigestRun.due_at >= since).group_by(DigestRun.subscriber_id)).all()
    return {sub: due for sub, due in rows if due is not None}


def served(db: Database, subscriber_id: str, due_at: datetime) -> bool:
    """Whether a run served this subscriber's digest time due_at (or a later one)."""
    with db.read() as s:
        return s.scalar(select(DigestRun.id).where(DigestRun.subscriber_id == subscriber_id,
                                                   DigestRun.due_at >= due_at).limit(1)) is not None
