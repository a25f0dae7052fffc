"""Articles: written once (insert-or-ignore on the canonical URL and on (source, guid)), then read.

One article is one row whatever URL led to it: the URL the page declares canonical when it is
on the same site, and a copy of a recent article's text on the same site (storage.fingerprints)
is the same article; the other URLs are kept in article_url so that they are not fetched again.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from storage.database import Database, dialect_insert
from storage.fingerprints import PreparedText, prepare_text
from storage.models import Article, ArticleUrl, DigestItem, Mention
from storage.text import clean_line, fit
from storage.types import utcnow
from storage.urls import canonical_url, url_key

# How far back a copy of the text is looked for: AMP and mobile copies are linked within days
# of the article; much older, the same text is more likely a republication worth its own row.
COPY_WINDOW = timedelta(days=30)
GUID_MAX: int = Article.__table__.c.guid.type.length  # type: ignore[attr-defined]
LANGUAGE_MAX: int = Article.__table__.c.language.type.length  # type: ignore[attr-defined]


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
    canonical: str | None = None  # the URL the page declares its own (spiders check the site)
    # The cleaned text and its keys, computed where the page was read; used when they are
    # those of `title` and `body`, recomputed otherwise.
    prepared: PreparedText | None = None


def compress_html(html: bytes) -> bytes:
    return zlib.compress(html, 6)


def decompress_html(blob: bytes) -> bytes:
    return zlib.decompress(blob)


def bounded_guid(guid: str | None) -> str | None:
    """A guid as stored: cleaned, and one too long for its column replaced by its hash.

    The hash keeps (source, guid) a duplicate key: the same long guid gives the same value.
    """
    if guid is None:
        return None
    value = clean_line(guid)
    if len(value) > GUID_MAX:
        value = "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()
    return value or None


def _values(rec: ArticleRecord) -> dict[str, Any]:
    """The row of a record. Every scraped string is cleaned here, where it enters the
    database (storage/text.py: PostgreSQL refuses NUL, UTF-8 cannot hold a lone surrogate),
    and bounded to its column."""
    text = rec.prepared
    if text is None or not text.of(rec.title, rec.body):
        text = prepare_text(rec.title, rec.body)
    url = clean_line(rec.url)
    author = clean_line(rec.author) if rec.author else None
    language = fit(clean_line(rec.language), LANGUAGE_MAX) if rec.language else None
    return {
        "source_id": rec.source_id,
        "url": url,
        "canonical_url": canonical_url(clean_line(rec.canonical) if rec.canonical else url),
        "url_key": url_key(url),
        "guid": bounded_guid(rec.guid),
        "title": text.title,
        "author": author or None,
        "published_at": rec.published_at,
        "fetched_at": rec.fetched_at,
        "language": language or None,
        "body": text.body,
        "content_hash": text.content_hash,
        "text_fingerprint": text.text_fingerprint,
        "raw_html": compress_html(rec.raw_html) if rec.raw_html else None,
    }


def insert_article(session: Session, rec: ArticleRecord) -> int | None:
    """Store an article unless it is already there; return its new id, or None if a duplicate."""
    return insert_articles(session, [rec])[0]


def insert_articles(session: Session, recs: list[ArticleRecord]) -> list[int | None]:
    """Store a batch in one statement; per record, its new id or None if it was a duplicate.

    A duplicate is a record whose key (url_key, or source+guid) is stored, or a copy: its text
    is that of the article at the URL it declares canonical, or of an article the same site
    stored recently. The URLs a stored article was fetched at and declares are remembered for
    it (article_url), so that they are not fetched again; a URL two different texts declare is
    forgotten again, so that its own page is fetched (a CMS that names one page canonical on
    many). A row is always keyed by the URL it was fetched at: a page's claim never takes the
    place of another page's own URL.

    No index_elements: a conflict on either unique key is a duplicate. Only inserted rows come
    back, so they are matched to records by url_key, and a second record of the same key in one
    batch counts as a duplicate.
    """
    if not recs:
        return []
    rows = [_values(r) for r in recs]
    claims = [_claim(r) for r in recs]
    copies = _Copies(session, rows, claims)
    fresh = [row for i, row in enumerate(rows) if not copies.is_copy(i)]
    ids: dict[str, int] = {}
    if fresh:
        insert = dialect_insert(session)(Article).on_conflict_do_nothing()
        stmt = insert.returning(Article.id, Article.url_key)
        if len(fresh) == 1:
            got = session.execute(stmt.values(**fresh[0])).all()
        else:
            got = session.execute(stmt, fresh).all()
        ids = {key: art_id for art_id, key in got}
    out: list[int | None] = []
    for i, row in enumerate(rows):
        out.append(None if copies.is_copy(i) else ids.pop(row["url_key"], None))
    if copies.contested:
        session.execute(delete(ArticleUrl).where(ArticleUrl.url_key.in_(copies.contested)))
    aliases: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(rows):
        article_id = out[i] if out[i] is not None else copies.article_of(i, out)
        if article_id is None:
            continue
        if copies.is_copy(i):  # the URL it was fetched at leads to the article it copies
            aliases.setdefault(row["url_key"], {"url_key": row["url_key"], "article_id": article_id,
                                                "url": row["url"]})
        claim = claims[i]
        if claim is not None and claim[0] not in copies.contested and claim[0] not in copies.owned:
            aliases.setdefault(claim[0], {"url_key": claim[0], "article_id": article_id, "url": claim[1]})
    if aliases:
        session.execute(dialect_insert(session)(ArticleUrl).on_conflict_do_nothing(), list(aliases.values()))
    return out


def _claim(rec: ArticleRecord) -> tuple[str, str] | None:
    """(key, URL) of the canonical URL a record declares, when it is not the URL it was fetched at."""
    if not rec.canonical:
        return None
    url = clean_line(rec.canonical)
    key = url_key(url)
    return None if key == url_key(clean_line(rec.url)) else (key, url)


class _Held(NamedTuple):
    """What is stored at a URL key: an article's own URL, or another URL that led to it."""

    article_id: int
    fingerprint: str | None
    content_hash: str
    alias: bool


