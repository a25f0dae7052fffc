"""The sentence around a mention, cut to a readable snippet for the digest."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from matching import sentence_span
from matching.sentences import MAX_SNIPPET, clipped_sentence
from storage.text import clean_line, clean_text

__all__ = ["MAX_SNIPPET", "Snippet", "clip", "sentence_span", "snippet", "squash"]


@dataclass(frozen=True, slots=True)
class Snippet:
    """A sentence cut into runs of text, each marked (a watched name) or not."""

    parts: tuple[tuple[str, bool], ...]

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.parts)

    @property
    def marked(self) -> tuple[str, ...]:
        return tuple(t for t, m in self.parts if m)

    @property
    def match(self) -> str:
        """The first marked name ("" when nothing is marked)."""
        return next((t for t, m in self.parts if m), "")

    @property
    def before(self) -> str:
        """The text before the first mark (all of it when nothing is marked)."""
        out = []
        for t, m in self.parts:
            if m:
                break
            out.append(t)
        return "".join(out)

    @property
    def after(self) -> str:
        """The text after the last mark."""
        out = []
        for t, m in reversed(self.parts):
            if m:
                break
            out.append(t)
        return "".join(reversed(out)) if self.marked else ""


_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """One line: scraped titles carry CR/LF, tabs and control characters that must not reach
    headers, layouts or chats (storage.text's rule, applied on the way out)."""
    return clean_line(text)


def clip(text: str, limit: int) -> str:
    text = squash(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def snippet(
    text: str, start: int, end: int, limit: int = MAX_SNIPPET,
    others: Sequence[tuple[int, int]] = (),
) -> Snippet:
    """The mention's sentence, clipped to about `limit` characters around the mention.

    matching's clipper decides the span (on word bounds); this only marks the cuts with "…"
    and keeps every line break out of the snippet. `others` are the spans of other watched
    names in the same text: those inside the clipped sentence are marked too.
    """
    if not (0 <= start < end <= len(text)):
        return Snippet(((clip(text[: 2 * limit], limit), False),))
    s, e, cut_before, cut_after = clipped_sentence(text, start, end, limit)
    s, e = min(s, start), max(e, end)
    marks = sorted({(a, b) for a, b in (*others, (start, end)) if s <= a < b <= e})
    parts: list[tuple[str, bool]] = []
    pos = s
    for a, b in marks:
        if a < pos:  # overlapping names (a person inside an organisation's name): keep the first
            continue
        if a > pos:
            parts.append((squash_keep_edges(text[pos:a]), False))
        parts.append((squash(text[a:b]), True))
        pos = b
    if pos < e:
        parts.append((squash_keep_edges(text[pos:e]), False))
    if parts and not parts[0][1]:
        parts[0] = (parts[0][0].lstrip(), False)
    if parts and not parts[-1][1]:
        parts[-1] = (parts[-1][0].rstrip(), False)
    if cut_before:
        parts.insert(0, ("…", False))
    if cut_after:
        parts.append(("…", False))
    return Snippet(tuple(_merge(parts)))


def _merge(parts: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Adjacent unmarked runs joined, empty ones dropped."""
    out: list[tuple[str, bool]] = []
    for t, m in parts:
        if not t:
            continue
        if out and not m and not out[-1][1]:
            out[-1] = (out[-1][0] + t, False)
        else:
            out.append((t, m))
    return out


def squash_keep_edges(text: str) -> str:
    """Cleaned, whitespace runs collapsed to single spaces, a leading/trailing one kept."""
    return _WS.sub(" ", clean_text(text))
