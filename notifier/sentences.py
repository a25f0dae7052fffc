"""The sentence around a mention, cut to a readable snippet for the digest."""

from __future__ import annotations

import re
from dataclasses import dataclass

from matching import sentence_span
from matching.sentences import MAX_SNIPPET, clipped_sentence
from storage.text import clean_line, clean_text

__all__ = ["MAX_SNIPPET", "Snippet", "clip", "sentence_span", "snippet", "squash"]


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
    """One line: scraped titles carry CR/LF, tabs and control characters that must not reach
    headers, layouts or chats (storage.text's rule, applied on the way out)."""
    return clean_line(text)


def clip(text: str, limit: int) -> str:
    text = squash(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def snippet(text: str, start: int, end: int, limit: int = MAX_SNIPPET) -> Snippet:
    """The mention's sentence, clipped to about `limit` characters around the mention.

    matching's clipper decides the span (on word bounds); this only marks the cuts with "…"
    and keeps every line break out of the snippet.
    """
    if not (0 <= start < end <= len(text)):
        return Snippet(clip(text[: 2 * limit], limit), "", "")
    s, e, cut_before, cut_after = clipped_sentence(text, start, end, limit)
    before = squash_keep_edges(text[min(s, start) : start])
    after = squash_keep_edges(text[end : max(e, end)])
    return Snippet(("…" if cut_before else "") + before.lstrip(), squash(text[start:end]),
                   after.rstrip() + ("…" if cut_after else ""))


def squash_keep_edges(text: str) -> str:
    """Cleaned, whitespace runs collapsed to single spaces, a leading/trailing one kept."""
    return _WS.sub(" ", clean_text(text))
