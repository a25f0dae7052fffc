"""Mentions: where watched entities are named, stored by the matcher and read for digests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, delete, exists, func, select
from sqlalchemy.orm import Session

from storage.database import dialect_insert
from storage.models import Article, DigestItem, FalseAlarm, Mention

CHUNK = 500  # ids per IN (...): well under SQLite's and PostgreSQL's parameter limits
_MENTION = Mention.__table__


class NewMention(NamedTuple):
    """A match to store; start and end index the field's text ("title" or "body")."""

    article_id: int
    entity_id: str
    field: str
    start: int
    end: int
    surface: str
    tier: str
    explanation: str = ""


class Evidence(NamedTuple):
    """A stored mention with the article fields a digest shows."""

    article_id: int
    entity_id: str
    field: str
    start: int
    end: int
    surface: str
    content_hash: str
    url_key: str
    url: str
    title: str
    source_id: str
    published_at: datetime | None
    fetched_at: datetime
    language: str | None


class Span(NamedTuple):
    field: str
    start: int
    end: int


def add(session: Session, mentions: Sequence[NewMention]) -> None:
    """Store mentions; one already there (the same place) is left as it is.

    DO NOTHING: another process (a hand-started crawl beside the daemon) may be matching the
    same article at the same moment, and its rows are the same rows.
    """
    if mentions:
        # The table, not the mapped class: a plain executemany, without the ORM's bulk-insert
        # bookkeeping per row (the matcher stores ~15 mentions per article).
        session.execute(dialect_insert(session)(_MENTION).on_conflict_do_nothing(),
                        [m._asdict() for m in mentions])


def remove(session: Session, article_ids: Sequence[int], entity_ids: Sequence[str] | None = None) -> None:
    """Delete the mentions of these articles (of these entities only, if given)."""
    stmt = delete(Mention).where(Mention.article_id.in_(article_ids))
    if entity_ids is not None:
        stmt = stmt.where(Mention.entity_id.in_(entity_ids))
    session.execute(stmt)


# Built once, so SQLAlchemy reuses the compiled form: these run for every subscriber.
_EVIDENCE = (
    Mention.article_id, Mention.entity_id, Mention.field, Mention.start, Mention.end,
    Mention.surface, Article.content_hash, Article.url_key, Article.url, Article.title,
    Article.source_id, Article.published_at, Article.fetched_at, Article.language,
)
_UNASSIGNED = (
    select(*_EVIDENCE)
    .join(Article, Article.id == Mention.article_id)
    .where(
        Mention.entity_id.in_(bindparam("entity_ids", expanding=True)),
        ~exists().where(
            DigestItem.subscriber_id == bindparam("subscriber_id"),
            DigestItem.article_id == Mention.article_id,
        ),
        # A mention this reader marked "not about this person" leaves their digests at once.
        ~exists().where(
            FalseAlarm.reader == bindparam("subscriber_id"),
            FalseAlarm.article_id == Mention.article_id,
            FalseAlarm.entity_id == Mention.entity_id,
        ),
    )
)
_OF_ARTICLES = (
    select(*_EVIDENCE)
    .join(Article, Article.id == Mention.article_id)
    .where(
        Mention.entity_id.in_(bindparam("entity_ids", expanding=True)),
        Mention.article_id.in_(bindparam("ids", expanding=True)),
    )
)


def unassigned(session: Session, subscriber_id: str, entity_ids: Sequence[str]) -> list[Evidence]:
    """Mentions of these entities in articles that no digest of this subscriber holds yet."""
    if not entity_ids:
        return []
    params = {"entity_ids": list(entity_ids), "subscriber_id": subscriber_id}
    return [Evidence._make(r) for r in session.execute(_UNASSIGNED, params).tuples()]


def unassigned_fetched_since(
    session: Session, subscriber_id: str, entity_ids: Sequence[str], since: datetime
) -> list[Evidence]:
    """unassigned(), of articles first fetched at or after `since` (one crawl's finds)."""
    if not entity_ids:
        return []
    params = {"entity_ids": list(entity_ids), "subscriber_id": subscriber_id}
    stmt = _UNASSIGNED.where(Article.fetched_at >= since)
    return [Evidence._make(r) for r in session.execute(stmt, params).tuples()]


def in_articles(session: Session, entity_ids: Sequence[str], article_ids: Sequence[int]) -> list[Evidence]:
    """Mentions of these entities in these articles."""
    out: list[Evidence] = []
    for i in range(0, len(article_ids), CHUNK):
        params = {"entity_ids": list(entity_ids), "ids": list(article_ids[i : i + CHUNK])}
        out += [Evidence._make(r) for r in session.execute(_OF_ARTICLES, params).tuples()]
    return out


def spans(session: Session, article_id: int, entity_id: str) -> list[Span]:
    """Where one entity is named in one article: title first, then body, each in text order."""
    rows = session.execute(
        select(Mention.field, Mention.start, Mention.end)
        .where(Mention.article_id == article_id, Mention.entity_id == entity_id)
        .order_by(Mention.field.desc(), Mention.start)
    ).tuples()
    return [Span._make(r) for r in rows]


def articles_per_entity(session: Session) -> dict[str, int]:
    """How many articles name each entity that has any mention."""
    rows = session.execute(
        select(Mention.entity_id, func.count(func.distinct(Mention.article_id))).group_by(
            Mention.entity_id
        )
    ).tuples()
    return {entity: int(n) for entity, n in rows}
