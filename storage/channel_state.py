"""Channel state: channels that must not be used any more, and chats that moved elsewhere."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.database import dialect_insert
from storage.models import ChannelState


class ChannelStatus(NamedTuple):
    channel: str
    disabled: bool
    reason: str | None
    replaced_by: str | None  # a migrated Telegram chat's new key


def of(session: Session, channels: Iterable[str]) -> dict[str, ChannelStatus]:
    """The recorded state of each of these channels that has one."""
    keys = sorted(set(channels))
    if not keys:
        return {}
    rows = session.execute(
        select(ChannelState.channel, ChannelState.disabled, ChannelState.reason,
               ChannelState.replaced_by).where(ChannelState.channel.in_(keys))
    ).tuples()
    return {r[0]: ChannelStatus._make(r) for r in rows}


def _upsert(session: Session, channel: str, at: datetime, **values: Any) -> None:
    stmt = dialect_insert(session)(ChannelState).values(channel=channel, updated_at=at, **values)
    session.execute(
        stmt.on_conflict_do_update(index_elements=[ChannelState.channel],
                                   set_={"updated_at": at, **values})
    )


def disable(session: Session, channel: str, reason: str, at: datetime) -> None:
    _upsert(session, channel, at, disabled=True, reason=reason)


def redirect(session: Session, channel: str, to: str, at: datetime) -> None:
    """From now on, what was sent to `channel` goes to `to`."""
    _upsert(session, channel, at, replaced_by=to)


def moved_here(session: Session, channel: str) -> list[str]:
    """The channels whose deliveries now go to `channel` (a group that became this supergroup)."""
    return list(session.scalars(select(ChannelState.channel).where(ChannelState.replaced_by == channel)))