class _Copies:
    """Which rows of a batch are copies of a stored article, or of an earlier row of the batch,
    and which remembered URLs turn out to be declared by different texts (`contested`)."""

    def __init__(self, session: Session, rows: list[dict[str, Any]],
                 claims: list[tuple[str, str] | None]) -> None:
        self.of_article: dict[int, int] = {}  # row index -> stored article id
        self.of_row: dict[int, int] = {}  # row index -> index of the row it copies
        self.contested: set[str] = set()
        keys = {row["url_key"] for row in rows} | {c[0] for c in claims if c is not None}
        held = self._held(session, keys)
        # Keys that are an article's own URL, stored or in this batch: no alias needed.
        self.owned = {k for k, h in held.items() if not h.alias} | {row["url_key"] for row in rows}
        in_batch: dict[str, int] = {}  # url key -> the first row fetched at it or declaring it
        for i, (row, claim) in enumerate(zip(rows, claims, strict=True)):
            for key in (row["url_key"], claim[0] if claim is not None else None):
                if key is None or self.is_copy(i):
                    continue
                there = held.get(key)
                if there is not None:
                    if _same_text(row, there.fingerprint, there.content_hash):
                        self.of_article[i] = there.article_id
                    elif there.alias or key != row["url_key"]:
                        self.contested.add(key)
                elif key in in_batch:
                    first = rows[in_batch[key]]
                    if _same_text(row, first["text_fingerprint"], first["content_hash"]):
                        self.of_row[i] = in_batch[key]
                    else:
                        self.contested.add(key)
                else:
                    in_batch[key] = i
        recent = self._recent(session, rows)
        first_of: dict[tuple[str, str], int] = {}
        for i, row in enumerate(rows):
            if self.is_copy(i) or row["text_fingerprint"] is None:
                continue
            mark = (row["source_id"], row["text_fingerprint"])
            if mark in recent:
                self.of_article[i] = recent[mark]
            elif mark in first_of:
                self.of_row[i] = first_of[mark]
            else:
                first_of[mark] = i

    @staticmethod
    def _held(session: Session, keys: set[str]) -> dict[str, _Held]:
        found: dict[str, _Held] = {}
        for key, art_id, fp, hashed in session.execute(
            select(Article.url_key, Article.id, Article.text_fingerprint, Article.content_hash)
            .where(Article.url_key.in_(keys))
        ).tuples():
            found[key] = _Held(art_id, fp, hashed, alias=False)
        for key, art_id, fp, hashed in session.execute(
            select(ArticleUrl.url_key, Article.id, Article.text_fingerprint, Article.content_hash)
            .join(Article, Article.id == ArticleUrl.article_id).where(ArticleUrl.url_key.in_(keys))
        ).tuples():
            found.setdefault(key, _Held(art_id, fp, hashed, alias=True))
        return found

    @staticmethod
    def _recent(session: Session, rows: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
        """(source, fingerprint) -> the oldest article of that site with that text, fetched recently."""
        wanted: dict[str, set[str]] = {}
        for row in rows:
            if row["text_fingerprint"] is not None:
                wanted.setdefault(row["source_id"], set()).add(row["text_fingerprint"])
        since = utcnow() - COPY_WINDOW
        found: dict[tuple[str, str], int] = {}
        for source_id, fps in wanted.items():
            for art_id, fp in session.execute(
                select(Article.id, Article.text_fingerprint)
                .where(Article.source_id == source_id, Article.text_fingerprint.in_(fps),
                       Article.fetched_at >= since)
                .order_by(Article.id)
            ).tuples():
                found.setdefault((source_id, fp or ""), art_id)
        return found

    def is_copy(self, i: int) -> bool:
        return i in self.of_article or i in self.of_row

    def article_of(self, i: int, ids: list[int | None]) -> int | None:
        """The article row i is a copy of, once the batch's new ids are known."""
        if i in self.of_article:
            return self.of_article[i]
        if i in self.of_row:
            return ids[self.of_row[i]]
        return None


def _same_text(row: dict[str, Any], fingerprint: str | None, hashed: str) -> bool:
    fp: str | None = row["text_fingerprint"]
    return (fp is not None and fp == fingerprint) or bool(row["content_hash"] == hashed)


def remove_unassigned(session: Session, article_ids: Sequence[int]) -> list[int]:
    """Delete these articles (and their mentions) unless a digest holds them; the ids deleted.

    For taking back, within its crawl run, a page that turned out not to be an article.
    """
    if not article_ids:
        return []
    held = select(DigestItem.article_id).where(DigestItem.article_id == Article.id).exists()
    return list(session.scalars(delete(Article).where(Article.id.in_(article_ids), ~held)
                                .returning(Article.id)))


def known_url_keys(session: Session, urls: list[str]) -> set[str]:
    """Which of these URLs are stored already (lets spiders skip fetching them again)."""
    keys = {url_key(u): u for u in urls}
    found = session.scalars(select(Article.url_key).where(Article.url_key.in_(keys))).all()
    also = session.scalars(select(ArticleUrl.url_key).where(ArticleUrl.url_key.in_(keys))).all()
    return {keys[k] for k in (*found, *also)}



class ArticleText(NamedTuple):
    """What the matcher reads of an article."""

    id: int
    title: str
    body: str


class StoredArticle(NamedTuple):
    """An article as search shows it."""

    id: int
    title: str
    url: str
    source_id: str
    published_at: datetime | None
    language: str | None
    body: str


_TEXT = (Article.id, Article.title, Article.body)
_STORED = (Article.id, Article.title, Article.url, Article.source_id, Article.published_at,
           Article.language, Article.body)
_dated = func.coalesce(Article.published_at, Article.fetched_at)  # when an article is from
_BODIES = select(Article.id, Article.body).where(Article.id.in_(bindparam("ids", expanding=True)))
CHUNK = 500  # ids per IN (...): well under SQLite's and PostgreSQL's parameter limits


def claim_unmatched(session: Session, limit: int) -> list[ArticleText]:
    """The oldest articles the matcher has not looked at, locked for this write transaction.

    On PostgreSQL a second matcher skips the rows locked here and takes the next batch;
    SQLite has one writer at a time anyway and renders no FOR UPDATE.
    """
    rows = session.execute(
        select(*_TEXT).where(Article.matched_at.is_(None)).order_by(Article.id).limit(limit)
        .with_for_update(skip_locked=True)
    ).tuples()
    return [ArticleText._make(r) for r in rows]


def mark_matched(session: Session, article_ids: Sequence[int], at: datetime) -> None:
    session.execute(update(Article).where(Article.id.in_(article_ids)).values(matched_at=at))


def matched_since(session: Session, after_id: int, since: datetime | None, limit: int) -> list[ArticleText]:
    """Matched articles (dated since `since`, if given) with ids above after_id, in id order."""
    stmt = select(*_TEXT).where(Article.id > after_id, Article.matched_at.is_not(None))
    if since is not None:
        stmt = stmt.where(_dated >= since)
    rows = session.execute(stmt.order_by(Article.id).limit(limit)).tuples()
    return [ArticleText._make(r) for r in rows]


def count_matched(session: Session, since: datetime | None = None) -> int:
    """How many articles `matched_since` would walk through: a rematch's progress total."""
    stmt = select(func.count()).select_from(Article).where(Article.matched_at.is_not(None))
    if since is not None:
        stmt = stmt.where(_dated >= since)
    return int(session.scalar(stmt) or 0)


def in_id_order(
    session: Session, after_id: int, limit: int, *, since: datetime | None = None
) -> list[StoredArticle]:
    """Articles with ids above after_id, in id order (keyset batches over the archive); dated
    since `since` when given."""
    stmt = select(*_STORED).where(Article.id > after_id)
    if since is not None:
        stmt = stmt.where(_dated >= since)
    return [StoredArticle._make(r) for r in session.execute(stmt.order_by(Article.id).limit(limit)).tuples()]


def bodies(session: Session, article_ids: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for i in range(0, len(article_ids), CHUNK):
        out.update(session.execute(_BODIES, {"ids": list(article_ids[i : i + CHUNK])}).tuples().all())
    return out


def _within(stmt: Select[Any], since: datetime | None, until: datetime | None,
            source_id: str | None, mentioning: str | None) -> Select[Any]:
    """Articles dated in [since, until) (either end open when None), of one source, naming one entity."""
    if since is not None:
        stmt = stmt.where(_dated >= since)
    if until is not None:
        stmt = stmt.where(_dated < until)
    if source_id is not None:
        stmt = stmt.where(Article.source_id == source_id)
    if mentioning is not None:
        stmt = stmt.where(Article.id.in_(select(Mention.article_id).where(Mention.entity_id == mentioning)))
    return stmt


def newest(
    session: Session, *, since: datetime | None = None, until: datetime | None = None,
    source_id: str | None = None, mentioning: str | None = None, offset: int = 0, limit: int = 100,
) -> list[StoredArticle]:
    """Articles dated in [since, until), newest first; of one source, or naming one entity."""
    stmt = _within(select(*_STORED), since, until, source_id, mentioning)
    stmt = stmt.order_by(_dated.desc(), Article.id.desc()).offset(offset).limit(limit)
    return [StoredArticle._make(r) for r in session.execute(stmt).tuples()]


def count(
    session: Session, *, since: datetime | None = None, until: datetime | None = None,
    source_id: str | None = None, mentioning: str | None = None,
) -> int:
    """How many articles `newest` has in [since, until): what a date filter hides, for search."""
    stmt = _within(select(func.count()).select_from(Article), since, until, source_id, mentioning)
    return int(session.scalar(stmt) or 0)


def texts_within(
    session: Session, *, after_id: int = 0, since: datetime | None = None,
    until: datetime | None = None, source_id: str | None = None, limit: int = 500,
) -> list[ArticleText]:
    """Articles dated in [since, until) with ids above after_id, in id order: a scan in batches."""
    stmt = _within(select(*_TEXT).where(Article.id > after_id), since, until, source_id, None)
    return [ArticleText._make(r) for r in session.execute(stmt.order_by(Article.id).limit(limit)).tuples()]


def count_by_language(session: Session) -> dict[str | None, int]:
    rows = session.execute(select(Article.language, func.count()).group_by(Article.language)).tuples()
    return {language: int(n) for language, n in rows}

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


def urls_of(session: Session, article_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(id, url) of these articles, in id order."""
    if not article_ids:
        return []
    rows = session.execute(select(Article.id, Article.url).where(Article.id.in_(list(article_ids)))
                           .order_by(Article.id)).tuples()
    return [(i, u) for i, u in rows]
