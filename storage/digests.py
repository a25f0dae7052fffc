"""Digests and their items: which articles each subscriber was given, once and for all."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from storage.models import Article, Digest, DigestItem

# Core statements on the tables, not ORM units of work: these run per subscriber per day.
_DIGEST = cast(Table, Digest.__table__)
_ITEM = cast(Table, DigestItem.__table__)
_ADD = insert(_DIGEST).returning(_DIGEST.c.id)
DIGEST = "digest"  # Digest.kind of the scheduled daily or weekly digest
INSTANT = "instant"  # Digest.kind of an alert sent right after the crawl that found its articles
_LAST_PERIOD_END = select(func.max(_DIGEST.c.period_end)).where(
    _DIGEST.c.subscriber_id == bindparam("subscriber_id"), _DIGEST.c.kind == DIGEST
)
_ITEMS_OF = select(_ITEM.c.article_id).where(_ITEM.c.digest_id == bindparam("digest_id"))
_INSERT_ITEMS = (
    "INSERT INTO digest_item (digest_id, subscriber_id, article_id, entity_ids, position) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


def add(
    session: Session, subscriber_id: str, created_at: datetime, item_count: int,
    period_start: datetime | None, kind: str = DIGEST,
) -> int:
    """A new digest row covering period_start (the previous digest's end) to created_at; its
    items and deliveries follow in the same transaction."""
    digest_id: int = session.execute(
        _ADD,
        {"subscriber_id": subscriber_id, "created_at": created_at, "period_start": period_start,
         "period_end": created_at, "item_count": item_count, "kind": kind},
    ).scalar_one()
    return digest_id


class SentBefore(NamedTuple):
    """An article an instant alert brought, as the next digest mentions it."""

    article_id: int
    title: str
    url: str
    source_id: str
    sent_at: datetime


def instant_since(session: Session, subscriber_id: str, since: datetime | None,
                  limit: int = 50) -> list[SentBefore]:
    """Articles instant alerts gave this subscriber after `since` (their last digest), oldest first."""
    q = (select(Article.id, Article.title, Article.url, Article.source_id, _DIGEST.c.created_at)
         .join(_ITEM, _ITEM.c.article_id == Article.id)
         .join(_DIGEST, _DIGEST.c.id == _ITEM.c.digest_id)
         .where(_DIGEST.c.subscriber_id == subscriber_id, _DIGEST.c.kind == INSTANT))
    if since is not None:
        q = q.where(_DIGEST.c.created_at > since)
    rows = session.execute(q.order_by(_DIGEST.c.created_at, _ITEM.c.position).limit(limit)).tuples()
    return [SentBefore(*r) for r in rows]


def last_period_end(session: Session, subscriber_id: str) -> datetime | None:
    """When the subscriber's latest scheduled digest was made (None before the first); instant
    alerts do not count."""
    end: datetime | None = session.scalar(_LAST_PERIOD_END, {"subscriber_id": subscriber_id})
    return end


def add_items(
    session: Session, digest_id: int, subscriber_id: str, items: Sequence[tuple[int, Sequence[str]]]
) -> int:
    """Assign (article id, entity ids) to the digest, in order, skipping articles this subscriber
    already has (the unique key on subscriber and article); returns how many went in, or -1
    when the driver cannot tell.

    Straight to the driver's executemany: SQLAlchemy's per-row parameter handling was a fifth
    of the whole digest write at 10,000 digests x 50 items. The JSON column is still encoded
    by its own column type.
    """
    conn = session.connection()
    sql = _INSERT_ITEMS if conn.dialect.paramstyle == "qmark" else _INSERT_ITEMS.replace("?", "%s")
    encode = _ITEM.c.entity_ids.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    rows: list[tuple[Any, ...]] = [
        (digest_id, subscriber_id, article_id, encode(list(eids)) if encode else list(eids), i)
        for i, (article_id, eids) in enumerate(items)
    ]
    return int(conn.exec_driver_sql(sql, rows).rowcount)


def article_ids(session: Session, digest_id: int) -> set[int]:
    return set(session.scalars(_ITEMS_OF, {"digest_id": digest_id}))


def set_item_count(session: Session, digest_id: int, item_count: int) -> None:
    session.execute(update(_DIGEST).where(_DIGEST.c.id == digest_id).values(item_count=item_count))


def remove(session: Session, digest_id: int) -> None:
    """Delete a digest with its items and deliveries (the foreign keys cascade)."""
    session.execute(delete(_DIGEST).where(_DIGEST.c.id == digest_id))

