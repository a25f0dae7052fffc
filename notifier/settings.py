"""Settings the notifier needs, built by the scheduler from config.yaml and the environment."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CHANNEL_TYPES = ("email", "telegram", "file")
SECURITY_MODES = ("starttls", "ssl", "none")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """Where one subscriber's digest goes: an email address list, a Telegram chat or a folder."""

    type: str
    to: str | None = None  # email: one address, or several separated by commas
    chat_id: str | None = None  # telegram: int64 as text (groups are negative)
    path: str | None = None  # file: a folder

    def __post_init__(self) -> None:
        if self.type not in CHANNEL_TYPES:
            raise ValueError(f"unknown channel type {self.type!r}")
        target = {"email": self.to, "telegram": self.chat_id, "file": self.path}[self.type]
        if not target:
            raise ValueError(f"{self.type} channel needs its target set")

    @property
    def target(self) -> str:
        return {"email": self.to, "telegram": self.chat_id, "file": self.path}[self.type] or ""

    @property
    def key(self) -> str:
        """The channel as stored in Delivery.channel and ChannelState.channel."""
        return f"{self.type}:{self.target}"

    @classmethod
    def from_key(cls, key: str) -> ChannelSpec:
        kind, _, target = key.partition(":")
        if kind == "email":
            return cls(kind, to=target)
        if kind == "telegram":
            return cls(kind, chat_id=target)
        return cls(kind, path=target)


@dataclass(frozen=True, slots=True)
class EntityInfo:
    """A watched entity as the digest names it (matching's ids, the config's display name)."""

    id: str
    name: str
    kind: str = "person"


@dataclass(frozen=True, slots=True)
class SubscriberSpec:
    id: str
    name: str
    timezone: str
    digest_time: str  # "HH:MM" in the subscriber's timezone
    entity_ids: tuple[str, ...]  # resolved from the subscriber's watchlists, in display order
    channels: tuple[ChannelSpec, ...]
    send_empty: bool = False

    def __post_init__(self) -> None:
        if not _HHMM.match(self.digest_time):
            raise ValueError(f"digest_time {self.digest_time!r} is not HH:MM")


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "unionwatch@localhost"
    ca_file: str | None = None  # extra trust anchor, e.g. a private CA; else the system store
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.security not in SECURITY_MODES:
            raise ValueError(f"smtp security {self.security!r} is not one of {SECURITY_MODES}")
        # Credentials must never cross the wire in the clear: refuse the combination up front.
        if self.security == "none" and self.username:
            raise ValueError("smtp security 'none' with a username would send AUTH in plaintext")


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    token: str = field(repr=False)
    api_base: str = "https://api.telegram.org"
    timeout: float = 20.0


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    smtp: SmtpSettings | None = None
    telegram: TelegramSettings | None = None
    admin_email: str | None = None  # also the List-Unsubscribe mailto target
    list_id: str = "digest.unionwatch.localhost"
    admins: tuple[ChannelSpec, ...] = ()
