"""What an evidence package is made of: the selected articles, each with its watched entities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Article, ArticleVersion, Mention, Recheck


@dataclass(frozen=True, slots=True)
class ArticleInfo:
    id: int
    url: str
    title: str
    source_id: str
    published_at: datetime | None
    fetched_at: datetime
    entities: tuple[str, ...]


def _entities(session: Session, article_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    rows = session.execute(select(Mention.article_id, Mention.entity_id).distinct()
                           .where(Mention.article_id.in_(list(article_ids)))
                           .order_by(Mention.article_id, Mention.entity_id))
    out: dict[int, list[str]] = {}
    for article_id, entity_id in rows:
        out.setdefault(article_id, []).append(entity_id)
    return {k: tuple(v) for k, v in out.items()}


def _infos(session: Session, ids: Sequence[int]) -> list[ArticleInfo]:
    if not ids:
        return []
    rows = session.execute(select(Article.id, Article.url, Article.title, Article.source_id,
                                  Article.published_at, Article.fetched_at)
                           .where(Article.id.in_(list(ids))).order_by(Article.fetched_at, Article.id)).all()
    entities = _entities(session, ids)
    return [ArticleInfo(r[0], r[1], r[2], r[3], r[4], r[5], entities.get(r[0], ())) for r in rows]


def article(session: Session, article_id: int) -> ArticleInfo | None:
    found = _infos(session, [article_id])
    return found[0] if found else None


def articles_of_entity(session: Session, entity_id: str, since: datetime | None = None) -> list[ArticleInfo]:
    """Articles that name the entity, oldest first; `since`: dated (published, else first
    fetched) on or after it."""
    stmt = select(Mention.article_id).distinct().where(Mention.entity_id == entity_id)
    if since is not None:
        stmt = stmt.join(Article, Article.id == Mention.article_id).where(
            func.coalesce(Article.published_at, Article.fetched_at) >= since)
    return _infos(session, list(session.scalars(stmt)))


@dataclass(frozen=True, slots=True)
class RecheckEvent:
    article_id: int
    at: datetime
    state: str  # unchanged, changed, removed, failed
    status_code: int | None
    final_url: str | None
    detail: str | None
    capture_id: int | None
    version: int | None  # the version a change created


def rechecks_of(session: Session, article_ids: Sequence[int]) -> list[RecheckEvent]:
    """Every re-check of these articles, oldest first, with its capture and any new version."""
    if not article_ids:
        return []
    stmt = (select(Recheck.article_id, Recheck.at, Recheck.state, Recheck.status_code, Recheck.final_url,
                   Recheck.detail, Recheck.capture_id, ArticleVersion.version)
            .outerjoin(ArticleVersion, ArticleVersion.id == Recheck.version_id)
            .where(Recheck.article_id.in_(list(article_ids))).order_by(Recheck.at, Recheck.id))
    return [RecheckEvent(*r) for r in session.execute(stmt).tuples()]


def versions_by_capture(session: Session, article_ids: Sequence[int]) -> dict[int, int]:
    """Which article version each capture holds, where a re-check recorded one."""
    if not article_ids:
        return {}
    rows = session.execute(select(ArticleVersion.capture_id, ArticleVersion.version)
                           .where(ArticleVersion.article_id.in_(list(article_ids)),
                                  ArticleVersion.capture_id.is_not(None)))
    return {int(c): int(v) for c, v in rows.tuples() if c is not None}
