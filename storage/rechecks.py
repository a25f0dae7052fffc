"""Re-checks of matched articles: which are due, what each found, and who has been told."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage import captures, versions
from storage.database import dialect_insert
from storage.models import Article, DigestItem, DigestUpdate, Mention, Recheck
from storage.text import clean_line, clean_text


class RecheckState(StrEnum):
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    REMOVED = "removed"
    # A timeout, a 5xx, DNS, robots: nothing learnt; the article stays due and is tried again.
    FAILED = "failed"


DEFINITIVE = (RecheckState.UNCHANGED, RecheckState.CHANGED, RecheckState.REMOVED)


class DueArticle(NamedTuple):
    article_id: int
    url: str
    source_id: str
    language: str | None
    fetched_at: datetime


class Found(NamedTuple):
    """What one re-fetch found, as the re-check spider hands it to storage."""

    article_id: int
    at: datetime
    status_code: int | None
    final_url: str | None = None
    removed: str | None = None  # why the page counts as removed
    failed: str | None = None  # why nothing could be learnt
    title: str | None = None  # the extracted text (a page that was read)
    body: str | None = None
    capture_id: int | None = None


class Outcome(NamedTuple):
    recheck_id: int
    article_id: int
    state: RecheckState
    at: datetime
    is_update: bool
    version: int | None


class Update(NamedTuple):
    """A change or removal, with what an alert or a digest says about it."""

    recheck_id: int
    article_id: int
    state: RecheckState
    at: datetime
    url: str
    title: str
    source_id: str
    detail: str | None
    version_id: int | None
    status_code: int | None


def due(session: Session, ages: Sequence[timedelta], now: datetime, *, every: bool = False,
        limit: int | None = None) -> list[DueArticle]:
    """Matched articles whose next re-check age has passed since the last definitive re-check.

    An article past several ages at once (the service was down) is checked once, for the
    latest; after the last age it is not checked again (unless `every`: all matched articles).
    """
    if not ages and not every:
        return []
    ordered = sorted(ages)
    matched = select(Mention.article_id).where(Mention.article_id == Article.id).exists()
    last = (select(Recheck.article_id, func.max(Recheck.at).label("last_at"))
            .where(Recheck.state.in_([s.value for s in DEFINITIVE]))
            .group_by(Recheck.article_id).subquery())
    stmt = (select(Article.id, Article.url, Article.source_id, Article.language, Article.fetched_at,
                   last.c.last_at)
            .outerjoin(last, last.c.article_id == Article.id)
            .where(matched).order_by(Article.id))
    if not every:
        stmt = stmt.where(Article.fetched_at <= now - ordered[0])
    out: list[DueArticle] = []
    for aid, url, source, language, fetched, last_at in session.execute(stmt).tuples():
        if not every:
            passed = [a for a in ordered if fetched + a <= now]
            if not passed or (last_at is not None and last_at >= fetched + passed[-1]):
                continue
        out.append(DueArticle(aid, url, source, language, fetched))
        if limit is not None and len(out) >= limit:
            break
    return out


def capture_before(session: Session, url: str, at: datetime) -> int | None:
    """The newest capture of this URL made by `at`: the record of the fetch that just ended."""
    made = [c for c in captures.for_url(session, url) if c.fetched_at <= at]
    return made[-1].id if made else None


def _norm(text: str) -> str:
    return " ".join(text.split())


def _last_state(session: Session, article_id: int) -> str | None:
    return session.scalar(select(Recheck.state).where(
        Recheck.article_id == article_id, Recheck.state.in_([s.value for s in DEFINITIVE]))
        .order_by(Recheck.at.desc(), Recheck.id.desc()).limit(1))


def record(session: Session, found: Found) -> Outcome | None:
    """Store what a re-fetch found: a recheck row, and a new version when the text changed.

    Texts are compared as stored (cleaned, whitespace folded). A removal is an update only
    when the article was not already removed at its last re-check: admins and subscribers
    hear of a takedown once. None: the article is gone from the database.
    """
    if session.get(Article, found.article_id) is None:
        return None
    detail, version_id, version_no = None, None, None
    if found.failed is not None:
        state, detail = RecheckState.FAILED, found.failed
    elif found.removed is not None:
        state, detail = RecheckState.REMOVED, found.removed
    else:
        title, body = clean_line(found.title or ""), clean_text(found.body or "")
        prev = versions.latest(session, found.article_id)
        assert prev is not None
        if _norm(prev.title) == _norm(title) and _norm(prev.body) == _norm(body):
            state = RecheckState.UNCHANGED
        else:
            state = RecheckState.CHANGED
            v = versions.add(session, found.article_id, title, body, found.at, found.capture_id)
            version_id, version_no = v.id, v.version
    is_update = state is RecheckState.CHANGED or (
        state is RecheckState.REMOVED and _last_state(session, found.article_id) != RecheckState.REMOVED)
    row = Recheck(article_id=found.article_id, at=found.at, state=state.value,
                  status_code=found.status_code, final_url=found.final_url, detail=detail,
                  version_id=version_id, is_update=is_update, capture_id=found.capture_id)
    session.add(row)
    session.flush()
    return Outcome(row.id, found.article_id, state, found.at, is_update, version_no)


def _updates(session: Session, stmt_filter: Sequence[object]) -> list[Update]:
    rows = session.execute(
        select(Recheck.id, Recheck.article_id, Recheck.state, Recheck.at, Article.url, Article.title,
               Article.source_id, Recheck.detail, Recheck.version_id, Recheck.status_code)
        .join(Article, Article.id == Recheck.article_id)
        .where(Recheck.is_update.is_(True), *stmt_filter)  # type: ignore[arg-type]
        .order_by(Recheck.at, Recheck.id)).tuples()
    return [Update(r[0], r[1], RecheckState(r[2]), *r[3:]) for r in rows]


def claim_unalerted(session: Session, now: datetime) -> list[Update]:
    """The updates no admin alert has taken yet, marked as taken (inside the caller's write)."""
    found = _updates(session, [Recheck.alerted_at.is_(None)])
    if found:
        session.execute(update(Recheck).where(Recheck.id.in_([u.recheck_id for u in found]))
                        .values(alerted_at=now))
    return found


def any_updates(session: Session) -> bool:
    """Whether any re-check found a change or a removal (else no subscriber has updates)."""
    return session.scalar(select(Recheck.id).where(Recheck.is_update.is_(True)).limit(1)) is not None


def for_subscriber(session: Session, subscriber_id: str, entity_ids: Sequence[str]) -> list[Update]:
    """Updates of articles this subscriber was sent (naming an entity they still follow) that
    no digest of theirs has shown yet."""
    if not entity_ids:
        return []
    sent = (select(DigestItem.id).where(DigestItem.article_id == Recheck.article_id,
                                        DigestItem.subscriber_id == subscriber_id).exists())
    named = (select(Mention.id).where(Mention.article_id == Recheck.article_id,
                                      Mention.entity_id.in_(list(entity_ids))).exists())
    shown = (select(DigestUpdate.id).where(DigestUpdate.recheck_id == Recheck.id,
                                           DigestUpdate.subscriber_id == subscriber_id).exists())
    return _updates(session, [sent, named, ~shown])


def add_to_digest(session: Session, digest_id: int, subscriber_id: str, recheck_ids: Sequence[int]) -> None:
    """Record these updates as shown in the digest (once per subscriber: conflicts are skipped)."""
    if not recheck_ids:
        return
    stmt = dialect_insert(session)(DigestUpdate).on_conflict_do_nothing()
    session.execute(stmt, [{"digest_id": digest_id, "subscriber_id": subscriber_id, "recheck_id": r}
                           for r in recheck_ids])


def history(session: Session, article_id: int) -> list[tuple[datetime, str, int | None, str | None]]:
    """Every re-check of an article, oldest first: (at, state, status code, detail)."""
    rows = session.execute(select(Recheck.at, Recheck.state, Recheck.status_code, Recheck.detail)
                           .where(Recheck.article_id == article_id).order_by(Recheck.at, Recheck.id))
    return [tuple(r) for r in rows.tuples()]  # type: ignore[misc]


def counts(session: Session, since: datetime | None = None) -> dict[str, int]:
    """Re-checks by state (since a time, if given)."""
    stmt = select(Recheck.state, func.count()).group_by(Recheck.state)
    if since is not None:
        stmt = stmt.where(Recheck.at >= since)
    return {state: int(n) for state, n in session.execute(stmt).tuples()}


def last_at(session: Session) -> datetime | None:
    return session.scalar(select(func.max(Recheck.at)))
