"""The outbox write: assign articles to a digest and queue its rendered deliveries, atomically."""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from notifier import render
from notifier.content import ArticleRef, DigestPreview, build_groups, split_by_age
from notifier.select import articles_by_id, unassigned_articles, unassigned_fetched_since
from notifier.settings import ChannelKey, ChannelSpec, ChannelType, EntityInfo, SubscriberSpec
from notifier.updates import UpdateItem, evidence_links
from notifier.updates import pending as pending_updates
from storage import channel_state, digests, optouts, outbox, rechecks, wayback
from storage.database import Session
from storage.outbox import NewDelivery


@dataclass(frozen=True, slots=True)
class EvidencePresent:
    """Whether there are any updates or snapshots at all: asked once per batch of digests, so
    that a service with no re-checks or Wayback copies pays no query per subscriber for them."""

    updates: bool = True
    snapshots: bool = True

    @classmethod
    def of(cls, session: Session) -> EvidencePresent:
        return cls(rechecks.any_updates(session), wayback.any_snapshots(session))


def preview(
    session: Session, sub: SubscriberSpec, entities: Mapping[str, EntityInfo], now: datetime,
    present: EvidencePresent | None = None,
) -> DigestPreview:
    articles = unassigned_articles(session, sub.id, sub.entity_ids)
    since = digests.last_period_end(session, sub.id)
    # Only subscribers with instant alerts have any: the others pay no query for it.
    before = digests.instant_since(session, sub.id, since) if sub.instant_ids else []
    return with_evidence(session, build_preview(articles, sub, entities, now, since, before),
                         present=present)


def build_preview(
    articles: list[ArticleRef], sub: SubscriberSpec, entities: Mapping[str, EntityInfo],
    now: datetime, since: datetime | None, already_sent: list[digests.SentBefore] | None = None,
) -> DigestPreview:
    """The digest of these articles: recent ones as stories in sections, older ones counted."""
    recent, older = split_by_age(articles, now, sub.subscriber.digest.max_age_days)
    return DigestPreview(sub, entities, build_groups(recent, sub, entities), now, since, older,
                         already_sent=already_sent or [])


def with_evidence(session: Session, p: DigestPreview, updates: list[UpdateItem] | None = None,
                  present: EvidencePresent | None = None) -> DigestPreview:
    """The preview with its Updates section and each item's archived copy (notifier/updates.py)."""
    present = present or EvidencePresent()
    if updates is None:
        updates = (pending_updates(session, p.subscriber.id, p.subscriber.entity_ids)
                   if present.updates else [])
    p.updates = updates
    p.evidence = evidence_links(session, [a.id for a in p.articles]) if present.snapshots else {}
    return p


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body_text: str
    body_html: str
    parts: list[str]


def render_channel(channel_type: ChannelType, v: render.DigestView) -> Rendered:
    """The content one Delivery row stores, rendered once at digest time."""
    if channel_type is ChannelType.APPRISE:  # the services take plain text, each in its own way
        return Rendered(v.subject, render.email_text(v), "", [])
    if channel_type is ChannelType.TELEGRAM:
        return Rendered(v.subject, "", "", render.telegram_parts(v))
    body_html = render.email_html(v) if channel_type is ChannelType.EMAIL else render.page_html(v)
    return Rendered(v.subject, render.email_text(v), body_html, [])


def usable_channels(
    session: Session, channels: Sequence[ChannelSpec], subscriber_id: str | None = None
) -> list[ChannelKey]:
    """Channels to deliver to: migrated chats followed; disabled and opted-out channels left out."""
    keys = [c.key for c in channels]
    states = channel_state.of(session, (str(k) for k in keys))
    stopped = optouts.opted_out(session, [subscriber_id]) if subscriber_id is not None else set()
    usable: list[ChannelKey] = []
    for key in keys:
        state = states.get(str(key))
        if state is not None and state.disabled:
            continue
        resolved = ChannelKey(state.replaced_by) if state is not None and state.replaced_by else key
        if (subscriber_id, str(key)) in stopped or (subscriber_id, str(resolved)) in stopped:
            continue
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
    kind: str = digests.DIGEST  # or digests.INSTANT
    updates: list[UpdateItem] = field(default_factory=list)  # shown in it, recorded with it


