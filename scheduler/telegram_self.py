"""Telegram self-service wired to the service: who a chat is, from the config in force."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from notifier.settings import ChannelType, TelegramSettings
from notifier.telegram_bot import BotPoller, Follow
from scheduler.config import Config, SubscriberConfig
from scheduler.triggers import digest_trigger
from scheduler.wiring import instant_entity_ids
from storage.database import Database
from storage.types import utcnow

log = logging.getLogger(__name__)
DAYS = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
        "sat": "Saturday", "sun": "Sunday"}


def next_digest(sub: SubscriberConfig, now: datetime) -> str:
    """When the subscriber's next digest is due, on their wall clock:
    '2026-12-03 08:00 Asia/Almaty (daily)'."""
    fire = digest_trigger(sub).get_next_fire_time(None, now)
    if fire is None:
        return "not scheduled"
    local = fire.astimezone(ZoneInfo(sub.timezone))
    day = sub.digest.weekday
    every = f"weekly, on {DAYS[day]}" if day else "daily"
    return f"{local:%Y-%m-%d %H:%M} {sub.timezone} ({every})"


class ConfigDirectory:
    """Chats as config.yaml knows them, read from the config in force at each question."""

    def __init__(self, config: Callable[[], Config], clock: Callable[[], datetime] = utcnow) -> None:
        self.config = config
        self.clock = clock

    def follows(self, channel_keys: Sequence[str]) -> list[Follow]:
        cfg = self.config()
        names = {e.id: e.name for e in cfg.entities}
        wanted = set(channel_keys)
        out = []
        for sub in cfg.subscribers:
            for c in sub.channels:
                if c.type is ChannelType.TELEGRAM and str(c.key) in wanted:
                    out.append(Follow(
                        sub.id, sub.display_name, str(c.key),
                        tuple(dict.fromkeys(e.name for e in cfg.entities_of(sub))),
                        next_digest(sub, self.clock()),
                        tuple(names.get(e, e) for e in instant_entity_ids(cfg, sub)),
                        sub.language,
                    ))
        return out


def bot_settings(cfg: Config) -> TelegramSettings | None:
    """The bot to poll for, when the config has one, with its token set, and self-service on."""
    tg = cfg.delivery.telegram
    if tg is None or not tg.self_service:
        return None
    token = os.environ.get(tg.token_env, "")
    return TelegramSettings(tg, token) if token else None


def start_poller(cfg: Config, config: Callable[[], Config], db: Database, owner: str,
                 stop: threading.Event) -> tuple[BotPoller, threading.Thread] | None:
    """Run the bot's poller in a thread until `stop` is set (None: nothing to poll for)."""
    settings = bot_settings(cfg)
    if settings is None:
        return None
    poller = BotPoller(db, settings, ConfigDirectory(config), owner)
    thread = threading.Thread(target=poller.run, args=(stop,), name="telegram-poll", daemon=True)
    thread.start()
    log.info("Telegram self-service: answering /start, /stop and /status (one poller per bot, "
             "lease %s)", poller.lease)
    return poller, thread
