"""Article versions: the texts re-checks found, and the diff between two of them.

Version 1 is the text first stored (the article row); it is copied in when a re-check first
finds a change, so the versions of an article are complete in this one table. The diff is
computed when read, not stored: it follows from the two stored texts, which are the evidence,
so a stored copy could only drift from them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.fingerprints import content_hash
from storage.models import Article, ArticleVersion

_SENTENCE_END = re.compile(r"(?<=[.!?…»\"”])\s+(?=\S)")


class Version(NamedTuple):
    id: int | None  # None: version 1 before any re-check copied it in
    article_id: int
    version: int
    title: str
    body: str
    fetched_at: datetime
    capture_id: int | None


def _of(row: ArticleVersion) -> Version:
    return Version(row.id, row.article_id, row.version, row.title, row.body, row.fetched_at,
                   row.capture_id)


def latest(session: Session, article_id: int) -> Version | None:
    """The newest text of an article: its last version, or the article as first stored."""
    row = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article_id)
                          .order_by(ArticleVersion.version.desc()).limit(1)).first()
    if row is not None:
        return _of(row)
    art = session.execute(select(Article.id, Article.title, Article.body, Article.fetched_at)
                          .where(Article.id == article_id)).first()
    if art is None:
        return None
    return Version(None, art.id, 1, art.title, art.body, art.fetched_at, None)


def add(session: Session, article_id: int, title: str, body: str, fetched_at: datetime,
        capture_id: int | None = None) -> Version:
    """Store a new text of the article as its next version (copying in version 1 if needed)."""
    prev = latest(session, article_id)
    if prev is None:
        raise LookupError(f"article {article_id} is not stored")
    if prev.id is None:
        session.add(ArticleVersion(article_id=article_id, version=1, title=prev.title, body=prev.body,
                                   content_hash=content_hash(prev.title, prev.body),
                                   fetched_at=prev.fetched_at))
    row = ArticleVersion(article_id=article_id, version=prev.version + 1, title=title, body=body,
                         content_hash=content_hash(title, body), fetched_at=fetched_at,
                         capture_id=capture_id)
    session.add(row)
    session.flush()
    return _of(row)


def of_article(session: Session, article_id: int) -> list[Version]:
    """Every version of an article, oldest first (version 1 alone when it never changed)."""
    rows = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article_id)
                           .order_by(ArticleVersion.version)).all()
    if rows:
        return [_of(r) for r in rows]
    first = latest(session, article_id)
    return [first] if first is not None else []


def by_id(session: Session, version_id: int) -> Version | None:
    row = session.get(ArticleVersion, version_id)
    return _of(row) if row is not None else None


def previous(session: Session, v: Version) -> Version | None:
    row = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == v.article_id,
                                                       ArticleVersion.version == v.version - 1)).first()
    return _of(row) if row is not None else None


def count(session: Session, article_id: int) -> int:
    n = session.scalar(select(func.count()).select_from(ArticleVersion)
                       .where(ArticleVersion.article_id == article_id)) or 0
    return max(int(n), 1)


def units(title: str, body: str) -> list[str]:
    """The text as the diff compares it: the title, then the body one sentence a line,
    a blank line between paragraphs."""
    out = [f"# {title}"]
    for para in body.split("\n"):
        para = para.strip()
        if not para:
            continue
        out.append("")
        out += _SENTENCE_END.split(para)
    return out


def diff(old: Version, new: Version, context: int = 1) -> str:
    """A unified diff of two versions, by sentence (an edited sentence shows as -/+ lines)."""
    lines: Iterator[str] = difflib.unified_diff(
        units(old.title, old.body), units(new.title, new.body),
        fromfile=f"version {old.version} ({old.fetched_at:%Y-%m-%d %H:%M} UTC)",
        tofile=f"version {new.version} ({new.fetched_at:%Y-%m-%d %H:%M} UTC)",
        n=context, lineterm="")
    return "\n".join(lines)
