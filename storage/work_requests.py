"""The web's work queue: the web asks, the service does (crawl a source now, re-send a digest)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import Delivery, WorkRequest
from storage.outbox import DeliveryState
from storage.types import utcnow


class WorkKind(StrEnum):
    CRAWL = "crawl"  # target: a source id
    RESEND = "resend"  # target: a digest id


class Request(NamedTuple):
    id: int
    kind: WorkKind
    target: str
    requested_by: str
    requested_at: datetime
    done_at: datetime | None
    result: str | None


def _row(r: WorkRequest) -> Request:
    return Request(r.id, WorkKind(r.kind), r.target, r.requested_by, r.requested_at, r.done_at, r.result)


def ask(session: Session, kind: WorkKind, target: str, requested_by: str) -> int:
    """Queue a request; one of the same kind and target still waiting is not queued twice."""
    waiting = session.scalar(
        select(WorkRequest.id).where(
            WorkRequest.kind == kind.value, WorkRequest.target == target, WorkRequest.done_at.is_(None)
        )
    )
    if waiting is not None:
        return int(waiting)
    row = WorkRequest(kind=kind.value, target=target, requested_by=requested_by, requested_at=utcnow())
    session.add(row)
    session.flush()
    return int(row.id)


def waiting(session: Session, limit: int = 50) -> list[Request]:
    """Requests not done yet, oldest first."""
    rows = session.scalars(
        select(WorkRequest).where(WorkRequest.done_at.is_(None)).order_by(WorkRequest.id).limit(limit)
    )
    return [_row(r) for r in rows]


def recent(session: Session, limit: int = 20) -> list[Request]:
    rows = session.scalars(select(WorkRequest).order_by(WorkRequest.id.desc()).limit(limit))
    return [_row(r) for r in rows]


def finish(session: Session, request_id: int, result: str, at: datetime | None = None) -> bool:
    """Mark a request done; False if another process finished it first."""
    res = session.execute(
        update(WorkRequest)
        .where(WorkRequest.id == request_id, WorkRequest.done_at.is_(None))
        .values(done_at=at or utcnow(), result=result)
    )
    return bool(res.rowcount)  # type: ignore[attr-defined]


def requeue_digest(session: Session, digest_id: int, at: datetime | None = None) -> int:
    """Send a digest's deliveries again: back to pending, due now. Returns how many."""
    res = session.execute(
        update(Delivery)
        .where(Delivery.digest_id == digest_id)
        .values(
            state=DeliveryState.PENDING.value,
            attempts=0,
            parts_sent=0,
            next_attempt_at=at or utcnow(),
            last_error=None,
            sent_at=None,
        )
    )
    return int(res.rowcount or 0)  # type: ignore[attr-defined]
