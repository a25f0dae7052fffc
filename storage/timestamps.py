"""Capture timestamps: the RFC 3161 token of each matched capture, or when to ask for it again.

A capture is queued (pending) once; the stamp job claims due rows for a while, asks the TSA
outside any transaction, then records the token or the failed attempt. A failure only moves
`next_attempt_at`: the capture and its queue row stay until a token arrives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import exists, func, literal, or_, select, update
from sqlalchemy.orm import Session

from storage.database import dialect_insert
from storage.models import Capture, CaptureTimestamp, Mention


class StampState(StrEnum):
    PENDING = "pending"  # owed: never tried, or tried and due again at next_attempt_at
    STAMPED = "stamped"


@dataclass(frozen=True, slots=True)
class TimestampRow:
    capture_id: int
    state: str
    imprint: str | None
    tsa_url: str | None
    token: bytes | None
    gen_time: datetime | None
    serial: str | None
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    queued_at: datetime
    stamped_at: datetime | None


_COLUMNS = (CaptureTimestamp.capture_id, CaptureTimestamp.state, CaptureTimestamp.imprint,
            CaptureTimestamp.tsa_url, CaptureTimestamp.token, CaptureTimestamp.gen_time,
            CaptureTimestamp.serial, CaptureTimestamp.attempts, CaptureTimestamp.next_attempt_at,
            CaptureTimestamp.last_error, CaptureTimestamp.queued_at, CaptureTimestamp.stamped_at)


def queue(session: Session, capture_ids: Sequence[int], now: datetime) -> int:
    """Owe a stamp to each capture that has no row yet; how many were queued."""
    if not capture_ids:
        return 0
    stmt = dialect_insert(session)(CaptureTimestamp).values(
        [{"capture_id": i, "state": StampState.PENDING.value, "attempts": 0, "queued_at": now}
         for i in dict.fromkeys(capture_ids)])
    stmt = stmt.on_conflict_do_nothing(index_elements=["capture_id"]).returning(CaptureTimestamp.capture_id)
    return len(session.execute(stmt).all())


def queue_matched(session: Session, now: datetime) -> int:
    """Owe a stamp to every capture of a matched article (one that names a watched entity)
    that has none yet: crawl captures and re-check captures alike; how many were queued."""
    owed = (select(Capture.id, literal(StampState.PENDING.value), literal(0),
                   literal(now, CaptureTimestamp.queued_at.type))
            .where(Capture.article_id.is_not(None),
                   exists().where(Mention.article_id == Capture.article_id),
                   ~exists().where(CaptureTimestamp.capture_id == Capture.id)))
    stmt = (dialect_insert(session)(CaptureTimestamp)
            .from_select(["capture_id", "state", "attempts", "queued_at"], owed)
            .on_conflict_do_nothing(index_elements=["capture_id"]).returning(CaptureTimestamp.capture_id))
    return len(session.execute(stmt).all())


def claim_due(session: Session, now: datetime, hold: timedelta, limit: int) -> list[int]:
    """Pending captures due now, oldest first, held for `hold` so another stamper skips them."""
    due = or_(CaptureTimestamp.next_attempt_at.is_(None), CaptureTimestamp.next_attempt_at <= now)
    ids = list(session.scalars(
        select(CaptureTimestamp.capture_id)
        .where(CaptureTimestamp.state == StampState.PENDING.value, due)
        .order_by(CaptureTimestamp.queued_at, CaptureTimestamp.capture_id).limit(limit)))
    if ids:
        session.execute(update(CaptureTimestamp).where(CaptureTimestamp.capture_id.in_(ids), due)
                        .values(next_attempt_at=now + hold).execution_options(synchronize_session=False))
    return ids


def record_stamp(session: Session, capture_id: int, *, token: bytes, imprint: str, tsa_url: str,
                 gen_time: datetime, serial: str, now: datetime) -> None:
    session.execute(update(CaptureTimestamp).where(CaptureTimestamp.capture_id == capture_id).values(
        state=StampState.STAMPED.value, token=token, imprint=imprint, tsa_url=tsa_url, gen_time=gen_time,
        serial=serial, attempts=CaptureTimestamp.attempts + 1, next_attempt_at=None, last_error=None,
        stamped_at=now).execution_options(synchronize_session=False))


def record_failure(session: Session, capture_id: int, *, tsa_url: str, error: str,
                   next_attempt_at: datetime) -> None:
    """Count a failed attempt; the stamp stays owed and is tried again at `next_attempt_at`."""
    session.execute(update(CaptureTimestamp).where(
        CaptureTimestamp.capture_id == capture_id, CaptureTimestamp.state == StampState.PENDING.value,
    ).values(tsa_url=tsa_url, last_error=error, attempts=CaptureTimestamp.attempts + 1,
             next_attempt_at=next_attempt_at).execution_options(synchronize_session=False))


def of(session: Session, capture_ids: Sequence[int]) -> dict[int, TimestampRow]:
    if not capture_ids:
        return {}
    rows = session.execute(select(*_COLUMNS).where(CaptureTimestamp.capture_id.in_(list(capture_ids))))
    return {r[0]: TimestampRow(*r) for r in rows}


def get(session: Session, capture_id: int) -> TimestampRow | None:
    return of(session, [capture_id]).get(capture_id)


@dataclass(frozen=True, slots=True)
class StampCounts:
    stamped: int
    pending: int
    failing: int  # pending after at least one failed attempt
    oldest_pending: datetime | None
    last_error: str | None  # of the most recently failed pending row


def counts(session: Session) -> StampCounts:
    by_state = dict(session.execute(select(CaptureTimestamp.state, func.count())
                                    .group_by(CaptureTimestamp.state)).tuples().all())
    pending = CaptureTimestamp.state == StampState.PENDING.value
    failing = int(session.scalar(select(func.count()).where(pending, CaptureTimestamp.attempts > 0)) or 0)
    oldest = session.scalar(select(func.min(CaptureTimestamp.queued_at)).where(pending))
    last_error = session.scalar(select(CaptureTimestamp.last_error)
                                .where(pending, CaptureTimestamp.attempts > 0)
                                .order_by(CaptureTimestamp.next_attempt_at.desc()).limit(1))
    return StampCounts(int(by_state.get(StampState.STAMPED.value, 0)),
                       int(by_state.get(StampState.PENDING.value, 0)), failing, oldest, last_error)
