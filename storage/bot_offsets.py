"""Where a Telegram bot's getUpdates poller is: the offset after the last update it handled.

Kept in the database, so that a restarted (or another) poller neither handles an update twice
nor skips one.
"""

from __future__ import annotations

from datetime import datetime

from storage.database import Database, dialect_insert
from storage.models import BotOffset
from storage.types import utcnow


def get(db: Database, bot: str) -> int | None:
    """The offset to ask getUpdates for (None: never polled on this database)."""
    with db.read() as s:
        row = s.get(BotOffset, bot)
        return row.next_offset if row is not None else None


def put(db: Database, bot: str, next_offset: int, *, now: datetime | None = None) -> None:
    """Updates below next_offset are handled; never moves the offset back."""
    at = now or utcnow()
    with db.write() as s:
        stmt = dialect_insert(s)(BotOffset).values(bot=bot, next_offset=next_offset, updated_at=at)
        s.execute(stmt.on_conflict_do_update(
            index_elements=[BotOffset.bot], set_={"next_offset": next_offset, "updated_at": at},
            where=BotOffset.next_offset < next_offset,
        ))
