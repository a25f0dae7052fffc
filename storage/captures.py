"""The capture index: which WARC records hold which fetch, and when they may go.

Rows are written only after their records are on disk (storage/evidence.py flushes and
fsyncs first), so a row never points at a partial record. The WARC files themselves are
storage/evidence.py's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Article, Capture, Mention
from storage.urls import url_key


@dataclass(frozen=True, slots=True)
class NewCapture:
    """What the writer knows of an exchange once its records are written and synced."""

    url: str
    file: str
    offset: int
    length: int
    record_id: str
    payload_digest: str
    block_digest: str
    payload_length: int
    fetched_at: datetime
    ip: str | None
    status: int
    article_id: int | None = None
    kind: str = "crawl"


@dataclass(frozen=True, slots=True)
class CaptureRow:
    id: int
    article_id: int | None
    url: str
    kind: str
    file: str
    offset: int
    length: int
    record_id: str
    payload_digest: str
    block_digest: str
    payload_length: int
    fetched_at: datetime
    ip: str | None
    status: int


_COLUMNS = (Capture.id, Capture.article_id, Capture.url, Capture.kind, Capture.file, Capture.offset,
            Capture.length, Capture.record_id, Capture.payload_digest, Capture.block_digest,
            Capture.payload_length, Capture.fetched_at, Capture.ip, Capture.status)


def _rows(result: Iterable[Sequence[object]]) -> list[CaptureRow]:
    return [CaptureRow(*r) for r in result]  # type: ignore[arg-type]


def add(session: Session, captures: Sequence[NewCapture]) -> list[int]:
    """Index captures whose records are on disk, in one statement; their ids, in order."""
    if not captures:
        return []
    rows = [{"url": c.url, "url_key": url_key(c.url), "kind": c.kind, "file": c.file, "offset": c.offset,
             "length": c.length, "record_id": c.record_id, "payload_digest": c.payload_digest,
             "block_digest": c.block_digest, "payload_length": c.payload_length,
             "fetched_at": c.fetched_at, "ip": c.ip, "status": c.status, "article_id": c.article_id}
            for c in captures]
    stmt = insert(Capture).returning(Capture.id, sort_by_parameter_order=True)
    return list(session.scalars(stmt, rows))


def link_articles(session: Session, capture_ids: Sequence[int] | None = None) -> int:
    """Give captures with no article the article stored under their URL; how many were linked.

    A capture is written before its page is extracted and stored, so the link comes after.
    `capture_ids` limits it to those (else every unlinked capture).
    """
    article = (select(Article.id).where(Article.url_key == Capture.url_key)
               .correlate(Capture).scalar_subquery())
    stmt = (update(Capture).where(Capture.article_id.is_(None),
                                  exists().where(Article.url_key == Capture.url_key))
            .values(article_id=article).execution_options(synchronize_session=False))
    if capture_ids is not None:
        if not capture_ids:
            return 0
        stmt = stmt.where(Capture.id.in_(capture_ids))
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def get(session: Session, capture_id: int) -> CaptureRow | None:
    found = _rows(session.execute(select(*_COLUMNS).where(Capture.id == capture_id)))
    return found[0] if found else None


def for_article(session: Session, article_id: int) -> list[CaptureRow]:
    """The captures of an article, oldest first: linked ones, and unlinked ones of its URL."""
    key = select(Article.url_key).where(Article.id == article_id).scalar_subquery()
    stmt = (select(*_COLUMNS)
            .where(or_(Capture.article_id == article_id,
                       and_(Capture.article_id.is_(None), Capture.url_key == key)))
            .order_by(Capture.fetched_at, Capture.id))
    return _rows(session.execute(stmt))


def latest_for_article(session: Session, article_id: int) -> CaptureRow | None:
    """The newest successful (2xx) capture of the article, or None."""
    ok = [c for c in for_article(session, article_id) if 200 <= c.status < 300]
    return ok[-1] if ok else None


def for_url(session: Session, url: str) -> list[CaptureRow]:
    """Every capture of this URL (any variant with the same url_key), oldest first."""
    stmt = select(*_COLUMNS).where(Capture.url_key == url_key(url)).order_by(Capture.fetched_at, Capture.id)
    return _rows(session.execute(stmt))


def in_file(session: Session, file: str) -> list[CaptureRow]:
    """The captures whose records lie in this file, in file order."""
    return _rows(session.execute(select(*_COLUMNS).where(Capture.file == file).order_by(Capture.offset)))


def indexed_end(session: Session, file: str) -> int | None:
    """Where the last indexed record of the file ends (None: nothing of it is indexed)."""
    end = session.scalar(select(func.max(Capture.offset + Capture.length)).where(Capture.file == file))
    return int(end) if end is not None else None


def files(session: Session) -> dict[str, tuple[int, int]]:
    """Each file that holds indexed records: (how many captures, how many bytes they take)."""
    stmt = select(Capture.file, func.count(), func.sum(Capture.length)).group_by(Capture.file)
    return {f: (int(n), int(b or 0)) for f, n, b in session.execute(stmt)}


def every(session: Session, after_id: int = 0, limit: int = 1000) -> list[CaptureRow]:
    """Captures by id, a page at a time (for checking that their files still hold them)."""
    stmt = select(*_COLUMNS).where(Capture.id > after_id).order_by(Capture.id).limit(limit)
    return _rows(session.execute(stmt))


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Capture)) or 0)


def drop_unmatched(session: Session, before: datetime) -> int:
    """Forget captures fetched before `before` unless their article has a mention.

    Kept: captures of matched articles (for as long as the article), and of articles the
    matcher has not looked at yet. Dropped: captures of no stored article, and of articles
    matched with no mention. Their bytes go at the next compaction.
    """
    mentioned = exists().where(Mention.article_id == Capture.article_id)
    unmatched_article = exists().where(Article.id == Capture.article_id, Article.matched_at.is_not(None))
    stmt = delete(Capture).where(
        Capture.fetched_at < before,
        or_(Capture.article_id.is_(None), and_(unmatched_article, ~mentioned)),
    ).execution_options(synchronize_session=False)
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def move(session: Session, moves: Sequence[tuple[int, str, int]]) -> None:
    """Point captures at where compaction copied their records: (id, file, offset)."""
    for capture_id, file, offset in moves:
        session.execute(update(Capture).where(Capture.id == capture_id).values(file=file, offset=offset)
                        .execution_options(synchronize_session=False))
