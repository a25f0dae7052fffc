"""Building digests: a read-only preview, and the outbox write that assigns articles once."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from notifier import render
from notifier.channels.file import write_atomic
from notifier.content import DigestPreview, build_groups
from notifier.select import unassigned_articles
from notifier.settings import ChannelSpec, EntityInfo, SubscriberSpec
from notifier.sql import dialect_insert
from storage.database import Database
from storage.models import ChannelState, Delivery, Digest, DigestItem

DEFAULT_MESSAGE_DOMAIN = "unionwatch.localhost"


def _preview(
    session: Session,
    subscriber: SubscriberSpec,
    entities: Mapping[str, EntityInfo],
    now: datetime,
) -> DigestPreview:
    articles = unassigned_articles(session, subscriber.id, subscriber.entity_ids)
    return DigestPreview(subscriber, entities, build_groups(articles, subscriber, entities), now)


def preview_digest(
    db: Database, subscriber: SubscriberSpec, entities: Mapping[str, EntityInfo], now: datetime
) -> DigestPreview:
    """What the next digest would hold; reads only (dry-run, --json, --preview)."""
    with db.read() as session:
        return _preview(session, subscriber, entities, now)


def write_preview(preview: DigestPreview, path: str | Path) -> Path:
    """Write the digest as the file channel's HTML page (for `digest --preview FILE`)."""
    target = Path(path)
    write_atomic(target, render.page_html(render.view(preview)).encode("utf-8"))
    return target


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body_text: str
    body_html: str
    parts: list[str]


def render_channel(channel_type: str, v: render.DigestView) -> Rendered:
    """The content one Delivery row stores, rendered once at digest time."""
    if channel_type == "telegram":
        return Rendered(v.subject, "", "", render.telegram_parts(v))
    body_html = render.email_html(v) if channel_type == "email" else render.page_html(v)
    return Rendered(v.subject, render.email_text(v), body_html, [])


def _usable_channels(session: Session, channels: tuple[ChannelSpec, ...]) -> list[str]:
    """Channel keys to deliver to: migrated chats followed, disabled channels left out."""
    keys = [c.key for c in channels]
    states = {
        s.channel: s
        for s in session.scalars(select(ChannelState).where(ChannelState.channel.in_(keys)))
    }
    usable: list[str] = []
    for key in keys:
        state = states.get(key)
        if state is not None and state.disabled:
            continue
        resolved = state.replaced_by if state is not None and state.replaced_by else key
        if resolved not in usable:
            usable.append(resolved)
    return usable


def make_message_id(digest_id: int, n: int, domain: str) -> str:
    # Stored with the row, so a resend after an ambiguous SMTP drop carries the same id.
    return f"<uw.{digest_id}.{n}.{secrets.token_hex(6)}@{domain}>"


def create_digest(
    db: Database,
    subscriber: SubscriberSpec,
    entities: Mapping[str, EntityInfo],
    now: datetime,
    *,
    message_domain: str = DEFAULT_MESSAGE_DOMAIN,
) -> int | None:
    """Assign the subscriber's unassigned articles to a new digest and queue its deliveries.

    One write transaction (BEGIN IMMEDIATE on SQLite) holds the assignment and the outbox
    rows, so either both exist or neither. Items are inserted with ON CONFLICT DO NOTHING on
    (subscriber_id, article_id): a concurrent run on PostgreSQL that assigned an article first
    makes us skip it instead of failing, and only the articles we really won are rendered.
    Returns the digest id, or None when there is nothing to send (and not send_empty) or no
    channel is usable.
    """
    with db.write() as session:
        channels = _usable_channels(session, subscriber.channels)
        if not channels:
            return None
        preview = _preview(session, subscriber, entities, now)
        if preview.is_empty and not subscriber.send_empty:
            return None
        period_start = session.scalar(
            select(func.max(Digest.period_end)).where(Digest.subscriber_id == subscriber.id)
        )
        digest = Digest(
            subscriber_id=subscriber.id, created_at=now, period_start=period_start, period_end=now
        )
        session.add(digest)
        session.flush()

        rows = [
            {
                "digest_id": digest.id,
                "subscriber_id": subscriber.id,
                "article_id": a.id,
                "entity_ids": a.entity_ids,
                "position": i,
            }
            for i, a in enumerate(preview.articles)
        ]
        if rows:
            stmt = (
                dialect_insert(session, DigestItem)
                .on_conflict_do_nothing()
                .returning(DigestItem.article_id)
            )
            won = set(session.scalars(stmt, rows).all())
            if len(won) < len(rows):
                # Someone else assigned some of them meanwhile: render only what is ours.
                kept = [a for a in preview.articles if a.id in won]
                preview = DigestPreview(
                    subscriber, entities, build_groups(kept, subscriber, entities), now
                )
                if preview.is_empty and not subscriber.send_empty:
                    session.delete(digest)
                    return None
        digest.item_count = len(preview.articles)

        v = render.view(preview)
        by_type: dict[str, Rendered] = {}
        for n, key in enumerate(channels):
            kind = key.partition(":")[0]
            if kind not in by_type:
                by_type[kind] = render_channel(kind, v)
            r = by_type[kind]
            session.add(
                Delivery(
                    digest_id=digest.id,
                    channel=key,
                    state="pending",
                    message_id=make_message_id(digest.id, n, message_domain),
                    subject=r.subject,
                    body_text=r.body_text,
                    body_html=r.body_html,
                    parts=r.parts,
                )
            )
        return digest.id
