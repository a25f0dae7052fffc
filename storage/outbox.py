"""The delivery outbox as `unionwatch status` sees it."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.database import Database
from storage.models import Delivery


def state_counts(db: Database) -> dict[str, int]:
    """How many deliveries are in each state (pending, sent, retrying, failed)."""
    with db.read() as s:
        rows = s.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all()
    return {state: int(n) for state, n in rows}
