"""From config.yaml to the objects each package takes: the composition root's glue."""

from __future__ import annotations

import logging
import os

from matching import EntitySpec, Watchlist, compile_watchlist
from notifier.settings import (
    ChannelSpec,
    DeliverySettings,
    EntityInfo,
    SmtpSettings,
    SubscriberSpec,
    TelegramSettings,
)
from scheduler.config import ChannelConfig, Config, EntityConfig, SubscriberConfig
from storage import migrate
from storage.database import Database

log = logging.getLogger(__name__)


def entity_spec(e: EntityConfig) -> EntitySpec:
    return EntitySpec(
        id=e.id,
        kind=e.kind,
        name=e.name,
        aliases=tuple(e.aliases),
        match=e.match or "surname",
        exclude=tuple(e.exclude),
        groups=tuple(tuple(g) for g in e.groups),
    )


def entity_specs(cfg: Config) -> list[EntitySpec]:
    return [entity_spec(e) for e in cfg.entities]


def watchlist(cfg: Config) -> Watchlist:
    return compile_watchlist(entity_specs(cfg))


def open_database(cfg: Config, *, upgrade: bool = True) -> Database:
    """Open the configured database, bringing its schema up to date first."""
    db = Database(cfg.database.url)
    if upgrade and not migrate.is_current(db):
        log.info("upgrading database schema to %s", migrate.head_revision(db))
        migrate.upgrade(db)
    return db


def channel_spec(c: ChannelConfig) -> ChannelSpec:
    chat = str(c.chat_id) if c.chat_id is not None else None
    return ChannelSpec(type=c.type, to=c.to, chat_id=chat, path=c.path)


def subscriber_spec(cfg: Config, sub: SubscriberConfig) -> SubscriberSpec:
    seen: dict[str, None] = {}
    for e in cfg.entities_of(sub):
        seen.setdefault(e.id)
    return SubscriberSpec(
        id=sub.id,
        name=sub.name or sub.id,
        timezone=sub.timezone,
        digest_time=sub.digest.time,
        entity_ids=tuple(seen),
        channels=tuple(channel_spec(c) for c in sub.channels),
        send_empty=sub.digest.send_empty,
    )


def entity_infos(cfg: Config) -> dict[str, EntityInfo]:
    return {e.id: EntityInfo(id=e.id, name=e.name, kind=e.kind) for e in cfg.entities}


def delivery_settings(cfg: Config) -> DeliverySettings:
    """Delivery settings with secrets read from the environment variables config names."""
    d = cfg.delivery
    smtp = None
    if d.smtp is not None:
        password = os.environ.get(d.smtp.password_env) if d.smtp.password_env else None
        smtp = SmtpSettings(host=d.smtp.host, port=d.smtp.port, security=d.smtp.security,
                            username=d.smtp.username, password=password, sender=d.smtp.from_,
                            ca_file=d.smtp.ca_file, timeout=d.smtp.timeout)
    telegram = None
    if d.telegram is not None:
        token = os.environ.get(d.telegram.token_env, "")
        telegram = TelegramSettings(token=token, api_base=d.telegram.api_base)
    admins = tuple(channel_spec(c) for a in cfg.admins for c in a.channels)
    return DeliverySettings(smtp=smtp, telegram=telegram, admin_email=d.unsubscribe_mailto,
                            list_id=d.list_id, admins=admins)
