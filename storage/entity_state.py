"""Entity state: each watched entity's definition as last matched, to notice config changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.database import dialect_insert
from storage.models import EntityState


def fingerprints(session: Session) -> dict[str, str]:
    """Entity id -> the fingerprint of its definition when it was last matched."""
    rows = session.execute(select(EntityState.entity_id, EntityState.fingerprint)).tuples()
    return dict(rows.all())


def record(session: Session, entity_id: str, fingerprint: str, at: datetime) -> None:
    # An upsert: two processes syncing the same new entity must not collide.
    session.execute(
        dialect_insert(session)(EntityState)
        .values(entity_id=entity_id, fingerprint=fingerprint, updated_at=at)
        .on_conflict_do_update(index_elements=[EntityState.entity_id],
                               set_={"fingerprint": fingerprint, "updated_at": at})
    )


def forget(session: Session, entity_ids: Sequence[str]) -> None:
    if entity_ids:
        session.execute(delete(EntityState).where(EntityState.entity_id.in_(entity_ids)))
