"""Column types shared by the models, and the rule for the ids that become their keys."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator
from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Source, watchlist, entity, subscriber and admin ids: keys in the tables (String(64) at the
# narrowest), file names of the file channel, and words in `unionwatch crawl SOURCE`.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
ID_RULE = "letters, digits, _ . -; at most 64"


def check_id(value: str) -> str:
    """The id if it follows ID_PATTERN; else ValueError saying what an id may hold."""
    if not ID_PATTERN.fullmatch(value):
        raise ValueError(f"'{value}' is not a valid id ({ID_RULE})")
    return value


Ident = Annotated[str, AfterValidator(check_id)]


def check_timezone(value: str) -> str:
    """The name if zoneinfo knows it as an IANA time zone (Asia/Almaty, UTC); else ValueError."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{value}'") from None
    return value


# A subscriber's wall clock, a source's local time: one rule for every time-zone setting.
TimeZone = Annotated[str, AfterValidator(check_timezone)]

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a real bigint.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset, so store naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value
        if stored.tzinfo is None:
            return stored.replace(tzinfo=UTC)
        return stored.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


# What takes `clock=`: utcnow, or a test's clock that it moves by hand.
Clock = Callable[[], datetime]
