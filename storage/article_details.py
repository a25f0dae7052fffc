"""What the article page shows: the article, every mention, its copies, the digests that held it."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Article, Digest, DigestItem, Mention


class Detail(NamedTuple):
    id: int
    source_id: str
    url: str
    canonical_url: str
    title: str
    author: str | None
    published_at: datetime | None
    fetched_at: datetime
    language: str | None
    body: str
    content_hash: str


class MentionRow(NamedTuple):
    entity_id: str
    field: str
    start: int
    end: int
    surface: str
    tier: str
    explanation: str


class Copy(NamedTuple):
    id: int
    source_id: str
    url: str
    title: str
    published_at: datetime | None


class DigestRef(NamedTuple):
    digest_id: int
    subscriber_id: str
    created_at: datetime


def get(session: Session, article_id: int) -> Detail | None:
    row = (
        session.execute(
            select(
                Article.id,
                Article.source_id,
                Article.url,
                Article.canonical_url,
                Article.title,
                Article.author,
                Article.published_at,
                Article.fetched_at,
                Article.language,
                Article.body,
                Article.content_hash,
            ).where(Article.id == article_id)
        )
        .tuples()
        .first()
    )
    return Detail._make(row) if row else None


def mentions(session: Session, article_id: int) -> list[MentionRow]:
    rows = session.execute(
        select(
            Mention.entity_id,
            Mention.field,
            Mention.start,
            Mention.end,
            Mention.surface,
            Mention.tier,
            Mention.explanation,
        )
        .where(Mention.article_id == article_id)
        .order_by(Mention.field.desc(), Mention.start)
    ).tuples()
    return [MentionRow._make(r) for r in rows]


def entity_ids(session: Session, article_ids: list[int]) -> dict[int, set[str]]:
    """The entities each of these articles names."""
    out: dict[int, set[str]] = {}
    if article_ids:
        for aid, eid in session.execute(
            select(Mention.article_id, Mention.entity_id)
            .where(Mention.article_id.in_(article_ids))
            .distinct()
        ).tuples():
            out.setdefault(aid, set()).add(eid)
    return out


def copies(session: Session, article_ids: list[int]) -> dict[int, list[Copy]]:
    """Other stored articles with the same text (syndicated copies), by article id."""
    if not article_ids:
        return {}
    other = select(Article.id, Article.content_hash).where(Article.id.in_(article_ids)).subquery()
    rows = session.execute(
        select(other.c.id, Article.id, Article.source_id, Article.url, Article.title, Article.published_at)
        .join(Article, (Article.content_hash == other.c.content_hash) & (Article.id != other.c.id))
        .order_by(Article.published_at, Article.id)
    ).tuples()
    out: dict[int, list[Copy]] = {}
    for of, *rest in rows:
        out.setdefault(of, []).append(Copy(*rest))
    return out


def digests(session: Session, article_id: int) -> list[DigestRef]:
    rows = session.execute(
        select(Digest.id, Digest.subscriber_id, Digest.created_at)
        .join(DigestItem, DigestItem.digest_id == Digest.id)
        .where(DigestItem.article_id == article_id)
        .order_by(Digest.created_at)
    ).tuples()
    return [DigestRef._make(r) for r in rows]


class DigestLine(NamedTuple):
    article_id: int
    entity_ids: list[str]
    title: str
    source_id: str
    url: str
    published_at: datetime | None


def digest_items(session: Session, digest_id: int) -> tuple[DigestRef | None, list[DigestLine]]:
    """A digest and its articles, in the order it listed them."""
    head = (
        session.execute(
            select(Digest.id, Digest.subscriber_id, Digest.created_at).where(Digest.id == digest_id)
        )
        .tuples()
        .first()
    )
    if head is None:
        return None, []
    rows = session.execute(
        select(
            DigestItem.article_id,
            DigestItem.entity_ids,
            Article.title,
            Article.source_id,
            Article.url,
            Article.published_at,
        )
        .join(Article, Article.id == DigestItem.article_id)
        .where(DigestItem.digest_id == digest_id)
        .order_by(DigestItem.position, DigestItem.id)
    ).tuples()
    return DigestRef._make(head), [DigestLine(a, list(e or []), t, s, u, p) for a, e, t, s, u, p in rows]


def recent_digests(session: Session, limit: int = 20) -> list[DigestRef]:
    rows = session.execute(
        select(Digest.id, Digest.subscriber_id, Digest.created_at)
        .order_by(Digest.created_at.desc(), Digest.id.desc())
        .limit(limit)
    ).tuples()
    return [DigestRef._make(r) for r in rows]


def spans_in(
    session: Session, article_ids: list[int], entity_ids: list[str]
) -> list[tuple[int, str, int, int]]:
    """(article id, field, start, end) of these entities' mentions in these articles, in text order."""
    if not article_ids or not entity_ids:
        return []
    rows = session.execute(
        select(Mention.article_id, Mention.field, Mention.start, Mention.end)
        .where(Mention.article_id.in_(article_ids), Mention.entity_id.in_(entity_ids))
        .order_by(Mention.article_id, Mention.start)
    ).tuples()
    return [(a, f, s, e) for a, f, s, e in rows]
