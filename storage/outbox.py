"""The outbox: one Delivery row per digest and channel, rendered once, sent until done."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple, cast

from sqlalchemy import ColumnElement, Table, func, insert, or_, select, update
from sqlalchemy.orm import Session

from storage.database import dialect_insert
from storage.models import Delivery, Digest

_DELIVERY = cast(Table, Delivery.__table__)


class DeliveryState(StrEnum):
    PENDING = "pending"  # queued, never tried
    RETRYING = "retrying"  # tried; due again at next_attempt_at
    SENT = "sent"
    FAILED = "failed"  # for good
    CANCELLED = "cancelled"  # never sent: its channel opted out before it went


DUE_STATES = (DeliveryState.PENDING, DeliveryState.RETRYING)


@dataclass(frozen=True, slots=True)
class NewDelivery:
    digest_id: int
    channel: str  # "type:target"
    message_id: str
    subject: str
    body_text: str
    body_html: str
    parts: list[str] = field(default_factory=list)  # e.g. Telegram messages
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None

    def values(self) -> dict[str, Any]:
        return {
            "digest_id": self.digest_id, "channel": self.channel, "state": self.state.value,
            "message_id": self.message_id, "subject": self.subject, "body_text": self.body_text,
            "body_html": self.body_html, "parts": self.parts, "parts_sent": 0,
            "attempts": self.attempts, "last_error": self.last_error,
            "next_attempt_at": self.next_attempt_at,
        }


class Claim(NamedTuple):
    """A relay's hold on one row: the row and the attempt number its claim set.

    Every claim increments attempts, so the number is a fencing token: a relay whose claim
    lapsed and was taken by another finds it changed, and its renewals and marks do nothing.
    """

    id: int
    attempts: int


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A due row this run now holds, with what its digest says about it."""

    id: int
    digest_id: int
    subscriber_id: str
    digest_created_at: datetime
    channel: str
    message_id: str
    subject: str
    body_text: str
    body_html: str
    parts: list[str]
    parts_sent: int
    attempts: int
    items: int = 0  # the digest's item count, for the log

    @property
    def claim(self) -> Claim:
        return Claim(self.id, self.attempts)


class DeliveryLine(NamedTuple):
    """One delivery of a digest, as a run's summary lists it."""

    digest_id: int
    subscriber_id: str
    item_count: int
    channel: str
    state: DeliveryState
    last_error: str | None
    next_attempt_at: datetime | None = None


def add(session: Session, deliveries: Sequence[NewDelivery]) -> None:
    """Queue deliveries (in the digest's write transaction: all of a digest's rows or none)."""
    if deliveries:
        session.execute(insert(_DELIVERY), [d.values() for d in deliveries])


def add_unless_queued(session: Session, delivery: NewDelivery) -> None:
    """Queue a delivery unless the digest already has one on that channel."""
    session.execute(dialect_insert(session)(Delivery).values(**delivery.values()).on_conflict_do_nothing())


def _due(now: datetime) -> ColumnElement[bool]:
    return Delivery.state.in_(DUE_STATES) & (
        Delivery.next_attempt_at.is_(None) | (Delivery.next_attempt_at <= now)
    )


