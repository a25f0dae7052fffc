"""Building digests: a read-only preview, and the outbox write that assigns articles once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from notifier import assign, render
from notifier.channels.file import write_atomic
from notifier.content import DigestPreview
from notifier.settings import EntityInfo, SubscriberSpec
from storage.database import Database

DEFAULT_MESSAGE_DOMAIN = "unionwatch.localhost"


def preview_digest(
    db: Database, subscriber: SubscriberSpec, entities: Mapping[str, EntityInfo], now: datetime
) -> DigestPreview:
    """What the next digest would hold; reads only (dry-run, --json, --preview)."""
    with db.read() as session:
        return assign.preview(session, subscriber, entities, now)


def write_preview(preview: DigestPreview, path: str | Path) -> Path:
    """Write the digest as the file channel's HTML page (for `digest --preview FILE`)."""
    target = Path(path)
    write_atomic(target, render.page_html(render.view(preview)).encode("utf-8"))
    return target


def create_digest(
    db: Database,
    subscriber: SubscriberSpec,
    entities: Mapping[str, EntityInfo],
    now: datetime,
    *,
    message_domain: str = DEFAULT_MESSAGE_DOMAIN,
) -> int | None:
    """Assign the subscriber's unassigned articles to a new digest and queue its deliveries.

    One write transaction (BEGIN IMMEDIATE on SQLite) selects the articles and holds the
    assignment and the outbox rows, so either all exist or none. Returns the digest id, or
    None when there is nothing to send (and not send_empty) or no channel is usable.
    """
    with db.write() as session:
        prep = assign.prepare(session, subscriber, entities, now)
        return None if prep is None else assign.write(session, prep, entities, message_domain)
