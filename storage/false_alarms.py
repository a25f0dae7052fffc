"""False-alarm marks: a reader says a mention is not about the watched entity."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.database import dialect_insert
from storage.models import Article, FalseAlarm, Mention
from storage.types import utcnow


class Mark(NamedTuple):
    id: int
    article_id: int
    entity_id: str
    reader: str
    note: str
    created_at: datetime
    title: str
    source_id: str


class MarkedMention(NamedTuple):
    """A marked mention with the text around it, for the admin page."""

    mark_id: int
    field: str
    start: int
    end: int
    surface: str


def mark(
    session: Session, article_id: int, entity_id: str, reader: str, note: str = "", at: datetime | None = None
) -> None:
    """Record the mark (a second mark of the same reader updates its note)."""
    values = {
        "article_id": article_id,
        "entity_id": entity_id,
        "reader": reader,
        "note": note[:2000],
        "created_at": at or utcnow(),
    }
    stmt = dialect_insert(session)(FalseAlarm).values(**values)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[FalseAlarm.article_id, FalseAlarm.entity_id, FalseAlarm.reader],
            set_={"note": values["note"]},
        )
    )


def unmark(session: Session, article_id: int, entity_id: str, reader: str) -> None:
    session.execute(
        delete(FalseAlarm).where(
            FalseAlarm.article_id == article_id,
            FalseAlarm.entity_id == entity_id,
            FalseAlarm.reader == reader,
        )
    )


def of_article(session: Session, article_id: int) -> list[Mark]:
    return _marks(session, FalseAlarm.article_id == article_id, 1000)


def recent(session: Session, limit: int = 100) -> list[Mark]:
    """The newest marks of all readers."""
    return _marks(session, None, limit)


def _marks(session: Session, where: object, limit: int) -> list[Mark]:
    stmt = select(
        FalseAlarm.id,
        FalseAlarm.article_id,
        FalseAlarm.entity_id,
        FalseAlarm.reader,
        FalseAlarm.note,
        FalseAlarm.created_at,
        Article.title,
        Article.source_id,
    ).join(Article, Article.id == FalseAlarm.article_id)
    if where is not None:
        stmt = stmt.where(where)  # type: ignore[arg-type]
    stmt = stmt.order_by(FalseAlarm.created_at.desc(), FalseAlarm.id.desc()).limit(limit)
    return [Mark._make(r) for r in session.execute(stmt).tuples()]


def mentions_of(session: Session, mark_ids: list[int]) -> list[MarkedMention]:
    """The mentions each mark is about (every place the entity is named in its article)."""
    if not mark_ids:
        return []
    rows = session.execute(
        select(FalseAlarm.id, Mention.field, Mention.start, Mention.end, Mention.surface)
        .join(
            Mention,
            (Mention.article_id == FalseAlarm.article_id) & (Mention.entity_id == FalseAlarm.entity_id),
        )
        .where(FalseAlarm.id.in_(mark_ids))
        .order_by(FalseAlarm.id, Mention.field.desc(), Mention.start)
    ).tuples()
    return [MarkedMention._make(r) for r in rows]
