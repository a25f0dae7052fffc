"""Instant alerts from the scheduler's side: after a crawl has been matched, queue and send them."""

from __future__ import annotations

import logging
from datetime import datetime

from notifier.instant import create_instant_alerts
from scheduler.config import Config
from scheduler.wiring import entity_infos, subscriber_spec
from storage.database import Database
from storage.types import utcnow

log = logging.getLogger(__name__)


def send_instant_alerts(cfg: Config, db: Database, since: datetime) -> dict[str, int]:
    """Alerts for what was fetched since `since` (the crawl's start), then an outbox pass;
    {subscriber id: alert digest id} of those queued."""
    from scheduler.digesting import deliver_outbox, message_domain

    subs = [subscriber_spec(cfg, s) for s in cfg.subscribers if s.instant]
    if not subs:
        return {}
    created = create_instant_alerts(db, subs, entity_infos(cfg), utcnow(), since,
                                    message_domain=message_domain(cfg))
    for sub_id, digest_id in created.items():
        log.info("instant alert %s queued for %s", digest_id, sub_id)
    if created:
        deliver_outbox(cfg, db)
    return created
