"""Archive search: words through the full-text index (SQLite FTS5, PostgreSQL tsvector), names
through the stored mentions; filters by entity, source, language and date; newest first."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, column, func, select, text
from sqlalchemy.orm import Session

from storage.articles import StoredArticle
from storage.models import Article, Mention

__all__ = ["Filters", "find", "prefixes", "word_pattern"]

_WORD = re.compile(r"\w+", re.UNICODE)
_STORED = (
    Article.id,
    Article.title,
    Article.url,
    Article.source_id,
    Article.published_at,
    Article.language,
    Article.body,
)
_dated = func.coalesce(Article.published_at, Article.fetched_at)
MAX_WORDS = 8  # a query is a few words; more is someone pasting a page


@dataclass(frozen=True)
class Filters:
    entity_ids: Sequence[str] = ()  # articles naming any of these (a name search, or the entity filter)
    source_id: str | None = None
    language: str | None = None
    since: datetime | None = None  # [since, until)
    until: datetime | None = None


def prefixes(query: str) -> list[str]:
    """The words of a query cut to a stem-ish prefix, so that case endings still match:
    "профсоюзов" finds "профсоюза", "Елеусинова" finds "Елеусинов"."""
    out = []
    for w in _WORD.findall(query.casefold())[:MAX_WORDS]:
        n = len(w)
        out.append(w[: n - 2] if n >= 6 else w[: n - 1] if n >= 4 else w)
    return out


def word_pattern(query: str) -> re.Pattern[str] | None:
    """A pattern finding the words of the query in a text (for highlighting), or None for no words."""
    pre = prefixes(query)
    if not pre:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in pre) + r")\w*", re.IGNORECASE)


def _match_ids(session: Session, words: list[str]) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        tsq = " & ".join(f"{w}:*" for w in words)
        return Article.id.in_(
            select(Article.id).where(
                text("article.search_vector @@ to_tsquery('simple', :tsq)").bindparams(tsq=tsq)
            )
        )
    fts = " AND ".join(f'"{w}"*' for w in words)
    return Article.id.in_(
        text("SELECT rowid FROM article_fts WHERE article_fts MATCH :fts")
        .bindparams(fts=fts)
        .columns(column("rowid"))
    )


def _filtered(stmt: Select[Any], f: Filters) -> Select[Any]:
    if f.since is not None:
        stmt = stmt.where(_dated >= f.since)
    if f.until is not None:
        stmt = stmt.where(_dated < f.until)
    if f.source_id:
        stmt = stmt.where(Article.source_id == f.source_id)
    if f.language:
        stmt = stmt.where(Article.language == f.language)
    if f.entity_ids:
        stmt = stmt.where(
            Article.id.in_(
                select(Mention.article_id).where(
                    Mention.entity_id.in_(bindparam("eids", list(f.entity_ids), expanding=True))
                )
            )
        )
    return stmt


def find(
    session: Session, words: str | None, f: Filters, *, offset: int = 0, limit: int = 20
) -> list[StoredArticle]:
    """Articles holding every word of `words` (None: any) that pass the filters: newest first by
    date, or with words, most recently stored first."""
    stmt = _filtered(select(*_STORED), f)
    pre = prefixes(words) if words else []
    if pre:
        stmt = stmt.where(_match_ids(session, pre))
    elif words:
        return []  # a query of punctuation only finds nothing, rather than everything
    # Words: most recently stored first, the index's own order, so a word found in most of a
    # large archive costs a walk down the ids rather than a sort of every match by date.
    # With a date range the date index narrows first, so newest-first stays cheap.
    by_id = bool(pre) and f.since is None and f.until is None
    order = (Article.id.desc(),) if by_id else (_dated.desc(), Article.id.desc())
    stmt = stmt.order_by(*order).offset(offset).limit(limit)
    return [StoredArticle._make(r) for r in session.execute(stmt).tuples()]
