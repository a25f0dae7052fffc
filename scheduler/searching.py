"""`unionwatch search`: stored articles by words, a name in any case form, or a watched entity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from rich.markup import escape

from matching import EntitySpec, Watchlist, compile_watchlist, sentence_span
from storage import articles, mentions
from storage.articles import StoredArticle
from storage.database import Database, Session

BATCH = 500


@dataclass
class Hit:
    article_id: int
    title: str
    url: str
    source: str
    published: datetime | None
    language: str | None
    snippet: str = ""
    marks: list[tuple[int, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.article_id, "title": self.title, "url": self.url, "source": self.source,
                "published": self.published, "language": self.language, "snippet": self.snippet}

    def snippet_markup(self) -> str:
        out, pos = [], 0
        for a, b in self.marks:
            out += [escape(self.snippet[pos:a]), f"[bold black on yellow]{escape(self.snippet[a:b])}[/]"]
            pos = b
        out.append(escape(self.snippet[pos:]))
        return "".join(out)


def _snippet(text: str, spans: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    a, b = sentence_span(text, *spans[0])
    marks = [(s - a, e - a) for s, e in spans if s >= a and e <= b]
    return text[a:b], marks


def query_specs(query: str) -> list[EntitySpec]:
    """A query is a term (stem-aware words); capitalised words are also tried as a name."""
    specs = [EntitySpec(id="query", kind="term", name=query)]
    words = query.split()
    if words and all(w[:1].isupper() for w in words):
        specs.append(EntitySpec(id="query-name", kind="person", name=query))
    return specs


@dataclass(frozen=True)
class Window:
    """The publication dates a search keeps: `since` and `until` (UTC days, both kept), open when None."""

    since: date | None = None
    until: date | None = None
    since_option: str = "--since"  # what the hint says to widen: the option the user gave

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) in UTC; an end past the calendar is open."""
        start = None if self.since is None else datetime.combine(self.since, time(), UTC)
        end = None
        if self.until is not None and self.until < date.max:
            end = datetime.combine(self.until + timedelta(days=1), time(), UTC)
        return start, end


def _day(option: str, value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise ValueError(f"{option} must be a date as YYYY-MM-DD (got '{value}')") from None


def window(*, since: str | None, until: str | None, days: int | None, today: date) -> Window:
    """The window the options ask for; ValueError (one line, naming the option) when they cannot be used.

    `--days N` is `--since` the day N days before today: both at once is refused.
    """
    if days is not None and since is not None:
        raise ValueError("give --days or --since, not both (--days N is --since N days ago)")
    start = None if since is None else _day("--since", since)
    end = None if until is None else _day("--until", until)
    if days is not None:
        if days < 0:
            raise ValueError(f"--days must be 0 or more (got {days})")
        # More days than the calendar has: the whole archive.
        start = date.fromordinal(today.toordinal() - days) if days < today.toordinal() else None
    if start is not None and end is not None and start > end:
        raise ValueError(f"--since {start} is after --until {end}: no day is in between")
    return Window(start, end, "--since" if days is None else "--days")


@dataclass
class Found:
    """A search's hits, newest first, and how many more the window hides on either side."""

    hits: list[Hit]
    window: Window
    before: int = 0  # hits dated before window.since
    after: int = 0  # hits dated after window.until

    def notes(self) -> list[str]:
        out, since = [], self.window.since
        if self.before:
            out.append(f"{self.before} more before {since}; widen with {self.window.since_option}")
        if self.after:
            out.append(f"{self.after} more after {self.window.until}; widen with --until")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"articles": [h.as_dict() for h in self.hits],
                "since": self.window.since, "until": self.window.until,
                "hidden": {"before_since": self.before, "after_until": self.after}}


def search_articles(db: Database, *, query: str | None, entity: str | None, source: str | None,
                    window: Window, limit: int) -> Found:
    start, end = window.bounds()
    with db.read() as s:
        if entity is not None:
            found = Found(_entity_hits(s, entity, source, start, end, limit), window)
            if start is not None:
                found.before = articles.count(s, until=start, source_id=source, mentioning=entity)
            if end is not None:
                found.after = articles.count(s, since=end, source_id=source, mentioning=entity)
            return found
        assert query is not None
        wl = compile_watchlist(query_specs(query))
        found = Found(_query_hits(s, wl, source, start, end, limit), window)
        if start is not None:
            found.before = _count_matching(s, wl, source, None, start)
        if end is not None:
            found.after = _count_matching(s, wl, source, end, None)
        return found


def _entity_hits(s: Session, entity: str, source: str | None, start: datetime | None,
                 end: datetime | None, limit: int) -> list[Hit]:
    hits = []
    for art in articles.newest(s, since=start, until=end, source_id=source, mentioning=entity, limit=limit):
        hit = _hit(art)
        body_spans = [(m.start, m.end) for m in mentions.spans(s, art.id, entity) if m.field == "body"]
        if body_spans:
            hit.snippet, hit.marks = _snippet(art.body, body_spans)
        hits.append(hit)
    return hits


def _query_hits(s: Session, wl: Watchlist, source: str | None, start: datetime | None,
                end: datetime | None, limit: int) -> list[Hit]:
    hits: list[Hit] = []
    offset = 0
    while len(hits) < limit:
        batch = articles.newest(s, since=start, until=end, source_id=source, offset=offset, limit=BATCH)
        if not batch:
            break
        offset += len(batch)
        for art in batch:
            spans = [(m.start, m.end) for m in wl.match(art.body)]
            if not spans and not wl.match(art.title):
                continue
            hit = _hit(art)
            if spans:
                hit.snippet, hit.marks = _snippet(art.body, sorted(spans))
            hits.append(hit)
            if len(hits) >= limit:
                break
    return hits


def _count_matching(s: Session, wl: Watchlist, source: str | None, start: datetime | None,
                    end: datetime | None) -> int:
    """How many articles dated in [start, end) the query finds: a scan in id order, in batches."""
    n, after_id = 0, 0
    while batch := articles.texts_within(s, after_id=after_id, since=start, until=end,
                                         source_id=source, limit=BATCH):
        n += sum(1 for a in batch if wl.match(a.body) or wl.match(a.title))
        after_id = batch[-1].id
    return n


def _hit(art: StoredArticle) -> Hit:
    return Hit(art.id, art.title, art.url, art.source_id, art.published_at, art.language)
