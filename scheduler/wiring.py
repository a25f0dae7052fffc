"""From config.yaml to the objects each package takes: the composition root's glue."""

from __future__ import annotations

import logging
import os

from matching import EntitySpec, Watchlist, compile_watchlist
from notifier.settings import (
    DeliverySettings,
    DigestOptions,
    EntityInfo,
    SmtpSettings,
    SubscriberSpec,
    TelegramSettings,
)
from scheduler.config import Config, SubscriberConfig
from storage import migrate
from storage.database import Database

log = logging.getLogger(__name__)


def watchlist(cfg: Config) -> Watchlist:
    return compile_watchlist(cfg.entities)


def database(cfg: Config) -> Database:
    """The configured database as it is (nothing connects yet)."""
    return Database(cfg.database.url, busy_timeout=cfg.database.busy_timeout_seconds)


def open_database(cfg: Config) -> Database:
    """Open the configured database, bringing its schema up to date first."""
    db = database(cfg)
    if not migrate.is_current(db):
        log.info("upgrading database schema to %s", migrate.head_revision(db))
        migrate.upgrade(db)
    return db


def open_database_to_read(cfg: Config) -> Database:
    """Open the configured database as it is: never created, never migrated.

    Raises storage.migrate.NotReady, a one-line reason, if it does not exist or is not at the
    schema this version needs (`status` and `search` only read).
    """
    return migrate.open_current(cfg.database.url, busy_timeout=cfg.database.busy_timeout_seconds)


def subscriber_spec(cfg: Config, sub: SubscriberConfig) -> SubscriberSpec:
    """The subscriber with their watchlists resolved to entity ids, in the config's order."""
    lists = {w.id: w.description or w.id for w in cfg.watchlists}
    options = DigestOptions(source_names=source_names(cfg),
                            lists=tuple(lists.get(w, w) for w in sub.watchlists))
    return SubscriberSpec(sub, tuple(dict.fromkeys(e.id for e in cfg.entities_of(sub))), options)


def source_names(cfg: Config) -> dict[str, str]:
    """Source id -> the name people read (`sources[].name`, else the id)."""
    return {s.id: s.name or s.id for s in cfg.sources}


def short_name(e: EntitySpec) -> str:
    """How a subject line names an entity: a person's surname, an organisation's acronym."""
    if e.kind == "person":
        return e.name.split()[-1] if e.name.split() else e.name
    acronyms = [a for a in e.aliases if a.isupper() and " " not in a and a.isascii()]
    return min(acronyms, key=len) if acronyms else e.name


def entity_infos(cfg: Config) -> dict[str, EntityInfo]:
    return {e.id: EntityInfo(id=e.id, name=e.name, kind=e.kind, short=short_name(e))
            for e in cfg.entities}


def delivery_settings(cfg: Config) -> DeliverySettings:
    """Delivery settings with secrets read from the environment variables config names."""
    d = cfg.delivery
    smtp = None
    if d.smtp is not None:
        password = os.environ.get(d.smtp.password_env) if d.smtp.password_env else None
        smtp = SmtpSettings(d.smtp, password)
    telegram = None
    if d.telegram is not None:
        telegram = TelegramSettings(d.telegram, os.environ.get(d.telegram.token_env, ""))
    admins = tuple(c for a in cfg.admins for c in a.channels)
    return DeliverySettings(smtp=smtp, telegram=telegram, admin_email=d.unsubscribe_mailto,
                            list_id=d.list_id, admins=admins, send_timeout=d.send_timeout)