def claim_due(
    session: Session, channel_prefixes: Sequence[str], now: datetime, until: datetime, limit: int
) -> list[ClaimedDelivery]:
    """Claim up to `limit` rows due at `now` whose channel starts with one of the prefixes.

    A claim is attempts + 1 and next_attempt_at = until, made with a compare on the due
    condition, so of two relays at once each row goes to one; rows others hold stay theirs.
    """
    if not channel_prefixes:
        return []
    of_types = or_(*[Delivery.channel.startswith(p, autoescape=True) for p in channel_prefixes])
    ids = session.scalars(
        select(Delivery.id).where(_due(now), of_types).order_by(Delivery.id).limit(limit)
    ).all()
    if not ids:
        return []
    won = session.scalars(
        update(Delivery)
        .where(Delivery.id.in_(ids), _due(now))
        .values(next_attempt_at=until, attempts=Delivery.attempts + 1)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not won:
        return []
    rows = session.execute(
        select(Delivery.id, Delivery.digest_id, Digest.subscriber_id, Digest.created_at,
               Delivery.channel, Delivery.message_id, Delivery.subject, Delivery.body_text,
               Delivery.body_html, Delivery.parts, Delivery.parts_sent, Delivery.attempts,
               Digest.item_count)
        .join(Digest, Digest.id == Delivery.digest_id)
        .where(Delivery.id.in_(won))
        .order_by(Delivery.id)
    ).tuples()
    return [
        ClaimedDelivery(i, d, s, c, ch, m, subj, text, html, list(parts or []), sent, attempts, n)
        for i, d, s, c, ch, m, subj, text, html, parts, sent, attempts, n in rows
    ]


def _held(claim: Claim) -> ColumnElement[bool]:
    """The row is still ours: due-state, and no claim since ours (attempts unchanged)."""
    return (Delivery.id == claim.id) & (Delivery.attempts == claim.attempts) & Delivery.state.in_(
        DUE_STATES
    )


def _set(session: Session, claim: Claim, **values: Any) -> bool:
    """Compare-and-set on the claim: True if the row was still ours and is now updated."""
    won = session.execute(
        update(Delivery)
        .where(_held(claim))
        .values(**values)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ).first()
    return won is not None


def renew(session: Session, claim: Claim, until: datetime) -> bool:
    """Extend a claim to `until` if it is still held; False means another relay took the row."""
    return _set(session, claim, next_attempt_at=until)


def mark_sent(session: Session, claim: Claim, *, channel: str, parts_sent: int, at: datetime) -> bool:
    return _set(session, claim, state=DeliveryState.SENT.value, channel=channel,
                parts_sent=parts_sent, sent_at=at, next_attempt_at=None, last_error=None)


def mark_progress(
    session: Session, claim: Claim, *, channel: str, parts_sent: int, hold_until: datetime
) -> bool:
    """Parts sent so far (a crash resends at most the part in flight); renews the claim."""
    return _set(session, claim, channel=channel, parts_sent=parts_sent, next_attempt_at=hold_until)


def mark_failed(session: Session, claim: Claim, *, channel: str, parts_sent: int, error: str) -> bool:
    return _set(session, claim, state=DeliveryState.FAILED.value, channel=channel,
                parts_sent=parts_sent, next_attempt_at=None, last_error=error)


def mark_cancelled(session: Session, claim: Claim, *, reason: str) -> bool:
    """A claimed row whose channel opted out: never sent."""
    return _set(session, claim, state=DeliveryState.CANCELLED.value, next_attempt_at=None,
                last_error=reason)


def mark_retrying(
    session: Session, claim: Claim, *, channel: str, parts_sent: int, at: datetime, error: str
) -> bool:
    return _set(session, claim, state=DeliveryState.RETRYING.value, channel=channel,
                parts_sent=parts_sent, next_attempt_at=at, last_error=error)


def counts_by_state(session: Session) -> dict[str, int]:
    rows = session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).tuples()
    return {state: int(n) for state, n in rows}


def lines_of(session: Session, digest_ids: Sequence[int]) -> list[DeliveryLine]:
    """The deliveries of these digests, by digest and channel."""
    if not digest_ids:
        return []
    rows = session.execute(
        select(Digest.id, Digest.subscriber_id, Digest.item_count, Delivery.channel,
               Delivery.state, Delivery.last_error, Delivery.next_attempt_at)
        .join(Delivery, Delivery.digest_id == Digest.id)
        .where(Digest.id.in_(digest_ids))
        .order_by(Digest.id, Delivery.channel)
    ).tuples()
    return [DeliveryLine(d, s, n, ch, DeliveryState(st), err, nxt) for d, s, n, ch, st, err, nxt in rows]


class Unsettled(NamedTuple):
    """A delivery that is not through: retrying (and when next), or failed for good."""

    delivery_id: int
    subscriber_id: str
    channel: str
    state: DeliveryState
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime  # when its digest was made


def unsettled(session: Session, limit: int = 20) -> list[Unsettled]:
    """Retrying and failed deliveries, retrying first, then the newest failures."""
    rows = session.execute(
        select(Delivery.id, Digest.subscriber_id, Delivery.channel, Delivery.state, Delivery.attempts,
               Delivery.last_error, Delivery.next_attempt_at, Digest.created_at)
        .join(Digest, Delivery.digest_id == Digest.id)
        .where(Delivery.state.in_([DeliveryState.RETRYING.value, DeliveryState.FAILED.value]))
        .order_by((Delivery.state == DeliveryState.FAILED.value), Digest.created_at.desc(), Delivery.id)
        .limit(limit)
    ).tuples()
    return [Unsettled(i, sub, ch, DeliveryState(st), n, err, nxt, at)
            for i, sub, ch, st, n, err, nxt, at in rows]
