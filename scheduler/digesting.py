"""Digests from the scheduler's side: which subscribers, when, through which senders."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table
from sqlalchemy import func, select

from matching import Watchlist
from notifier.alerts import build_alerts, send_alerts
from notifier.batch import create_digests
from notifier.channels.base import Sender
from notifier.channels.email import EmailSender
from notifier.channels.file import FileSender
from notifier.channels.telegram import TelegramSender
from notifier.digest import DEFAULT_MESSAGE_DOMAIN, create_digest, preview_digest, write_preview
from notifier.outbox import DeliveryReport, deliver_pending
from scheduler.config import Config, SubscriberConfig
from scheduler.output import console, print_json
from scheduler.pipeline import refresh_matches
from scheduler.wiring import delivery_settings, entity_infos, open_database, subscriber_spec
from storage.database import Database
from storage.models import Article, Delivery, Digest, Mention
from storage.types import utcnow

log = logging.getLogger(__name__)
BATCH_WORKERS_FROM = 500


def make_senders(cfg: Config) -> dict[str, Sender]:
    """One sender per channel type that config can deliver to."""
    ds = delivery_settings(cfg)
    sender_addr = ds.smtp.sender if ds.smtp else "unionwatch@localhost"
    senders: dict[str, Sender] = {"file": FileSender(sender=sender_addr, list_id=ds.list_id)}
    if ds.smtp is not None:
        senders["email"] = EmailSender(ds.smtp, list_id=ds.list_id, unsubscribe=ds.admin_email)
    if ds.telegram is not None and ds.telegram.token:
        senders["telegram"] = TelegramSender(ds.telegram)
    return senders


def message_domain(cfg: Config) -> str:
    """The right-hand side of Message-IDs: the sender's own domain, as mail servers prefer."""
    smtp = cfg.delivery.smtp
    if smtp is not None:
        addr = parseaddr(smtp.from_)[1]
        if "@" in addr:
            return addr.rsplit("@", 1)[1].lower()
    return DEFAULT_MESSAGE_DOMAIN


def _subscribers(cfg: Config, only: str | None) -> list[SubscriberConfig]:
    return [s for s in cfg.subscribers if only is None or s.id == only]


def deliver_outbox(cfg: Config, db: Database) -> DeliveryReport:
    """Send what is due in the outbox, then tell the admins what needs their attention."""
    report = deliver_pending(db, make_senders(cfg), utcnow(),
                             claim_ttl=timedelta(seconds=cfg.delivery.claim_timeout))
    alerts = build_alerts(report)
    admins = delivery_settings(cfg).admins
    if alerts and admins:
        for failure in send_alerts(alerts, admins, make_senders(cfg)):
            log.error("admin alert not delivered: %s", failure)
    for a in alerts:
        log.warning("%s\n%s", a.subject, a.text)
    return report


def alert_admins(cfg: Config, db: Database, subject: str, text: str) -> None:
    from notifier.alerts import AdminAlert

    admins = delivery_settings(cfg).admins
    if admins:
        send_alerts([AdminAlert("config", f"unionwatch: {subject}", text)], admins, make_senders(cfg))


def digest_and_deliver(
    cfg: Config, db: Database, subscriber_id: str, wl: Watchlist | None = None
) -> int | None:
    """The scheduled digest job of one subscriber."""
    sub = next((s for s in cfg.subscribers if s.id == subscriber_id), None)
    if sub is None:
        return None
    refresh_matches(cfg, db, wl)
    digest_id = create_digest(db, subscriber_spec(cfg, sub), entity_infos(cfg), utcnow(),
                              message_domain=message_domain(cfg))
    if digest_id is not None:
        deliver_outbox(cfg, db)
    return digest_id


