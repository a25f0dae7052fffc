"""Named leases in the database: a lock that expires if its holder dies.

Every function takes `now` (default: the wall clock), and `HeldLease` a `clock`, so that
expiry can be tested without waiting for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType

from sqlalchemy import delete, update

from storage.database import Database, DatabaseError, dialect_insert
from storage.models import Lease
from storage.types import Clock, utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a lease, and until when."""

    owner: str
    expires_at: datetime


class LeaseHeld(Exception):
    """The lease is held by someone else (`holder`, or None if it was released meanwhile)."""

    def __init__(self, name: str, holder: str | None) -> None:
        super().__init__(f"lease {name} is held by {holder or 'another process'}")
        self.name = name
        self.holder = holder


def acquire(db: Database, name: str, owner: str, ttl: timedelta, *, now: datetime | None = None) -> bool:
    """Take the lease if it is free, expired or already ours; True if we hold it now."""
    now = now or utcnow()
    with db.write() as s:
        stmt = dialect_insert(s)(Lease).values(name=name, owner=owner, expires_at=now + ttl)
        stmt = stmt.on_conflict_do_update(
            index_elements=[Lease.name],
            set_={"owner": owner, "expires_at": now + ttl},
            where=(Lease.expires_at < now) | (Lease.owner == owner),
        ).returning(Lease.owner)
        return bool(s.execute(stmt).scalar_one_or_none() == owner)


def renew(db: Database, name: str, owner: str, ttl: timedelta, *, now: datetime | None = None) -> bool:
    """Extend our lease by ttl from now; False if it is not ours any more."""
    with db.write() as s:
        res = s.execute(
            update(Lease)
            .where(Lease.name == name, Lease.owner == owner)
            .values(expires_at=(now or utcnow()) + ttl)
        )
        return bool(res.rowcount)  # type: ignore[attr-defined]


def release(db: Database, name: str, owner: str) -> None:
    with db.write() as s:
        s.execute(delete(Lease).where(Lease.name == name, Lease.owner == owner))


def holder(db: Database, name: str, *, now: datetime | None = None) -> Holder | None:
    """Who holds the lease now (None if free or expired): for messages that name the owner."""
    with db.read() as s:
        lease = s.get(Lease, name)
        if lease is None or lease.expires_at < (now or utcnow()):
            return None
        return Holder(lease.owner, lease.expires_at)


def take_over(db: Database, name: str, old_owner: str, new_owner: str, ttl: timedelta, *,
              now: datetime | None = None) -> bool:
    """Move a lease from a holder known to be dead to us (compare-and-swap on the owner)."""
    with db.write() as s:
        res = s.execute(
            update(Lease)
            .where(Lease.name == name, Lease.owner == old_owner)
            .values(owner=new_owner, expires_at=(now or utcnow()) + ttl)
        )
        return bool(res.rowcount)  # type: ignore[attr-defined]


class HeldLease:
    """A lease we hold: `renew()` it while the work goes on; leaving the with-block releases it."""

    def __init__(self, db: Database, name: str, owner: str, ttl: timedelta, *, clock: Clock = utcnow,
                 taken_from: str | None = None) -> None:
        self.db, self.name, self.owner, self.ttl, self.clock = db, name, owner, ttl, clock
        self.taken_from = taken_from  # the dead holder it was taken over from, if any

    def renew(self) -> bool:
        """Extend the lease; False if another process holds it now (ours had expired)."""
        return renew(self.db, self.name, self.owner, self.ttl, now=self.clock())

    def release(self) -> None:
        release(self.db, self.name, self.owner)

    def __enter__(self) -> HeldLease:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.release()
        except DatabaseError as db_exc:  # an outage: expected, and the lease expires on its own
            logger.warning("could not release lease %s (it will expire): %s", self.name,
                           str(db_exc).splitlines()[0])
        except Exception:  # a bug of ours; the work's own error still matters more
            logger.exception("releasing lease %s (it will expire)", self.name)


def take(db: Database, name: str, owner: str, ttl: timedelta, *, clock: Clock = utcnow,
         is_dead: Callable[[str], bool] | None = None) -> HeldLease:
    """Take the lease, or take it over from a holder that `is_dead` says has died.

    Raises LeaseHeld naming the holder when someone alive has it.
    """
    if acquire(db, name, owner, ttl, now=clock()):
        return HeldLease(db, name, owner, ttl, clock=clock)
    current = holder(db, name, now=clock())
    if current is not None and is_dead is not None and is_dead(current.owner) and take_over(
        db, name, current.owner, owner, ttl, now=clock()
    ):
        return HeldLease(db, name, owner, ttl, clock=clock, taken_from=current.owner)
    current = holder(db, name, now=clock())
    raise LeaseHeld(name, current.owner if current else None)
