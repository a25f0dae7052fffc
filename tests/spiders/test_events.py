"""Crawl events: one model per event, one parser for the child's writer and the parents."""

from __future__ import annotations

import io
import json
import logging

import pytest

from spiders.events import (
    ArticleStored,
    Done,
    Error,
    EventWriter,
    MalformedEvent,
    Page,
    PageKind,
    Skipped,
    Start,
    Stats,
    parse_event,
    parse_events,
    read_events,
)
from storage.crawl_runs import CrawlStatus

EVENTS = [
    Start(source="s"),
    Page(source="s", url="https://x.org/feed", kind=PageKind.FEED),
    ArticleStored(source="s", new=True, url="https://x.org/a/1", id=7),
    ArticleStored(source="s", new=False, url="https://x.org/a/2", id=None),
    Error(source="s", url="https://x.org/a/3", kind="http_404", message="HTTP 404 from https://x.org/a/3"),
    Skipped(source="t", reason="already being crawled by h:1:x (lease crawl:t)"),
    Done(source="s", status=CrawlStatus.PARTIAL, reason="finished",
         stats=Stats(fetched=3, new=1, duplicates=1, errors=1, already_known=2, not_modified=1)),
]


def test_what_the_child_writes_the_parent_reads_back() -> None:
    out = io.StringIO()
    writer = EventWriter(out)
    for ev in EVENTS:
        writer.emit(ev)
    lines = out.getvalue().splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["start", "page", "article", "article", "error",
                                                             "skipped", "done"]
    # The wire format parents and scripts have read all along: "event" first, ", " and ": ".
    assert lines[1] == '{"event": "page", "source": "s", "url": "https://x.org/feed", "kind": "feed"}'
    assert parse_events(out.getvalue()) == EVENTS
    assert list(read_events(out.getvalue().splitlines(keepends=True))) == EVENTS


def test_unknown_keys_are_ignored_so_a_newer_child_may_add_some() -> None:
    ev = parse_event('{"event": "page", "source": "s", "url": "u", "kind": "article", "took_ms": 12}')
    assert ev == Page(source="s", url="u", kind=PageKind.ARTICLE)


@pytest.mark.parametrize("line", [
    "Traceback (most recent call last):",
    '{"event": "teleport", "source": "s"}',
    '{"event": "done", "source": "s", "status": "great", "reason": "finished", "stats": {}}',
    '{"event": "page", "source": "s"}',
    '["start", "s"]',
])
def test_a_malformed_line_is_logged_and_skipped_not_dropped_silently(
    line: str, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(MalformedEvent):
        parse_event(line)
    stream = ['{"event": "start", "source": "s"}\n', line + "\n", "\n",
              '{"event": "skipped", "source": "s", "reason": "r"}\n']
    with caplog.at_level(logging.WARNING, logger="spiders.events"):
        got = list(read_events(stream))
    assert got == [Start(source="s"), Skipped(source="s", reason="r")]
    [record] = caplog.records
    assert "not an event" in record.getMessage() and line[:20] in record.getMessage()


def test_an_error_quoting_a_lone_surrogate_or_nul_is_still_written() -> None:
    """The events stream is UTF-8 (a real pipe's encoding, not StringIO's anything-goes)."""
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    EventWriter(stream).emit(Error(source="s", url="https://x.org/a", kind="feed_malformed",
                                   message="guid 'g\ud800\x00' refused"))
    [event] = parse_events(raw.getvalue().decode("utf-8"))
    assert isinstance(event, Error) and event.message == "guid 'g\ufffd' refused"
