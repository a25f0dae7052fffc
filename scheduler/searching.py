"""`unionwatch search`: stored articles by words, a name in any case form, or a watched entity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.markup import escape

from matching import EntitySpec, compile_watchlist, sentence_span
from storage import articles, mentions
from storage.articles import StoredArticle
from storage.database import Database

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


EARLIEST = datetime(1, 1, 2, tzinfo=UTC)  # --days beyond the calendar: the whole archive


def since_days_ago(days: int, now: datetime) -> datetime:
    """`days` before now, or EARLIEST when that is before the calendar starts."""
    if days >= (now - EARLIEST).days:
        return EARLIEST
    return now - timedelta(days=days)


def search_articles(db: Database, *, query: str | None, entity: str | None, source: str | None,
                    since: datetime, limit: int) -> list[Hit]:
    hits: list[Hit] = []
    with db.read() as s:
        if entity is not None:
            for art in articles.newest(s, since=since, source_id=source, mentioning=entity, limit=limit):
                hit = _hit(art)
                body_spans = [(m.start, m.end) for m in mentions.spans(s, art.id, entity)
                              if m.field == "body"]
                if body_spans:
                    hit.snippet, hit.marks = _snippet(art.body, body_spans)
                hits.append(hit)
            return hits
        assert query is not None
        wl = compile_watchlist(query_specs(query))
        offset = 0
        while len(hits) < limit:
            batch = articles.newest(s, since=since, source_id=source, offset=offset, limit=BATCH)
            if not batch:
                break
            offset += len(batch)
            for art in batch:
                spans = [(m.start, m.end) for m in wl.match(art.body)]
                in_title = wl.match(art.title)
                if not spans and not in_title:
                    continue
                hit = _hit(art)
                if spans:
                    hit.snippet, hit.marks = _snippet(art.body, sorted(spans))
                hits.append(hit)
                if len(hits) >= limit:
                    break
    return hits


def _hit(art: StoredArticle) -> Hit:
    return Hit(art.id, art.title, art.url, art.source_id, art.published_at, art.language)
