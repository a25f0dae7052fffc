"""Progress events of a crawl child: one JSON object per line on the events stream (stdout).

Every event has "event" (its type) and "source". The child writes them with EventWriter;
a parent reads them back with `read_events`, the same models. Unknown keys are ignored,
so a newer child may add some; a line that is not an event is logged and skipped.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from typing import Annotated, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from storage.crawl_runs import CrawlStatus
from storage.text import clean_tree

logger = logging.getLogger(__name__)


class PageKind(StrEnum):
    FEED = "feed"
    SITEMAP = "sitemap"
    LISTING = "listing"
    ARTICLE = "article"


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    event: str
    source: str


class Start(_Event):
    event: Literal["start"] = "start"


class Page(_Event):
    """A page fetched and read (a 304 counts: it was asked for and answered)."""

    event: Literal["page"] = "page"
    url: str
    kind: PageKind


class ArticleStored(_Event):
    """An article offered to storage: `new` with its id, or a duplicate (id null)."""

    event: Literal["article"] = "article"
    new: bool
    url: str
    id: int | None


class Error(_Event):
    """A URL that failed; `kind` is a short name (http_404, timeout, robots, parse...)."""

    event: Literal["error"] = "error"
    url: str
    kind: str
    message: str


class Skipped(_Event):
    """A source not crawled: its lease is held elsewhere, or the child is stopping."""

    event: Literal["skipped"] = "skipped"
    reason: str


class Stats(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    errors: int = 0
    already_known: int = 0  # links not fetched because their article is stored already
    not_modified: int = 0  # feeds and sitemaps answered 304


class Done(_Event):
    """A source's run is over; `reason` is Scrapy's close reason (finished, shutdown...)."""

    event: Literal["done"] = "done"
    status: CrawlStatus
    reason: str
    stats: Stats


class Rechecked(_Event):
    """A stored article fetched again: unchanged, changed, removed, or failed (tried again later)."""

    event: Literal["recheck"] = "recheck"
    article_id: int
    url: str
    state: str  # storage.rechecks.RecheckState
    at: str  # ISO 8601, UTC
    status: int | None = None
    detail: str | None = None


Event = Annotated[Start | Page | ArticleStored | Error | Skipped | Done | Rechecked,
                  Field(discriminator="event")]
_EVENT: TypeAdapter[Event] = TypeAdapter(Event)


class MalformedEvent(ValueError):
    """A line of the events stream that is not an event."""


def parse_event(line: str) -> Event:
    try:
        return _EVENT.validate_json(line)
    except ValidationError as exc:
        raise MalformedEvent(f"not an event: {line.strip()[:300]!r} ({exc.error_count()} problems: "
                             f"{exc.errors()[0]['msg']})") from None


def read_events(lines: Iterable[str]) -> Iterator[Event]:
    """The events of a stream as they arrive; a malformed line is logged and skipped."""
    for line in lines:
        if not line.strip():
            continue
        try:
            yield parse_event(line)
        except MalformedEvent as exc:
            logger.warning("crawl child: %s", exc)


def parse_events(text: str) -> list[Event]:
    """A whole stream read back (for tests); raises MalformedEvent on a bad line."""
    return [parse_event(line) for line in text.splitlines() if line.strip()]


class EventWriter:
    """Writes events as JSON lines and flushes each, so a parent sees them as they happen.

    When the stream breaks (the parent is gone: BrokenPipeError), `on_broken` is called
    once and later events are dropped: a write must never fail inside a spider callback.
    """

    def __init__(self, stream: TextIO | None = None,
                 on_broken: Callable[[str], None] | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.on_broken = on_broken
        self.broken = False

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stdout

    def emit(self, event: Event) -> None:
        # An error message may quote what a site sent; a lone surrogate would fail the write.
        line = json.dumps(clean_tree(event.model_dump(mode="json")), ensure_ascii=False)
        with self._lock:
            if self.broken:
                return
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except (OSError, ValueError) as exc:  # EPIPE, or the stream closed under us
                self.broken = True
                failure = f"the events stream broke: {type(exc).__name__}: {exc}"
            else:
                return
        logger.warning("%s", failure)
        if self.on_broken is not None:
            self.on_broken(failure)