def _last_fire(sub: SubscriberConfig, now: datetime) -> datetime:
    """The most recent moment at or before now when this subscriber's digest was due."""
    tz = ZoneInfo(sub.timezone)
    hour, minute = (int(x) for x in sub.digest.time.split(":"))
    local = now.astimezone(tz)
    due = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if due > local:
        due = (local - timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return due.astimezone(UTC)


def missed_digests(cfg: Config, db: Database, now: datetime) -> list[str]:
    """Subscribers whose last digest is older than their last due time: catch up once.

    A subscriber who never had a digest is not caught up: their first comes at its time.
    """
    out = []
    with db.read() as s:
        last = {r[0]: r[1] for r in s.execute(select(Digest.subscriber_id, func.max(Digest.created_at))
                                              .group_by(Digest.subscriber_id))}
    for sub in cfg.subscribers:
        prev = last.get(sub.id)
        if prev is not None and prev < _last_fire(sub, now):
            out.append(sub.id)
    return out


def run_digests(cfg: Config, only: str | None, *, dry_run: bool, preview: Path | None,
                json_out: bool, quiet: bool = False) -> int:
    db = open_database(cfg)
    try:
        refresh_matches(cfg, db)
        entities = entity_infos(cfg)
        subs = _subscribers(cfg, only)
        now = utcnow()
        if dry_run or preview is not None:
            previews = [preview_digest(db, subscriber_spec(cfg, s), entities, now) for s in subs]
            if preview is not None:
                for p in previews:
                    target = preview if len(previews) == 1 else preview.with_name(
                        f"{preview.stem}-{p.subscriber.id}{preview.suffix or '.html'}")
                    write_preview(p, target)
                    if not json_out:
                        console.print(f"preview of {p.subscriber.id}'s digest → {target}", highlight=False)
            if json_out:
                print_json([p.to_json() for p in previews])
            elif dry_run:
                for p in previews:
                    console.print(f"[bold]{p.subscriber.id}[/]: {len(p.articles)} articles "
                                  f"in {p.story_count} stories (nothing marked as sent)", highlight=False)
                    for a in p.articles:
                        console.print(f"  • {a.title} [dim]({a.source}, {', '.join(a.entity_ids)})[/]",
                                      highlight=False)
            return 0
        # Render processes pay for their start-up only with many subscribers.
        workers = min(2, os.cpu_count() or 1) if len(subs) >= BATCH_WORKERS_FROM else 0
        created = create_digests(db, [subscriber_spec(cfg, s) for s in subs], entities, now,
                                 workers=workers, message_domain=message_domain(cfg))
        report = deliver_outbox(cfg, db)
        rows = _delivery_rows(db, [d for d in created.values() if d is not None])
        if json_out and not quiet:
            print_json({"digests": created, "sent": report.sent, "retrying": report.retrying,
                        "failed": report.failed, "deliveries": rows})
        elif not quiet:
            table = Table("subscriber", "digest", "items", "channel", "state", title="digests")
            for r in rows:
                table.add_row(r["subscriber"], str(r["digest"]), str(r["items"]), r["channel"],
                              r["state"])
            for sid, did in created.items():
                if did is None:
                    table.add_row(sid, "-", "0", "-", "nothing new")
            console.print(table)
        return 1 if report.failed else 0
    finally:
        db.dispose()


def _delivery_rows(db: Database, digest_ids: list[int]) -> list[dict[str, Any]]:
    if not digest_ids:
        return []
    with db.read() as s:
        q = (select(Digest.id, Digest.subscriber_id, Digest.item_count, Delivery.channel,
                    Delivery.state, Delivery.last_error)
             .join(Delivery, Delivery.digest_id == Digest.id).where(Digest.id.in_(digest_ids))
             .order_by(Digest.id, Delivery.channel))
        return [{"digest": r.id, "subscriber": r.subscriber_id, "items": r.item_count,
                 "channel": r.channel, "state": r.state, "error": r.last_error} for r in s.execute(q)]


def summarise_database(cfg: Config) -> dict[str, Any]:
    """Counts for the demo's closing summary."""
    db = open_database(cfg)
    try:
        with db.read() as s:
            articles = s.scalar(select(func.count()).select_from(Article)) or 0
            langs = {str(r[0] or "?"): int(r[1]) for r in s.execute(
                select(Article.language, func.count()).group_by(Article.language))}
            ents = {r[0]: int(r[1]) for r in s.execute(
                select(Mention.entity_id, func.count(func.distinct(Mention.article_id)))
                .group_by(Mention.entity_id))}
        return {"articles": articles,
                "languages": dict(sorted(langs.items())),
                "entities": {e.id: ents.get(e.id, 0) for e in cfg.entities}}
    finally:
        db.dispose()
