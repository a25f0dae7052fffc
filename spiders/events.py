"""Progress events of a crawl child: one JSON object per line on the events stream (stdout).

Events (every one has "event" and "source"):
- {"event": "start", "source": id}
- {"event": "page", "source": id, "url": ..., "kind": "feed"|"sitemap"|"listing"|"article"}
- {"event": "article", "source": id, "new": bool, "url": ..., "id": article id or null}
- {"event": "error", "source": id, "url": ..., "kind": ..., "message": ...}
- {"event": "skipped", "source": id, "reason": ...}
- {"event": "done", "source": id, "status": "ok"|"partial"|"failed",
   "stats": {"fetched": n, "new": n, "duplicates": n, "errors": n}}
A parent must ignore keys it does not know.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any, TextIO

EVENT_TYPES = frozenset({"start", "page", "article", "error", "skipped", "done"})


class EventWriter:
    """Writes events as JSON lines and flushes each, so a parent sees them as they happen."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stdout

    def emit(self, event: str, source: str, **fields: Any) -> None:
        if event not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event!r}")
        line = json.dumps({"event": event, "source": source, **fields}, ensure_ascii=False)
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()


_writer = EventWriter()


def set_writer(writer: EventWriter) -> None:
    global _writer
    _writer = writer


def emit(event: str, source: str, **fields: Any) -> None:
    _writer.emit(event, source, **fields)


def parse_events(text: str) -> list[dict[str, Any]]:
    """Read an events stream back (for parents and tests); raises on a malformed line."""
    out = []
    for line in text.splitlines():
        if line.strip():
            obj = json.loads(line)
            if not isinstance(obj, dict) or obj.get("event") not in EVENT_TYPES:
                raise ValueError(f"not an event: {line!r}")
            out.append(obj)
    return out