def render_all(
    p: DigestPreview, channels: list[ChannelKey], digest_kind: str = digests.DIGEST
) -> dict[ChannelType, Rendered]:
    v = render.view(p)
    if digest_kind == digests.INSTANT:
        v = dataclasses.replace(v, subject=render.instant_subject(v.subject, v.lang), instant=True)
    out: dict[ChannelType, Rendered] = {}
    for kind in dict.fromkeys(k.type for k in channels):
        if kind is ChannelType.WEBHOOK:  # data for programs: the items, not a rendered page
            out[kind] = Rendered(v.subject, webhook_payload(p, v.subject, digest_kind), "", [])
        else:
            out[kind] = render_channel(kind, v)
    return out


def webhook_payload(p: DigestPreview, subject: str, kind: str = "digest") -> str:
    """The JSON a webhook delivery stores (its sender adds the id and subject when it posts)."""
    doc = p.to_json()
    return json.dumps({"type": kind, "subscriber": doc.pop("subscriber"),
                       "created_at": p.now.isoformat(),
                       "since": p.since.isoformat() if p.since else None,
                       "story_count": p.story_count, **doc}, ensure_ascii=False)


def prepare(
    session: Session, sub: SubscriberSpec, entities: Mapping[str, EntityInfo], now: datetime,
    present: EvidencePresent | None = None,
) -> Prepared | None:
    """Select and render one subscriber's digest; None when there is nothing to write.
    `present`: EvidencePresent.of(session), when the caller prepares many in one transaction."""
    channels = usable_channels(session, sub.subscriber.channels, sub.id)
    if not channels:
        # Every channel disabled or opted out: assign nothing, so nothing is lost meanwhile.
        return None
    p = preview(session, sub, entities, now, present)
    if p.is_empty and not sub.subscriber.digest.send_empty:
        return None
    items = [(a.id, a.entity_ids) for a in p.articles]
    return Prepared(sub, now, channels, items, render_all(p, channels), p.since, updates=p.updates)


def prepare_instant(
    session: Session, sub: SubscriberSpec, entities: Mapping[str, EntityInfo], now: datetime,
    since: datetime,
) -> Prepared | None:
    """An instant alert: the subscriber's instant entities' articles first fetched since `since`
    (the crawl's start) and in no digest of theirs yet; None when there are none."""
    if not sub.instant_ids:
        return None
    channels = usable_channels(session, sub.subscriber.channels, sub.id)
    if not channels:
        return None
    articles = unassigned_fetched_since(session, sub.id, sub.instant_ids, since)
    if not articles:
        return None
    # The articles carry the instant entities' mentions only; the footer still lists all followed.
    p = DigestPreview(sub, entities, build_groups(articles, sub, entities), now, None)
    items = [(a.id, a.entity_ids) for a in p.articles]
    return Prepared(sub, now, channels, items, render_all(p, channels, digests.INSTANT), None,
                    kind=digests.INSTANT)


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
    digest_id = digests.add(session, sub.id, now, len(items), prep.period_start, prep.kind)
    rendered = prep.rendered
    rechecks.add_to_digest(session, digest_id, sub.id, [u.recheck_id for u in prep.updates])
    if items:
        inserted = digests.add_items(session, digest_id, sub.id, items)
        if inserted != len(items):  # lost some to another run, or count unknown (-1)
            won = digests.article_ids(session, digest_id)
            if len(won) < len(items):
                shown = sub.instant_ids if prep.kind == digests.INSTANT else sub.entity_ids
                kept = articles_by_id(session, shown, sorted(won))
                if prep.kind == digests.INSTANT:  # new finds: no age bound
                    p = DigestPreview(sub, entities, build_groups(kept, sub, entities), now, None)
                else:
                    before = (digests.instant_since(session, sub.id, prep.period_start)
                              if sub.instant_ids else [])
                    p = with_evidence(session, build_preview(kept, sub, entities, now, prep.period_start,
                                                             before), prep.updates)
                if p.is_empty and (prep.kind == digests.INSTANT or not sub.subscriber.digest.send_empty):
                    digests.remove(session, digest_id)
                    return None
                digests.set_item_count(session, digest_id, len(p.articles))
                rendered = render_all(p, prep.channels, prep.kind)
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
