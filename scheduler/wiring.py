"""From config.yaml to the objects each package takes: the composition root's glue."""

from __future__ import annotations

import logging
import os

from matching import EntitySpec, Watchlist, compile_watchlist
from matching.translit import has_kazakh_letter
from notifier.links import WebLinks
from notifier.settings import (
    ChannelType,
    DeliverySettings,
    DigestOptions,
    EntityInfo,
    SmtpSettings,
    SubscriberSpec,
    TelegramSettings,
    WebhookTarget,
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
                            lists=tuple(lists.get(w, w) for w in sub.watchlists), web=web_links(cfg))
    return SubscriberSpec(sub, tuple(dict.fromkeys(e.id for e in cfg.entities_of(sub))), options,
                          instant_ids=instant_entity_ids(cfg, sub))


def source_names(cfg: Config) -> dict[str, str]:
    """Source id -> the name people read (`sources[].name`, else the id)."""
    return {s.id: s.name or s.id for s in cfg.sources}


def _acronym(name: str) -> bool:
    return " " not in name and name.isupper()


def _script(name: str) -> str:
    """The language whose readers write a name so: Kazakh letters, else Cyrillic, else Latin."""
    if has_kazakh_letter(name):
        return "kk"
    return "ru" if any("\u0400" <= c <= "\u04ff" for c in name) else "en"


def _short(e: EntitySpec, name: str, acronyms: list[str]) -> str:
    if e.kind == "person":
        return name.split()[-1] if name.split() else name
    return min(acronyms, key=len) if acronyms else name


def short_name(e: EntitySpec) -> str:
    """How a subject line names an entity: a person's surname, an organisation's acronym."""
    return _short(e, e.name, [a for a in e.aliases if _acronym(a) and a.isascii()])


def local_names(e: EntitySpec) -> tuple[tuple[str, str, str], ...]:
    """The entity's name and short name for Kazakh and Russian readers, from its aliases: the
    first written in their script (a Kazakh reader reads Russian spelling before Latin)."""
    out = []
    for lang, scripts in (("ru", ("ru",)), ("kk", ("kk", "ru"))):
        for script in scripts:
            names = [a for a in (e.name, *e.aliases) if _script(a) == script and not _acronym(a)]
            acronyms = [a for a in e.aliases if _script(a) == script and _acronym(a)]
            if names:
                out.append((lang, names[0], _short(e, names[0], acronyms)))
                break
    return tuple(out)


def instant_entity_ids(cfg: Config, sub: SubscriberConfig) -> tuple[str, ...]:
    """The entities of `subscribers[].instant`: each a watchlist's entities, or one entity."""
    lists = {w.id: [e.id for e in w.entities] for w in cfg.watchlists}
    out: dict[str, None] = {}
    for ref in sub.instant:
        out.update(dict.fromkeys(lists.get(ref, [ref])))
    return tuple(out)


def entity_infos(cfg: Config) -> dict[str, EntityInfo]:
    return {e.id: EntityInfo(id=e.id, name=e.name, kind=e.kind, short=short_name(e),
                             local=local_names(e))
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
    channels = [c for s in cfg.subscribers for c in s.channels] + list(admins)
    apprise = {c.url_env: os.environ.get(c.url_env, "") for c in channels
               if c.type is ChannelType.APPRISE and c.url_env}
    hooks = {c.url_env: WebhookTarget(os.environ.get(c.url_env, ""), os.environ.get(c.secret_env, ""))
             for c in channels if c.type is ChannelType.WEBHOOK and c.url_env and c.secret_env}
    return DeliverySettings(smtp=smtp, telegram=telegram, admin_email=d.unsubscribe_mailto,
                            list_id=d.list_id, admins=admins, send_timeout=d.send_timeout,
                            apprise_urls=apprise, webhooks=hooks, web=web_links(cfg))


def web_links(cfg: Config) -> WebLinks | None:
    """Links into `unionwatch web` for the digests: only with web.base_url and its signing key set
    (a link signed with a key the web does not have would not open)."""
    secret = os.environ.get(cfg.web.secret_env, "")
    if not cfg.web.base_url or not secret:
        return None
    return WebLinks(cfg.web.base_url, secret.encode(), cfg.web.link_days)
