"""Every date the crawl reads, to an aware UTC datetime: ISO and RFC 822 strings, HTTP dates,
feedparser's struct_time, and dates printed in English, Russian or Kazakh."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from time import struct_time
from typing import NamedTuple
from zoneinfo import ZoneInfo

_ISO = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ]+(\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?))?\s*"
    r"(?:(Z|[+-]\d{2}(?::?\d{2})?)|([A-Za-z]{1,5}))?$"
)
# A zone abbreviation standing alone: "Fri Apr 28 19:20:36 CEST 2023", "… 18:16 MSK".
_ZONE_WORD = re.compile(r"(?<![\w+-])([A-Z]{2,5})(?![\w+-])")
# Widest spread of UTC offsets in use (-12 to +14): a naive time and an aware one further
# apart than this are not the same moment.
_MAX_OFFSET = timedelta(hours=14)


@lru_cache(maxsize=1)
def _zone_offsets() -> dict[str, int]:
    """Seconds east of UTC by zone abbreviation (CEST, MSK, ALMT, …), from dateparser's table."""
    from dateparser.timezones import timezone_info_list

    offsets: dict[str, int] = {}
    for group in timezone_info_list:
        for name, seconds in group["timezones"]:
            if name.isalpha():  # the other group spells offsets out ("UTC\\+05:00")
                offsets.setdefault(name.upper(), seconds)
    return offsets


def _zone(name: str) -> timezone | None:
    seconds = _zone_offsets().get(name.upper())
    return None if seconds is None else timezone(timedelta(seconds=seconds))


class Stamp(NamedTuple):
    """A date as a page wrote it: `when` is aware if the text gave an offset or a zone name
    (in that offset, not converted), naive if it gave none; `timed`: it had a time of day."""

    when: datetime
    timed: bool

    @property
    def aware(self) -> bool:
        return self.when.tzinfo is not None

    def utc(self, zone: str = "UTC") -> datetime:
        """In UTC: a naive time is wall-clock time in `zone`; a date alone is midnight UTC of
        that day, so the printed day survives whatever the zone."""
        if self.aware:
            return self.when.astimezone(UTC)
        if not self.timed:
            return self.when.replace(tzinfo=UTC)
        return self.when.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def read_datetime(value: str | None) -> Stamp | None:
    """A date string as written, or None: ISO 8601 with or without offset, Pangea's space for
    'T' ("2017-05-16 10:11:12Z") and entity-encoded offset ("&#x2B;00:00"), offsets without
    a colon, RFC 822, and zone names ("Fri Apr 28 19:20:36 CEST 2023")."""
    if not value:
        return None
    text = html.unescape(value).strip()
    m = _ISO.match(text)
    if m is not None:
        return _iso(*m.groups())
    zone = None
    found = _ZONE_WORD.search(text)
    if found is not None and found.group(1) not in ("GMT", "UT", "UTC"):
        zone = _zone(found.group(1))
        if zone is not None:
            text = (text[: found.start()] + text[found.end():]).strip()
    try:
        dt = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if zone is not None:
        dt = dt.replace(tzinfo=zone)
    return Stamp(dt, True)


def _iso(day: str, clock: str | None, offset: str | None, name: str | None) -> Stamp | None:
    zone: tzinfo | None = None
    if offset:
        offset = offset.upper()
        if offset == "Z":
            zone = UTC
        else:
            hours, minutes = int(offset[1:3]), int(offset[3:].lstrip(":") or 0)
            sign = -1 if offset[0] == "-" else 1
            zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    elif name:
        zone = _zone(name)
        if zone is None:
            return None
    try:
        dt = datetime.fromisoformat(day + "T" + _clock(clock))
    except ValueError:
        return None
    return Stamp(dt.replace(tzinfo=zone) if zone is not None else dt, clock is not None)


def parse_datetime(value: str | None, zone: str = "UTC") -> datetime | None:
    """An aware UTC datetime from the forms news pages and feeds use, or None. A time without
    an offset is wall-clock time in `zone` (a source's configured time zone, else UTC)."""
    stamp = read_datetime(value)
    return stamp.utc(zone) if stamp is not None else None


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
    """A naive time is UTC; an aware one is converted."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def http_date(text: str) -> datetime | None:
    """An RFC 822 / HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT") in UTC, or None."""
    try:
        return _utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def choose_datetime(values: Iterable[str | None], zone: str = "UTC") -> datetime | None:
    """The publication time from a page's candidates, most trusted first, in UTC.

    The first that parses wins, unless it carries no offset: then a later candidate that
    does and can be the same moment (within the widest UTC offset of it, or on the same
    day for a date alone) is taken instead, because JSON-LD often drops the offset that the
    meta tags keep. Failing that a date alone gives way to a time on the same day; what
    remains without an offset is read in `zone`.
    """
    parsed = (s for s in map(read_datetime, values) if s is not None)
    first = next(parsed, None)  # lazily: with an offset, the rest is never computed
    if first is None:
        return None
    if first.aware:
        return first.utc()
    stamps = [first, *parsed]
    for other in stamps[1:]:
        if other.aware and _same_moment(first, other):
            return other.utc()
    if not first.timed:
        for other in stamps[1:]:
            if other.timed and other.when.date() == first.when.date():
                return other.utc(zone)
    return first.utc(zone)


def _same_moment(naive: Stamp, aware: Stamp) -> bool:
    if not naive.timed:
        return aware.when.date() == naive.when.date()
    return abs(aware.utc() - naive.when.replace(tzinfo=UTC)) <= _MAX_OFFSET


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
# The American order, as RFE/RL printed it: "January 18, 2013".
_MONTH_DAY_YEAR = re.compile(r"\b([^\W\d_]{3,})\.?\s+(\d{1,2}),\s+(\d{4})\b")


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
    "January 18, 2013" or "16.05.2017 17:45", read as wall-clock time in `zone`."""
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
    m = _MONTH_DAY_YEAR.search(text)
    if m:
        month = month_number(m.group(1))
        if month is not None:
            return local_datetime(int(m.group(3)), month, int(m.group(2)), None, None, zone)
    return None
