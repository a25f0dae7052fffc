"""The sentence around a mention, cut to a readable snippet for the digest."""

from __future__ import annotations

import re
from dataclasses import dataclass

from matching import sentence_span

MAX_SNIPPET = 320  # characters; a scraped "sentence" can run for pages


@dataclass(frozen=True, slots=True)
class Snippet:
    """A sentence split around the highlighted mention; empty `match` means nothing to highlight."""

    before: str
    match: str
    after: str

    @property
    def text(self) -> str:
        return f"{self.before}{self.match}{self.after}"


_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """One line: scraped titles carry CR/LF and tabs that must not reach headers or layouts."""
    return _WS.sub(" ", text).strip()


def clip(text: str, limit: int) -> str:
    text = squash(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def snippet(text: str, start: int, end: int, limit: int = MAX_SNIPPET) -> Snippet:
    """The mention's sentence, clipped to about `limit` characters centred on the mention."""
    if not (0 <= start < end <= len(text)):
        return Snippet(clip(text[: 2 * limit], limit), "", "")
    # Only the sentence's part within `limit` of the mention can be shown: split that window
    # rather than the whole body (long bodies made this the slowest step of a digest).
    lo, hi = max(0, start - limit), min(len(text), end + limit)
    s, e = sentence_span(text[lo:hi], start - lo, end - lo)
    s, e = min(s + lo, start), max(e + lo, end)
    room = max(0, limit - (end - start)) // 2
    lead = "…" if start - s > room else ""
    tail = "…" if e - end > room else ""
    before = squash_keep_edges(text[max(s, start - room) : start])
    after = squash_keep_edges(text[end : min(e, end + room)])
    if lead and " " in before.strip():  # cut at a word boundary, not inside a word
        before = before[before.index(" ", 1 if before.startswith(" ") else 0) :]
    if tail and " " in after.strip():
        after = after[: after.rstrip().rindex(" ")]
    return Snippet(lead + before.lstrip(), squash(text[start:end]), after.rstrip() + tail)


def squash_keep_edges(text: str) -> str:
    """Collapse whitespace runs to single spaces but keep a leading/trailing one."""
    return _WS.sub(" ", text)
