"""Instant alerts: right after a crawl has been matched, its finds about a subscriber's chosen
entities, in one alert per subscriber, through the same outbox as digests.

An article so sent is assigned (digest_item) to the alert, so the next scheduled digest does
not repeat it; that digest names it in one "already sent" line instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from notifier import assign
from notifier.digest import DEFAULT_MESSAGE_DOMAIN
from notifier.settings import EntityInfo, SubscriberSpec
from storage.database import Database


def create_instant_alerts(
    db: Database, subscribers: Sequence[SubscriberSpec], entities: Mapping[str, EntityInfo],
    now: datetime, since: datetime, *, message_domain: str = DEFAULT_MESSAGE_DOMAIN,
) -> dict[str, int]:
    """Queue an instant alert for each subscriber with new articles (fetched since `since`) about
    their instant entities; {subscriber id: digest id} of those queued."""
    out: dict[str, int] = {}
    for sub in subscribers:
        if not sub.instant_ids:
            continue
        with db.write() as session:  # one transaction each: select, assign, queue
            prep = assign.prepare_instant(session, sub, entities, now, since)
            digest_id = None if prep is None else assign.write(session, prep, entities, message_domain)
        if digest_id is not None:
            out[sub.id] = digest_id
    return out
