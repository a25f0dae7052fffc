"""The weekly mention timeline as an SVG drawn on the server (no chart library, no script)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 640, 120, 18


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def weekly(
    days: list[tuple[date, int]], *, weeks: int = 52, today: date | None = None
) -> list[tuple[date, int]]:
    """Articles per ISO week for the last `weeks` weeks (or since the first article, if later)."""
    end = _monday(today or date.today())
    if days:
        end = max(end, _monday(max(d for d, _ in days)))
    counts: Counter[date] = Counter()
    for d, n in days:
        counts[_monday(d)] += n
    first = min(counts) if counts else end
    start = max(first, end - timedelta(weeks=weeks - 1))
    out, wk = [], start
    while wk <= end:
        out.append((wk, counts.get(wk, 0)))
        wk += timedelta(weeks=1)
    return out


def svg(points: list[tuple[date, int]], label: str) -> Markup:
    n = max(1, len(points))
    top = max((c for _, c in points), default=0) or 1
    bar_w = (WIDTH - 2 * PAD) / n
    bars = []
    for i, (wk, c) in enumerate(points):
        h = (HEIGHT - 2 * PAD) * c / top
        x = PAD + i * bar_w
        bars.append(
            f'<rect x="{x:.1f}" y="{HEIGHT - PAD - h:.1f}" width="{max(1.0, bar_w - 1):.1f}" '
            f'height="{h:.1f}"><title>{escape(wk.isoformat())}: {c}</title></rect>'
        )
    first = escape(points[0][0].isoformat()) if points else ""
    last = escape(points[-1][0].isoformat()) if points else ""
    return Markup(  # noqa: S704 - numbers and escaped text only
        f'<svg class="timeline" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="none">'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" class="axis"/>'
        f"{''.join(bars)}"
        f'<text x="{PAD}" y="{HEIGHT - 4}" class="tick">{first}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 4}" class="tick" text-anchor="end">{last}</text>'
        f'<text x="{PAD}" y="12" class="tick">max {top}/week</text></svg>'
    )
