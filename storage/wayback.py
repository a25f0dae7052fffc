"""Wayback Machine submissions: queued, submitted (a job to poll), archived, or refused."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Article, Mention, WaybackSubmission
from storage.urls import url_key


class WaybackState(StrEnum):
    QUEUED = "queued"  # to submit at next_attempt_at (or now)
    SUBMITTED = "submitted"  # SPN2 took it: job_id to poll
    ARCHIVED = "archived"  # snapshot_url recorded
    REFUSED = "refused"  # SPN2 will never take this URL (bad syntax, blocked): kept, not retried


class Submission(NamedTuple):
    id: int
    article_id: int | None
    url: str
    state: WaybackState
    job_id: str | None
    attempts: int
    snapshot_url: str | None
    last_error: str | None


def _of(r: WaybackSubmission) -> Submission:
    return Submission(r.id, r.article_id, r.url, WaybackState(r.state), r.job_id, r.attempts,
                      r.snapshot_url, r.last_error)


def _recent(session: Session, key: str, since: datetime) -> bool:
    """A submission of this URL is queued or pending, or was made or archived since `since`."""
    return bool(session.scalar(select(func.count()).select_from(WaybackSubmission).where(
        WaybackSubmission.url_key == key,
        or_(WaybackSubmission.state.in_([WaybackState.QUEUED.value, WaybackState.SUBMITTED.value]),
            WaybackSubmission.created_at >= since))))


def queue(session: Session, article_id: int | None, url: str, now: datetime,
          min_interval: timedelta) -> bool:
    """Queue a URL unless it was queued or submitted within min_interval; True if queued."""
    key = url_key(url)
    if _recent(session, key, now - min_interval):
        return False
    session.add(WaybackSubmission(article_id=article_id, url=url, url_key=key,
                                  state=WaybackState.QUEUED.value, created_at=now))
    session.flush()
    return True


def queue_new_matches(session: Session, now: datetime, min_interval: timedelta, limit: int) -> int:
    """Queue matched articles never submitted, newest first; how many were queued."""
    matched = select(Mention.article_id).where(Mention.article_id == Article.id).exists()
    never = ~select(WaybackSubmission.id).where(WaybackSubmission.article_id == Article.id).exists()
    rows = session.execute(select(Article.id, Article.url).where(matched, never)
                           .order_by(Article.fetched_at.desc(), Article.id.desc()).limit(limit)).tuples()
    return sum(queue(session, aid, url, now, min_interval) for aid, url in rows)


def pending(session: Session, now: datetime, limit: int) -> list[Submission]:
    """Submissions to work on now: jobs to poll first, then queued ones that are due."""
    polls = session.scalars(select(WaybackSubmission).where(
        WaybackSubmission.state == WaybackState.SUBMITTED.value).order_by(WaybackSubmission.id)
        .limit(limit)).all()
    queued = session.scalars(select(WaybackSubmission).where(
        WaybackSubmission.state == WaybackState.QUEUED.value,
        or_(WaybackSubmission.next_attempt_at.is_(None), WaybackSubmission.next_attempt_at <= now))
        .order_by(WaybackSubmission.id).limit(limit)).all()
    return [_of(r) for r in (*polls, *queued)]


def submitted(session: Session, sub_id: int, job_id: str, now: datetime) -> None:
    session.execute(update(WaybackSubmission).where(WaybackSubmission.id == sub_id).values(
        state=WaybackState.SUBMITTED.value, job_id=job_id, submitted_at=now,
        attempts=WaybackSubmission.attempts + 1, last_error=None))


def archived(session: Session, sub_id: int, snapshot_url: str, now: datetime) -> None:
    session.execute(update(WaybackSubmission).where(WaybackSubmission.id == sub_id).values(
        state=WaybackState.ARCHIVED.value, snapshot_url=snapshot_url, done_at=now, last_error=None))


def retry_later(session: Session, sub_id: int, error: str, at: datetime, *, attempted: bool = True) -> None:
    """Back to the queue until `at` (a failed job is submitted again: SPN2 jobs do not resume)."""
    values: dict[str, object] = {"state": WaybackState.QUEUED.value, "job_id": None,
                                 "next_attempt_at": at, "last_error": error[:2000]}
    if attempted:
        values["attempts"] = WaybackSubmission.attempts + 1
    session.execute(update(WaybackSubmission).where(WaybackSubmission.id == sub_id).values(**values))


def defer_all(session: Session, at: datetime, error: str) -> None:
    """Hold every queued submission until `at` (a daily quota reached, a rate limit)."""
    session.execute(update(WaybackSubmission).where(
        WaybackSubmission.state == WaybackState.QUEUED.value,
        or_(WaybackSubmission.next_attempt_at.is_(None), WaybackSubmission.next_attempt_at < at))
        .values(next_attempt_at=at, last_error=error[:2000]))


def refused(session: Session, sub_id: int, error: str, now: datetime) -> None:
    session.execute(update(WaybackSubmission).where(WaybackSubmission.id == sub_id).values(
        state=WaybackState.REFUSED.value, last_error=error[:2000], done_at=now,
        attempts=WaybackSubmission.attempts + 1))


def any_snapshots(session: Session) -> bool:
    """Whether any article has a Wayback snapshot (else no digest item links one)."""
    return session.scalar(select(WaybackSubmission.id).where(
        WaybackSubmission.state == WaybackState.ARCHIVED.value).limit(1)) is not None


def snapshots(session: Session, article_ids: Sequence[int]) -> dict[int, str]:
    """The newest Wayback snapshot of each of these articles that has one."""
    ids = sorted(set(article_ids))
    out: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        rows = session.execute(
            select(WaybackSubmission.article_id, WaybackSubmission.snapshot_url)
            .where(WaybackSubmission.article_id.in_(ids[i:i + 500]),
                   WaybackSubmission.state == WaybackState.ARCHIVED.value)
            .order_by(WaybackSubmission.done_at, WaybackSubmission.id)).tuples()
        out.update({aid: url for aid, url in rows if aid is not None and url})
    return out


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(WaybackSubmission.state, func.count())
                           .group_by(WaybackSubmission.state)).tuples()
    return {state: int(n) for state, n in rows}


def of_article(session: Session, article_id: int) -> list[Submission]:
    return [_of(r) for r in session.scalars(select(WaybackSubmission).where(
        WaybackSubmission.article_id == article_id).order_by(WaybackSubmission.id))]
