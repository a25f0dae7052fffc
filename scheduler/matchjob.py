"""Matching stored articles against the watchlists: new articles, and backfill after edits."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from matching import EntitySpec, Watchlist, compile_watchlist, entity_fingerprint
from storage import articles, entity_state, mentions
from storage.articles import ArticleText
from storage.database import Database
from storage.mentions import NewMention
from storage.types import utcnow

logger = logging.getLogger(__name__)
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


def _mentions(watchlist: Watchlist, art: ArticleText) -> list[NewMention]:
    rows = []
    cut = len(art.title) + len(TITLE_SEP)
    for m in watchlist.match(article_text(art.title, art.body)):
        in_title = m.end <= len(art.title)
        if not in_title and m.start < cut:
            continue  # straddles the separator; cannot happen with word-bounded names
        off = 0 if in_title else cut
        rows.append(NewMention(art.id, m.entity_id, "title" if in_title else "body",
                               m.start - off, m.end - off, m.surface, m.tier, m.explanation))
    return rows


def match_pending(db: Database, watchlist: Watchlist, progress: Progress | None = None) -> MatchSummary:
    """Match every article not yet matched, batch by batch; each batch commits whole."""
    summary = MatchSummary()
    while True:
        with db.write() as s:
            batch = articles.claim_unmatched(s, BATCH)
            if not batch:
                return summary
            ids = [a.id for a in batch]
            # A crash after a partial earlier attempt must not double the mentions.
            mentions.remove(s, ids)
            found = [m for art in batch for m in _mentions(watchlist, art)]
            mentions.add(s, found)  # one statement for the batch
            summary.mentions += len(found)
            articles.mark_matched(s, ids, utcnow())
            summary.articles += len(batch)
        if progress:
            progress(len(batch))


def rematch(db: Database, entities: Sequence[EntitySpec], *, since: datetime | None = None,
            progress: Progress | None = None) -> MatchSummary:
    """Match these entities again against every stored article (dated since `since`, if given).

    Batch by batch, each batch committing whole: its old mentions of these entities are deleted
    and found again, so a run cut short and run again never doubles them.
    """
    summary = MatchSummary(backfilled_entities=tuple(e.id for e in entities))
    if not entities:
        return summary
    wl = compile_watchlist(entities)
    ids = summary.backfilled_entities
    last_id = 0
    while True:
        with db.write() as s:
            batch = articles.matched_since(s, last_id, since, BATCH)
            if not batch:
                return summary
            art_ids = [a.id for a in batch]
            mentions.remove(s, art_ids, ids)
            found = [m for art in batch for m in _mentions(wl, art)]
            mentions.add(s, found)
            summary.mentions += len(found)
            summary.backfilled_articles += len(batch)
            last_id = art_ids[-1]
        if progress:
            progress(len(batch))


def rematch_total(db: Database, since: datetime | None = None) -> int:
    with db.read() as s:
        return articles.count_matched(s, since)


def sync_entities(db: Database, entities: Sequence[EntitySpec], now: datetime | None = None,
                  progress: Progress | None = None) -> MatchSummary:
    """Match entities added or changed since the last sync against the whole archive.

    A name added today must find the articles of years ago: the archive is what the admins
    search and cite. Fingerprints are recorded only after the rematch has committed, so a crash
    part-way leaves them stale and the next sync redoes the work. Removed entities keep their
    old mentions as history; nothing new is matched.
    """
    now = now or utcnow()
    current = {e.id: entity_fingerprint(e) for e in entities}
    with db.read() as s:
        known = entity_state.fingerprints(s)
    changed = [e for e in entities if known.get(e.id) != current[e.id]]
    removed = tuple(sorted(set(known) - set(current)))
    total = rematch_total(db) if changed else 0
    if total:
        logger.info("matching %s against the whole archive (%d articles)",
                    ", ".join(e.id for e in changed), total)
    summary = rematch(db, changed, progress=progress)
    with db.write() as s:
        for e in changed:
            entity_state.record(s, e.id, current[e.id], now)
        entity_state.forget(s, removed)
    summary.removed_entities = removed
    return summary
