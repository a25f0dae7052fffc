"""Text with highlighted spans as safe markup: the text escaped, only our <mark> tags added."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from matching import sentence_span


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    title: str = ""  # the explanation shown on hover and in the list
    anchor: str = ""


def marked(text: str, spans: Sequence[Span]) -> Markup:
    out: list[str] = []
    pos = 0
    for sp in sorted(spans, key=lambda s: (s.start, -s.end)):
        if sp.start < pos or sp.end > len(text) or sp.start >= sp.end:
            continue  # overlapping or stale spans: the first one wins
        out.append(str(escape(text[pos : sp.start])))
        attrs = f' title="{escape(sp.title)}"' if sp.title else ""
        attrs += f' id="{escape(sp.anchor)}"' if sp.anchor else ""
        out.append(f"<mark{attrs}>{escape(text[sp.start : sp.end])}</mark>")
        pos = sp.end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))  # noqa: S704 - every piece above is escaped


def sentence(text: str, spans: Sequence[tuple[int, int]], limit: int = 400) -> Markup:
    """The sentence around the first span, with every span inside it highlighted."""
    if not spans:
        return escape(text[:limit])
    first = min(spans)
    a, b = sentence_span(text, *first)
    if b - a > limit:  # a run-on "sentence": a window around the mention
        a = max(a, first[0] - limit // 2)
        b = min(b, a + limit)
    inside = [Span(s - a, e - a) for s, e in spans if s >= a and e <= b]
    lead = "… " if a > 0 else ""
    tail = " …" if b < len(text) else ""
    return escape(lead) + marked(text[a:b].strip("\n"), inside) + escape(tail)
