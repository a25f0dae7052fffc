"""What the entity page shows: mention dates, spellings seen, entities named alongside."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session, aliased

from storage.models import Article, Mention

_dated = func.coalesce(Article.published_at, Article.fetched_at)


def articles_per_day(session: Session, entity_id: str) -> list[tuple[date, int]]:
    """How many articles naming the entity are from each UTC day (published, else fetched)."""
    ids = select(Mention.article_id).where(Mention.entity_id == entity_id).distinct().subquery()
    if session.get_bind().dialect.name == "postgresql":
        day: Any = cast(func.timezone("UTC", _dated), Date)
    else:
        day = func.date(_dated)
    rows = session.execute(
        select(day, func.count()).join(ids, ids.c.article_id == Article.id).group_by(day)
    ).tuples()
    return [(d if isinstance(d, date) else date.fromisoformat(str(d)), int(n)) for d, n in rows if d]


def spellings(session: Session, entity_id: str, limit: int = 50) -> list[tuple[str, int]]:
    """The surfaces the entity was found by, most frequent first."""
    n = func.count()
    rows = session.execute(
        select(Mention.surface, n)
        .where(Mention.entity_id == entity_id)
        .group_by(Mention.surface)
        .order_by(n.desc(), Mention.surface)
        .limit(limit)
    )
    return [(s, int(c)) for s, c in rows.tuples()]


def co_mentioned(session: Session, entity_id: str, limit: int = 20) -> list[tuple[str, int]]:
    """Other entities named in the same articles, with how many articles they share."""
    other = aliased(Mention)
    n = func.count(func.distinct(other.article_id))
    rows = session.execute(
        select(other.entity_id, n)
        .join(Mention, Mention.article_id == other.article_id)
        .where(Mention.entity_id == entity_id, other.entity_id != entity_id)
        .group_by(other.entity_id)
        .order_by(n.desc(), other.entity_id)
        .limit(limit)
    )
    return [(e, int(c)) for e, c in rows.tuples()]
