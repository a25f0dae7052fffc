"""Matching stored articles against the watchlists: new articles, and backfill after edits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from matching import EntitySpec, Watchlist, compile_watchlist, entity_fingerprint
from storage.articles import dialect_insert
from storage.database import Database
from storage.models import Article, EntityState, Mention
from storage.types import utcnow

BATCH = 200
TITLE_SEP = "\n\n"
Progress = Callable[[int], None]


@dataclass
class MatchSummary:
    articles: int = 0
    mentions: int = 0
    backfilled_entities: tuple[str, ...] = ()
    backfilled_articles: int = 0
    removed_entities: tuple[str, ...] = ()


def article_text(title: str, body: str) -> str:
    """The text the matcher sees: title and body together, so article-level rules span both."""
    return f"{title}{TITLE_SEP}{body}"


def _mention_rows(watchlist: Watchlist, art_id: int, title: str, body: str) -> list[dict[str, object]]:
    rows = []
    cut = len(title) + len(TITLE_SEP)
    for m in watchlist.match(article_text(title, body)):
        in_title = m.end <= len(title)
        if not in_title and m.start < cut:
            continue  # straddles the separator; cannot happen with word-bounded names
        off = 0 if in_title else cut
        rows.append({
            "article_id": art_id, "entity_id": m.entity_id, "field": "title" if in_title else "body",
            "start": m.start - off, "end": m.end - off, "surface": m.surface, "tier": m.tier,
            "explanation": m.explanation,
        })
    return rows


def _store(session: Session, rows: list[dict[str, object]]) -> None:
    # DO NOTHING: another process (a hand-started crawl beside the daemon) may be matching
    # the same article at the same moment; its rows are the same rows.
    if rows:
        session.execute(dialect_insert(session)(Mention).on_conflict_do_nothing(), rows)


def match_pending(db: Database, watchlist: Watchlist, progress: Progress | None = None) -> MatchSummary:
    """Match every article not yet matched, batch by batch; each batch commits whole."""
    summary = MatchSummary()
    while True:
        with db.write() as s:
            batch = s.execute(
                select(Article.id, Article.title, Article.body)
                .where(Article.matched_at.is_(None))
                .order_by(Article.id)
                .limit(BATCH)
                # PostgreSQL: a second matcher takes the next batch instead of this one.
                # SQLite has one writer at a time anyway and renders no FOR UPDATE.
                .with_for_update(skip_locked=True)
            ).all()
            if not batch:
                return summary
            ids = [a.id for a in batch]
            # A crash after a partial earlier attempt must not double the mentions.
            s.execute(delete(Mention).where(Mention.article_id.in_(ids)))
            for art in batch:
                rows = _mention_rows(watchlist, art.id, art.title, art.body)
                _store(s, rows)
                summary.mentions += len(rows)
            s.execute(update(Article).where(Article.id.in_(ids)).values(matched_at=utcnow()))
            summary.articles += len(batch)
        if progress:
            progress(len(batch))


def sync_entities(
    db: Database, entities: Sequence[EntitySpec], backfill_days: int, now: datetime | None = None
) -> MatchSummary:
    """Re-match recent articles for entities added or changed since the last sync.

    Fingerprints are recorded only after the backfill has committed, so a crash part-way
    leaves them stale and the next sync redoes the work (deleting before inserting keeps it
    idempotent). Removed entities keep their old mentions as history; nothing new is matched.
    """
    now = now or utcnow()
    summary = MatchSummary()
    current = {e.id: entity_fingerprint(e) for e in entities}
    with db.read() as s:
        known = {row.entity_id: row.fingerprint for row in s.scalars(select(EntityState))}
    changed = [e for e in entities if known.get(e.id) != current[e.id]]
    removed = tuple(sorted(set(known) - set(current)))
    if changed and backfill_days > 0:
        wl = compile_watchlist(changed)
        ids = tuple(e.id for e in changed)
        since = now - timedelta(days=backfill_days)
        last_id = 0
        while True:
            with db.write() as s:
                batch = s.execute(
                    select(Article.id, Article.title, Article.body)
                    .where(Article.id > last_id, Article.matched_at.is_not(None),
                           func.coalesce(Article.published_at, Article.fetched_at) >= since)
                    .order_by(Article.id).limit(BATCH)
                ).all()
                if not batch:
                    break
                art_ids = [a.id for a in batch]
                s.execute(delete(Mention).where(Mention.article_id.in_(art_ids),
                                                Mention.entity_id.in_(ids)))
                for art in batch:
                    rows = _mention_rows(wl, art.id, art.title, art.body)
                    _store(s, rows)
                    summary.mentions += len(rows)
                summary.backfilled_articles += len(batch)
                last_id = art_ids[-1]
        summary.backfilled_entities = ids
    with db.write() as s:
        for e in changed:
            # An upsert: two processes syncing the same new entity must not collide.
            s.execute(
                dialect_insert(s)(EntityState)
                .values(entity_id=e.id, fingerprint=current[e.id], updated_at=now)
                .on_conflict_do_update(index_elements=[EntityState.entity_id],
                                       set_={"fingerprint": current[e.id], "updated_at": now})
            )
        if removed:
            s.execute(delete(EntityState).where(EntityState.entity_id.in_(removed)))
    summary.removed_entities = removed
    return summary

