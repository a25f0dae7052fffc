"""Opt-outs: a subscriber's channel that asked for nothing more, and what that cancels.

config.yaml lists who may subscribe; this table records who opted out (Telegram /stop, the
web's one-click unsubscribe, an email request, an admin), so reloading the config never
undoes it. A channel is named by the outbox's key, "type:target" ("telegram:123",
"email:a@example.org", "webhook:HOOK_URL"): the same string Delivery.channel holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.database import dialect_insert
from storage.models import ChannelState, Delivery, Digest, OptOut
from storage.outbox import DUE_STATES, DeliveryState
from storage.types import utcnow

VIA = ("telegram", "web", "email", "cli")


class OptOutRecord(NamedTuple):
    subscriber_id: str
    channel: str
    at: datetime
    via: str
    note: str | None


def opt_out(
    session: Session, subscriber_id: str, channel_key: str, via: str, note: str | None = None,
    *, at: datetime | None = None,
) -> bool:
    """Record that this subscriber's channel wants nothing more, and cancel what is queued for it.

    True if it was opted in until now; False if it had opted out already (the first record
    stays). Either way nothing pending or retrying for it is sent: those deliveries become
    'cancelled'. Runs in the caller's write transaction.
    """
    if via not in VIA:
        raise ValueError(f"via must be one of {', '.join(VIA)} (got {via!r})")
    if ":" not in channel_key:
        raise ValueError(f"channel key {channel_key!r} is not 'type:target'")
    at = at or utcnow()
    stmt = dialect_insert(session)(OptOut).values(
        subscriber_id=subscriber_id, channel=channel_key, at=at, via=via, note=note
    ).on_conflict_do_nothing().returning(OptOut.channel)
    new = session.execute(stmt).first() is not None
    cancel_pending(session, subscriber_id, channel_key, f"cancelled: the channel opted out ({via})")
    return new


def _targets(session: Session, channel_key: str) -> list[str]:
    """The key and where its deliveries go now (a Telegram group that became a supergroup)."""
    keys = [channel_key]
    moved = session.scalar(select(ChannelState.replaced_by).where(ChannelState.channel == channel_key))
    if moved and moved not in keys:
        keys.append(moved)
    return keys


def cancel_pending(session: Session, subscriber_id: str, channel_key: str, reason: str) -> int:
    """Mark this subscriber's due deliveries on the channel cancelled; how many there were."""
    digests = select(Digest.id).where(Digest.subscriber_id == subscriber_id)
    res = session.execute(
        update(Delivery)
        .where(Delivery.state.in_(DUE_STATES), Delivery.channel.in_(_targets(session, channel_key)),
               Delivery.digest_id.in_(digests))
        .values(state=DeliveryState.CANCELLED.value, next_attempt_at=None, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(res.rowcount)  # type: ignore[attr-defined]


def resubscribe(session: Session, subscriber_id: str, channel_key: str | None = None) -> list[str]:
    """Undo opt-outs of this subscriber (one channel, or all); the channel keys re-enabled."""
    cond = OptOut.subscriber_id == subscriber_id
    if channel_key is not None:
        cond = cond & (OptOut.channel == channel_key)
    keys = list(session.scalars(select(OptOut.channel).where(cond).order_by(OptOut.channel)))
    if keys:
        session.execute(delete(OptOut).where(cond))
    return keys


def opted_out(session: Session, subscriber_ids: Iterable[str]) -> set[tuple[str, str]]:
    """(subscriber id, channel key) of these subscribers' opted-out channels."""
    ids = sorted(set(subscriber_ids))
    if not ids:
        return set()
    rows = session.execute(
        select(OptOut.subscriber_id, OptOut.channel).where(OptOut.subscriber_id.in_(ids))
    ).tuples()
    return {(s, c) for s, c in rows}


def every(session: Session) -> list[OptOutRecord]:
    """All opt-outs, newest first (for `unionwatch status` and the admin page)."""
    rows = session.execute(
        select(OptOut.subscriber_id, OptOut.channel, OptOut.at, OptOut.via, OptOut.note)
        .order_by(OptOut.at.desc(), OptOut.subscriber_id, OptOut.channel)
    ).tuples()
    return [OptOutRecord(*r) for r in rows]
