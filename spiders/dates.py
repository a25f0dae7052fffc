"""Every date the crawl reads, to an aware UTC datetime: ISO and RFC 822 strings, HTTP dates,
feedparser's struct_time, and dates printed in English, Russian or Kazakh."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import struct_time
from zoneinfo import ZoneInfo

_ISO = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ]+(\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?))?\s*"
    r"(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)


def parse_datetime(value: str | None) -> datetime | None:
    """An aware UTC datetime from the forms news pages use, or None.

    Handles Pangea's space instead of 'T' ("2017-05-16 10:11:12Z"), entity-encoded offsets
    ("&#x2B;00:00"), offsets without a colon, RFC 822 dates of feeds. A time without an
    offset is taken as UTC: the sites we read publish UTC there, and guessing a local zone
    would be worse.
    """
    if not value:
        return None
    text = html.unescape(value).strip()
    m = _ISO.match(text)
    if m is None:
        return http_date(text)
    day, clock, zone = m.groups()
    iso = day + "T" + _clock(clock)
    if zone:
        zone = zone.upper()
        if zone in ("Z", "UTC", "GMT"):
            zone = "+00:00"
        elif ":" not in zone:
            zone = zone[:3] + ":" + (zone[3:] or "00")
        iso += zone
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return _utc(dt)


def _clock(clock: str | None) -> str:
    """HH:MM:SS.ffffff from H:MM, HH:MM:SS or HH:MM:SS,fff (fromisoformat is strict about it)."""
    if not clock:
        return "00:00:00"
    hours, rest = clock.replace(",", ".").split(":", 1)
    if rest.count(":") == 0:
        rest += ":00"
    if "." in rest:
        whole, frac = rest.split(".", 1)
        rest = f"{whole}.{frac[:6].ljust(6, '0')}"
    return f"{hours.zfill(2)}:{rest}"


def _utc(dt: datetime) -> datetime:
    """A naive time is UTC (see parse_datetime); an aware one is converted."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def http_date(text: str) -> datetime | None:
    """An RFC 822 / HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT") in UTC, or None."""
    try:
        return _utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def first_datetime(*candidates: str | None) -> datetime | None:
    """The first of these strings that parse_datetime can read."""
    for value in candidates:
        dt = parse_datetime(value)
        if dt is not None:
            return dt
    return None


def from_struct_time(value: struct_time | None) -> datetime | None:
    """feedparser's parsed date (it normalises them to UTC struct_time), or None."""
    if not value:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


# ---- printed dates ------------------------------------------------------------------------

# Month stems (first three letters, lower case): English, Russian (nominative and genitive)
# and Kazakh. No stem is shared between two months.
_MONTHS: dict[str, int] = {}
for _n, _stems in enumerate(
    (
        ("jan", "янв", "қаң"), ("feb", "фев", "ақп"), ("mar", "мар", "нау"),
        ("apr", "апр", "сәу"), ("may", "мая", "май", "мам"), ("jun", "июн", "мау"),
        ("jul", "июл", "шіл"), ("aug", "авг", "там"), ("sep", "сен", "қыр"),
        ("oct", "окт", "қаз"), ("nov", "ноя", "қар"), ("dec", "дек", "жел"),
    ),
    start=1,
):
    for _stem in _stems:
        _MONTHS[_stem] = _n

_DAY_MONTH_YEAR = re.compile(
    r"(?<!\d)(\d{1,2})\s+([^\W\d_]{3,})\.?,?\s+(\d{4})(?:\s*(?:г\.|года|ж\.|жыл[ы]?)?\s*,?\s*"
    r"(?:в\s+)?(\d{1,2}):(\d{2}))?"
)
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s*,?\s*(\d{1,2}):(\d{2}))?")


def month_number(word: str) -> int | None:
    return _MONTHS.get(word[:3].casefold())


def local_datetime(
    year: int, month: int, day: int, hour: int | None, minute: int | None, zone: str
) -> datetime | None:
    """UTC from a wall-clock time in `zone` (zoneinfo knows the historical offsets: Moscow
    was UTC+4 until October 2014, Almaty UTC+6 until March 2024). A date without a time is
    midnight UTC of that day, so the printed day survives the conversion."""
    try:
        if hour is None or minute is None:
            return datetime(year, month, day, tzinfo=UTC)
        return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    except ValueError:
        return None


def text_datetime(text: str | None, zone: str = "UTC") -> datetime | None:
    """A printed date, "24 January, 2017", "16 мая 2017, 17:45", "25 шілде 2017",
    or "16.05.2017 17:45", read as wall-clock time in `zone`."""
    if not text:
        return None
    m = _DAY_MONTH_YEAR.search(text)
    if m:
        month = month_number(m.group(2))
        if month is not None:
            hour, minute = m.group(4), m.group(5)
            return local_datetime(int(m.group(3)), month, int(m.group(1)),
                                  int(hour) if hour else None, int(minute) if minute else None, zone)
    m = _NUMERIC.search(text)
    if m:
        hour, minute = m.group(4), m.group(5)
        return local_datetime(int(m.group(3)), int(m.group(2)), int(m.group(1)),
                              int(hour) if hour else None, int(minute) if minute else None, zone)
    return None
