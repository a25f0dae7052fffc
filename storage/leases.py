"""Named leases in the database: a lock that expires if its holder dies."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, update

from storage.articles import dialect_insert
from storage.database import Database
from storage.models import Lease
from storage.types import utcnow


def acquire(db: Database, name: str, owner: str, ttl: timedelta) -> bool:
    """Take the lease if it is free, expired or already ours; True if we hold it now."""
    now = utcnow()
    with db.write() as s:
        stmt = dialect_insert(s)(Lease).values(name=name, owner=owner, expires_at=now + ttl)
        stmt = stmt.on_conflict_do_update(
            index_elements=[Lease.name],
            set_={"owner": owner, "expires_at": now + ttl},
            where=(Lease.expires_at < now) | (Lease.owner == owner),
        ).returning(Lease.owner)
        return s.execute(stmt).scalar_one_or_none() == owner


def renew(db: Database, name: str, owner: str, ttl: timedelta) -> bool:
    with db.write() as s:
        res = s.execute(
            update(Lease)
            .where(Lease.name == name, Lease.owner == owner)
            .values(expires_at=utcnow() + ttl)
        )
        return bool(res.rowcount)  # type: ignore[attr-defined]


def release(db: Database, name: str, owner: str) -> None:
    with db.write() as s:
        s.execute(delete(Lease).where(Lease.name == name, Lease.owner == owner))


def holder(db: Database, name: str) -> str | None:
    """Who holds the lease now (None if free or expired): for messages that name the owner."""
    with db.read() as s:
        lease = s.get(Lease, name)
        if lease is None or lease.expires_at < utcnow():
            return None
        return lease.owner


def take_over(db: Database, name: str, old_owner: str, new_owner: str, ttl: timedelta) -> bool:
    """Move a lease from a holder known to be dead to us (compare-and-swap on the owner)."""
    with db.write() as s:
        res = s.execute(
            update(Lease)
            .where(Lease.name == name, Lease.owner == old_owner)
            .values(owner=new_owner, expires_at=utcnow() + ttl)
        )
        return bool(res.rowcount)  # type: ignore[attr-defined]
