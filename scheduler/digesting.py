"""Digests from the scheduler's side: which subscribers, when, through which senders."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from matching import Watchlist
from notifier.alerts import AdminAlert, build_alerts, send_alerts
from notifier.batch import create_digests
from notifier.channels.base import Sender
from notifier.digest import DEFAULT_MESSAGE_DOMAIN, create_digest, preview_digest, write_preview
from notifier.outbox import DeliveryReport, deliver_pending
from notifier.senders import open_senders
from notifier.settings import ChannelType, DeliverySettings
from scheduler.config import Config, SubscriberConfig
from scheduler.output import console, print_json
from scheduler.pipeline import refresh_matches
from scheduler.triggers import digest_look_back, digest_trigger, last_fire_time
from scheduler.wiring import delivery_settings, entity_infos, open_database, subscriber_spec
from storage import articles, digest_runs, mentions, outbox
from storage.database import Database
from storage.types import utcnow

log = logging.getLogger(__name__)
BATCH_WORKERS_FROM = 500
# Further back than any daily digest's latest due time: what was served before does not matter.
MISSED_LOOK_BACK = timedelta(days=3)
WEEKLY_LOOK_BACK = timedelta(days=10)  # the same, with weekly digests in the config
Clock = Callable[[], float]


def message_domain(cfg: Config) -> str:
    """The right-hand side of Message-IDs: the sender's own domain, as mail servers prefer."""
    smtp = cfg.delivery.smtp
    if smtp is not None:
        addr = parseaddr(smtp.sender)[1]
        if "@" in addr:
            return addr.rsplit("@", 1)[1].lower()
    return DEFAULT_MESSAGE_DOMAIN


def _subscribers(cfg: Config, only: str | None) -> list[SubscriberConfig]:
    return [s for s in cfg.subscribers if only is None or s.id == only]


def deliver_outbox(
    cfg: Config, db: Database, now: datetime | None = None, *, clock: Clock = time.monotonic
) -> DeliveryReport:
    """Send what is due in the outbox at `now`, then tell the admins what needs their attention.

    One pass: the secrets are read and the senders opened once, for the outbox and the alerts.
    """
    settings = delivery_settings(cfg)
    with open_senders(settings) as senders:
        report = deliver_pending(db, senders, now or utcnow(), clock=clock,
                                 claim_ttl=timedelta(seconds=cfg.delivery.claim_timeout))
        _alert(build_alerts(report), settings, senders)
    return report


def alert_admins(cfg: Config, subject: str, text: str) -> None:
    settings = delivery_settings(cfg)
    with open_senders(settings) as senders:
        _alert([AdminAlert("config", f"unionwatch: {subject}", text)], settings, senders)


def _alert(alerts: list[AdminAlert], settings: DeliverySettings,
           senders: Mapping[ChannelType, Sender]) -> None:
    """Send each alert to the admins and log it once, with where it went (its lines are logged
    where they happened: the deliveries by the outbox, source problems by their check)."""
    if not alerts:
        return
    failures = send_alerts(alerts, settings.admins, senders) if settings.admins else []
    to = ", ".join(str(a.key) for a in settings.admins) or "no one: config.yaml has no admins"
    for a in alerts:
        log.warning("admin alert: %s (to %s)", a.subject, to)
    for failure in failures:
        log.error("admin alert not delivered: %s", failure)


def digest_and_deliver(
    cfg: Config, db: Database, subscriber_id: str, wl: Watchlist | None = None, *, sync: bool = True
) -> int | None:
    """The scheduled digest job of one subscriber."""
    sub = next((s for s in cfg.subscribers if s.id == subscriber_id), None)
    if sub is None:
        return None
    refresh_matches(cfg, db, wl, sync=sync)
    digest_id = create_digest(db, subscriber_spec(cfg, sub), entity_infos(cfg), utcnow(),
                              message_domain=message_domain(cfg))
    if digest_id is not None:
        deliver_outbox(cfg, db)
    return digest_id


def last_due(sub: SubscriberConfig, now: datetime) -> datetime | None:
    """The most recent moment at or before now when this subscriber's digest was due.

    Asked of the very trigger the service schedules the digest with.
    """
    return last_fire_time(digest_trigger(sub), now, digest_look_back(sub))


def missed_digests(
    cfg: Config, db: Database, now: datetime, down_since: datetime | None
) -> dict[str, datetime]:
    """The digest times, by subscriber, that fell while the service was down (after down_since,
    its last heartbeat) and were not served: each is caught up once.

    One run serves every time missed, so only the latest is asked about. Without a heartbeat
    the service never ran on this database: nothing was missed.
    """
    if down_since is None:
        return {}
    weekly = any(s.digest.weekday for s in cfg.subscribers)
    served = digest_runs.last_due(db, now - (WEEKLY_LOOK_BACK if weekly else MISSED_LOOK_BACK))
    out = {}
    for sub in cfg.subscribers:
        due, last = last_due(sub, now), served.get(sub.id)
        if due is not None and due > down_since and (last is None or last < due):
            out[sub.id] = due
    return out


def run_digests(cfg: Config, only: str | None, *, dry_run: bool, preview: Path | None,
                json_out: bool, quiet: bool = False, now: datetime | None = None,
                clock: Clock = time.monotonic) -> int:
    """`unionwatch digest`: build each subscriber's digest at `now` and send the outbox."""
    db = open_database(cfg)
    try:
        refresh_matches(cfg, db)
        entities = entity_infos(cfg)
        subs = _subscribers(cfg, only)
        outbox_now = now  # None: the outbox pass reads the clock when it starts
        now = now or utcnow()
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
        report = deliver_outbox(cfg, db, outbox_now, clock=clock)
        rows = _delivery_rows(db, [d for d in created.values() if d is not None])
        if json_out and not quiet:
            print_json({"digests": created, "sent": report.sent, "retrying": report.retrying,
                        "failed": report.failed, "deliveries": rows})
        elif not quiet:
            table = Table("subscriber", "digest", "items", "channel", "state", "why", title="digests")
            for r in rows:
                why = r["error"] or ""
                if r["state"] == "retrying" and r["next_attempt_at"]:
                    why += f" (next attempt {r['next_attempt_at']:%Y-%m-%d %H:%M} UTC)"
                table.add_row(r["subscriber"], str(r["digest"]), str(r["items"]), r["channel"],
                              r["state"], escape(why))
            for sid, did in created.items():
                if did is None:
                    table.add_row(sid, "-", "0", "-", "nothing new")
            console.print(table)
        # Exit 1 when something failed for good, or when nothing could be delivered at all.
        return 1 if report.failed or (report.retrying and not report.sent) else 0
    finally:
        db.dispose()


def _delivery_rows(db: Database, digest_ids: list[int]) -> list[dict[str, Any]]:
    with db.read() as s:
        lines = outbox.lines_of(s, digest_ids)
    return [{"digest": r.digest_id, "subscriber": r.subscriber_id, "items": r.item_count,
             "channel": r.channel, "state": r.state.value, "error": r.last_error,
             "next_attempt_at": r.next_attempt_at} for r in lines]


def summarise_database(cfg: Config) -> dict[str, Any]:
    """Counts for the demo's closing summary."""
    db = open_database(cfg)
    try:
        with db.read() as s:
            by_language = articles.count_by_language(s)
            ents = mentions.articles_per_entity(s)
        langs = {str(lang or "?"): n for lang, n in by_language.items()}
        return {"articles": sum(by_language.values()),
                "languages": dict(sorted(langs.items())),
                "entities": {e.id: ents.get(e.id, 0) for e in cfg.entities}}
    finally:
        db.dispose()
