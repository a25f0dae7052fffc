"""Writing articles once: insert-or-ignore on the canonical URL and on (source, guid)."""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.database import Database
from storage.models import Article
from storage.types import utcnow
from storage.urls import canonical_url, url_key

_WS = re.compile(r"\s+")


@dataclass(slots=True)
class ArticleRecord:
    """An extracted article as a spider hands it to storage."""

    source_id: str
    url: str
    title: str
    body: str
    guid: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    raw_html: bytes | None = None
    fetched_at: datetime = field(default_factory=utcnow)


def content_hash(title: str, body: str) -> str:
    """Whitespace- and case-insensitive hash of the text, to spot syndicated copies."""
    text = _WS.sub(" ", f"{title}\n{body}").strip().casefold()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def compress_html(html: bytes) -> bytes:
    return zlib.compress(html, 6)


def decompress_html(blob: bytes) -> bytes:
    return zlib.decompress(blob)


def dialect_insert(session: Session) -> Callable[..., Any]:
    """The dialect's INSERT, which has on_conflict_do_nothing/do_update (SQLite and PostgreSQL)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise RuntimeError(f"unsupported database dialect {name!r}")


def _values(rec: ArticleRecord) -> dict[str, Any]:
    return {
        "source_id": rec.source_id,
        "url": rec.url,
        "canonical_url": canonical_url(rec.url),
        "url_key": url_key(rec.url),
        "guid": rec.guid,
        "title": rec.title,
        "author": rec.author,
        "published_at": rec.published_at,
        "fetched_at": rec.fetched_at,
        "language": rec.language,
        "body": rec.body,
        "content_hash": content_hash(rec.title, rec.body),
        "raw_html": compress_html(rec.raw_html) if rec.raw_html else None,
    }


def insert_article(session: Session, rec: ArticleRecord) -> int | None:
    """Store an article unless it is already there; return its new id, or None if a duplicate."""
    return insert_articles(session, [rec])[0]


def insert_articles(session: Session, recs: list[ArticleRecord]) -> list[int | None]:
    """Store a batch in one statement; per record, its new id or None if it was a duplicate.

    No index_elements: a conflict on either unique key (url_key, or source+guid) is a
    duplicate. Only inserted rows come back, so they are matched to records by url_key, and
    a second record of the same key in one batch counts as a duplicate.
    """
    if not recs:
        return []
    rows = [_values(r) for r in recs]
    stmt = dialect_insert(session)(Article).on_conflict_do_nothing().returning(Article.id, Article.url_key)
    if len(rows) == 1:
        got = session.execute(stmt.values(**rows[0])).all()
    else:
        got = session.execute(stmt, rows).all()
    ids = {key: art_id for art_id, key in got}
    out: list[int | None] = []
    for row in rows:
        out.append(ids.pop(row["url_key"], None))
    return out


def known_url_keys(session: Session, urls: list[str]) -> set[str]:
    """Which of these URLs are stored already (lets spiders skip fetching them again)."""
    keys = {url_key(u): u for u in urls}
    found = session.scalars(select(Article.url_key).where(Article.url_key.in_(keys))).all()
    return {keys[k] for k in found}


def article_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Article)) or 0



def count_fetched_since(db: Database, source_id: str, since: datetime) -> int:
    """How many articles of the source were stored since then."""
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Article)
                        .where(Article.source_id == source_id, Article.fetched_at >= since)) or 0


def latest_fetch_times(db: Database, source_id: str, limit: int) -> list[datetime]:
    """When the source's newest articles were stored, newest first."""
    with db.read() as s:
        return list(s.scalars(select(Article.fetched_at).where(Article.source_id == source_id)
                              .order_by(Article.fetched_at.desc()).limit(limit)))
