"""The outbox write: assign articles to a digest and queue its rendered deliveries, atomically."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from notifier import render
from notifier.content import DigestPreview, build_groups
from notifier.select import articles_by_id, unassigned_articles
from notifier.settings import ChannelKey, ChannelSpec, ChannelType, EntityInfo, SubscriberSpec
from notifier.updates import UpdateItem, evidence_links
from notifier.updates import pending as pending_updates
from storage import channel_state, digests, outbox, rechecks
from storage.database import Session
from storage.outbox import NewDelivery


def preview(
    session: Session, sub: SubscriberSpec, entities: Mapping[str, EntityInfo], now: datetime
) -> DigestPreview:
    articles = unassigned_articles(session, sub.id, sub.entity_ids)
    since = digests.last_period_end(session, sub.id)
    return with_evidence(session, DigestPreview(sub, entities, build_groups(articles, sub, entities),
                                                now, since))


def with_evidence(session: Session, p: DigestPreview,
                  updates: list[UpdateItem] | None = None) -> DigestPreview:
    """The preview with its Updates section and each item's archived copy (notifier/updates.py)."""
    p.updates = updates if updates is not None else pending_updates(session, p.subscriber.id,
                                                                    p.subscriber.entity_ids)
    p.evidence = evidence_links(session, [a.id for a in p.articles])
    return p


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body_text: str
    body_html: str
    parts: list[str]


def render_channel(channel_type: ChannelType, v: render.DigestView) -> Rendered:
    """The content one Delivery row stores, rendered once at digest time."""
    if channel_type is ChannelType.TELEGRAM:
        return Rendered(v.subject, "", "", render.telegram_parts(v))
    body_html = render.email_html(v) if channel_type is ChannelType.EMAIL else render.page_html(v)
    return Rendered(v.subject, render.email_text(v), body_html, [])


def usable_channels(session: Session, channels: Sequence[ChannelSpec]) -> list[ChannelKey]:
    """Channels to deliver to: migrated chats followed, disabled channels left out."""
    keys = [c.key for c in channels]
    states = channel_state.of(session, (str(k) for k in keys))
    usable: list[ChannelKey] = []
    for key in keys:
        state = states.get(str(key))
        if state is not None and state.disabled:
            continue
        resolved = ChannelKey(state.replaced_by) if state is not None and state.replaced_by else key
        if resolved not in usable:
            usable.append(resolved)
    return usable


def make_message_id(digest_id: int, n: int, domain: str) -> str:
    # Stored with the row, so a resend after an ambiguous SMTP drop carries the same id.
    return f"<uw.{digest_id}.{n}.{secrets.token_hex(6)}@{domain}>"


@dataclass(slots=True)
class Prepared:
    """A digest selected and rendered, not yet written: small enough to pass between processes."""

    subscriber: SubscriberSpec
    now: datetime
    channels: list[ChannelKey]
    items: list[tuple[int, list[str]]]  # (article id, entity ids) in display order
    rendered: dict[ChannelType, Rendered]
    period_start: datetime | None  # the end of the subscriber's previous digest
    updates: list[UpdateItem] = field(default_factory=list)  # shown in it, recorded with it


def render_all(p: DigestPreview, channels: list[ChannelKey]) -> dict[ChannelType, Rendered]:
    v = render.view(p)
    return {kind: render_channel(kind, v) for kind in dict.fromkeys(k.type for k in channels)}


def prepare(
    session: Session, sub: SubscriberSpec, entities: Mapping[str, EntityInfo], now: datetime
) -> Prepared | None:
    """Select and render one subscriber's digest; None when there is nothing to write."""
    channels = usable_channels(session, sub.subscriber.channels)
    if not channels:
        return None  # every channel disabled: assign nothing, so nothing is lost meanwhile
    p = preview(session, sub, entities, now)
    if p.is_empty and not sub.subscriber.digest.send_empty:
        return None
    items = [(a.id, a.entity_ids) for a in p.articles]
    return Prepared(sub, now, channels, items, render_all(p, channels), p.since, p.updates)


def write(
    session: Session, prep: Prepared, entities: Mapping[str, EntityInfo], message_domain: str
) -> int | None:
    """Insert the Digest, its items and one Delivery per channel; inside the caller's write txn.

    Items go in with ON CONFLICT DO NOTHING on (subscriber_id, article_id), the guarantee of
    "at most once": an article another run assigned first (concurrent PostgreSQL sessions, or
    a digest prepared outside the write lock) is skipped, and the digest is then rebuilt from
    the articles we really won. Articles that arrived after the selection wait for the next
    digest.
    """
    sub, now, items = prep.subscriber, prep.now, prep.items
    digest_id = digests.add(session, sub.id, now, len(items), prep.period_start)
    rendered = prep.rendered
    rechecks.add_to_digest(session, digest_id, sub.id, [u.recheck_id for u in prep.updates])
    if items:
        inserted = digests.add_items(session, digest_id, sub.id, items)
        if inserted != len(items):  # lost some to another run, or count unknown (-1)
            won = digests.article_ids(session, digest_id)
            if len(won) < len(items):
                kept = articles_by_id(session, sub.entity_ids, sorted(won))
                p = with_evidence(session, DigestPreview(sub, entities, build_groups(kept, sub, entities),
                                                         now, prep.period_start), prep.updates)
                if p.is_empty and not sub.subscriber.digest.send_empty:
                    digests.remove(session, digest_id)
                    return None
                digests.set_item_count(session, digest_id, len(p.articles))
                rendered = render_all(p, prep.channels)
    outbox.add(session, [
        NewDelivery(
            digest_id=digest_id, channel=str(key),
            message_id=make_message_id(digest_id, n, message_domain),
            subject=r.subject, body_text=r.body_text, body_html=r.body_html, parts=r.parts,
        )
        for n, key in enumerate(prep.channels)
        for r in (rendered[key.type],)
    ])
    return digest_id
