"""What the notifier takes from config.yaml: subscribers, their channels, SMTP and Telegram.

Each model states its rules once; scheduler/config.py validates config.yaml with these very
models. Secrets are not in them: the config names an environment variable, and the settings
built from it (SmtpSettings, TelegramSettings) carry the value read from there.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from notifier.i18n import DEFAULT_LANGUAGE, Language
from notifier.links import WebLinks
from storage.types import TimeZone

FROZEN = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CHAT = re.compile(r"-?\d+|@[A-Za-z0-9_]{5,}")
_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


class ChannelType(StrEnum):
    EMAIL = "email"
    TELEGRAM = "telegram"
    FILE = "file"
    APPRISE = "apprise"  # any service Apprise knows (Slack, Matrix, Discord, ntfy, ...)
    WEBHOOK = "webhook"  # a signed JSON POST for other systems


class ChannelKey(str):
    """A channel as Delivery.channel and ChannelState.channel store it: "type:target".

    The stored string itself (equal to it, stored and hashed as it), whose parts are read in
    one place. Email targets may list several addresses, comma-separated; Telegram targets are
    chat ids (negative for groups) or @channel names; file targets are folders; apprise and
    webhook targets are the name of the environment variable holding the (secret) URL.
    """

    __slots__ = ()

    def __new__(cls, key: str) -> ChannelKey:
        kind, sep, target = key.partition(":")
        if not sep or not target or kind not in _CHANNEL_TYPES:
            raise ValueError(f"channel key {key!r} is not 'type:target'")
        return super().__new__(cls, key)

    @classmethod
    def of(cls, kind: ChannelType, target: str) -> ChannelKey:
        return cls(f"{kind.value}:{target}")

    @staticmethod
    def prefix(kind: ChannelType) -> str:
        """What every key of this channel type starts with."""
        return f"{kind.value}:"

    @property
    def type(self) -> ChannelType:
        return ChannelType(self.partition(":")[0])

    @property
    def target(self) -> str:
        return self.partition(":")[2]


_CHANNEL_TYPES = frozenset(t.value for t in ChannelType)


def _chat_id(value: Any) -> Any:
    # YAML reads a bare chat id as an int; it is kept as text (int64, groups negative).
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _one_line(value: str) -> str:
    """Text bound for a mail header or an SMTP command: no CR, LF, NUL or other control.

    CR/LF would forge headers (or make every send fail); NUL truncates at the relay.
    """
    bad = next((c for c in value if unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        raise ValueError(f"contains the control character U+{ord(bad):04X}; it must be one plain line")
    return value


HeaderText = Annotated[str, AfterValidator(_one_line)]


class Frozen(BaseModel):
    model_config = FROZEN


_TARGET_FIELD = {ChannelType.EMAIL: "to", ChannelType.TELEGRAM: "chat_id", ChannelType.FILE: "path",
                 ChannelType.APPRISE: "url_env", ChannelType.WEBHOOK: "url_env"}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _env_name(value: str | None) -> str | None:
    if value is not None and not _ENV_NAME.fullmatch(value):
        raise ValueError(f"'{value}' is not an environment variable name")
    return value


EnvVar = Annotated[str | None, AfterValidator(_env_name)]


def _a(kind: ChannelType) -> str:
    return f"{'an' if kind.value[0] in 'aeiou' else 'a'} {kind.value}"


class ChannelSpec(Frozen):
    """Where one subscriber's digest (or an admin's alerts) go: addresses, a chat or a folder."""

    type: ChannelType
    to: HeaderText | None = None  # email: one address, or several separated by commas
    chat_id: Annotated[str | None, BeforeValidator(_chat_id)] = None
    path: HeaderText | None = None  # file: a folder
    # apprise, webhook: the environment variable holding the URL (it often embeds a token)
    url_env: EnvVar = None
    secret_env: EnvVar = None  # webhook: the environment variable holding the signing key

    @model_validator(mode="after")
    def _fields(self) -> ChannelSpec:
        need = _TARGET_FIELD[self.type]
        if getattr(self, need) in (None, ""):
            raise ValueError(f"{_a(self.type)} channel needs '{need}'")
        if self.type is ChannelType.WEBHOOK and not self.secret_env:
            raise ValueError("a webhook channel needs 'secret_env' (the environment variable "
                             "holding the key its requests are signed with)")
        fields = [*dict.fromkeys(_TARGET_FIELD.values())]
        if self.type is not ChannelType.WEBHOOK:
            fields.append("secret_env")
        extra = [f for f in fields if f != need and getattr(self, f) is not None]
        if extra:
            raise ValueError(f"{_a(self.type)} channel takes '{need}', not {', '.join(extra)}")
        if self.type is ChannelType.EMAIL:
            for addr in (self.to or "").split(","):
                if not _EMAIL.fullmatch(addr.strip()):
                    raise ValueError(f"'{addr.strip()}' is not an email address")
        if self.type is ChannelType.TELEGRAM and not _CHAT.fullmatch(self.chat_id or ""):
            raise ValueError(f"chat_id '{self.chat_id}' is neither a number nor an @channel name")
        return self

    @property
    def target(self) -> str:
        return str(getattr(self, _TARGET_FIELD[self.type]))

    @property
    def key(self) -> ChannelKey:
        return ChannelKey.of(self.type, self.target)


@dataclass(frozen=True, slots=True)
class EntityInfo:
    """A watched entity as the digest names it (matching's ids, the config's display name)."""

    id: str
    name: str
    kind: str = "person"
    short: str = ""  # how a subject line names it: a person's surname, an organisation's acronym
    # (language, name, short) as readers of that language write it: "Амин Елеусинов".
    local: tuple[tuple[str, str, str], ...] = ()

    @property
    def label(self) -> str:
        return self.short or self.name

    def name_in(self, lang: str) -> str:
        return next((n for code, n, _ in self.local if code == lang), self.name)

    def label_in(self, lang: str) -> str:
        return next((s for code, _, s in self.local if code == lang and s), self.label)


def _digest_time(value: Any) -> Any:
    """'HH:MM' (or 'H:MM'), 24-hour, to a time; a time passes as it is."""
    if isinstance(value, dt.time):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a valid string")
    m = _HHMM.fullmatch(value.strip())
    if not m:
        raise ValueError(f"time '{value}' is not HH:MM (24-hour)")
    return dt.time(int(m.group(1)), int(m.group(2)))


DigestTime = Annotated[dt.time, BeforeValidator(_digest_time)]  # local wall-clock time


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class DigestEvery(StrEnum):
    DAY = "day"
    WEEK = "week"


def _weekday(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower()[:3] in WEEKDAYS:
        return value.strip().lower()[:3]
    raise ValueError(f"day '{value}' is not a weekday (mon, tue, wed, thu, fri, sat, sun)")


Weekday = Annotated[str, BeforeValidator(_weekday)]


class DigestSchedule(Frozen):
    time: DigestTime = dt.time(8, 0)
    send_empty: bool = False  # send "nothing new today" rather than nothing
    # Matches published longer ago than this are counted ("N older matches not shown"), not
    # listed: a whole-archive rematch must not flood the next digest. None: no bound.
    max_age_days: int | None = Field(14, ge=1, le=36500)
    every: DigestEvery = DigestEvery.DAY  # a daily or a weekly digest
    day: Weekday | None = None  # the weekly digest's day (local); default Monday

    @model_validator(mode="after")
    def _day_is_weekly(self) -> DigestSchedule:
        if self.day is not None and self.every is not DigestEvery.WEEK:
            raise ValueError(f"day '{self.day}' is for weekly digests: add 'every: week', or remove day")
        return self

    @property
    def weekday(self) -> str | None:
        """The weekly digest's day ("mon".."sun"); None for a daily digest."""
        return (self.day or "mon") if self.every is DigestEvery.WEEK else None


class Subscriber(Frozen):
    """A subscriber as config.yaml defines them (the scheduler resolves their watchlists)."""

    id: str = Field(min_length=1)
    name: str = ""
    timezone: TimeZone = "UTC"
    language: Language = DEFAULT_LANGUAGE  # of the digest's fixed text, dates and subject
    digest: DigestSchedule = DigestSchedule()
    channels: list[ChannelSpec] = Field(min_length=1)
    # watchlist or entity ids whose new articles are also sent at once, after each crawl
    instant: list[str] = Field(default_factory=list)

    @property
    def display_name(self) -> str:
        return self.name or self.id


@dataclass(frozen=True, slots=True)
class DigestOptions:
    """What every digest shares: how sources are named, whether stories are grouped."""

    source_names: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    group_stories: bool = True  # off only to measure what grouping costs (bench/digest.py)
    lists: tuple[str, ...] = ()  # the subscriber's watchlists, as an empty digest names them
    # Links into `unionwatch web` beside each item (its article page, "not about this person"),
    # when web.base_url and the signing key are set.
    web: WebLinks | None = field(default=None, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class SubscriberSpec:
    """One subscriber's digest: who, the entities they watch in display order, how it shows."""

    subscriber: Subscriber
    entity_ids: tuple[str, ...]
    options: DigestOptions = DigestOptions()
    instant_ids: tuple[str, ...] = ()  # the entities whose new articles go out at once

    @property
    def id(self) -> str:
        return self.subscriber.id


class SmtpSecurity(StrEnum):
    STARTTLS = "starttls"  # the certificate is verified; never falls back to plaintext
    SSL = "ssl"  # implicit TLS, port 465
    NONE = "none"  # loopback relays only: no AUTH is ever sent this way


class SmtpRelay(Frozen):
    """The SMTP relay digests go through; the password is not part of it (see SmtpSettings)."""

    model_config = ConfigDict(populate_by_name=True)

    host: str
    port: int = Field(587, ge=1, le=65535)
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    username: HeaderText | None = None
    sender: HeaderText = Field(alias="from")  # the From: of every digest
    ca_file: str | None = None  # extra trust anchor, e.g. a private CA; else the system store
    timeout: float = 30.0

    @field_validator("sender")
    @classmethod
    def _address(cls, v: str) -> str:
        if not _EMAIL.fullmatch(parseaddr(v)[1]):
            raise ValueError(f"'{v}' has no email address "
                             "(write 'name@example.org' or 'Name <name@example.org>')")
        return v

    @model_validator(mode="after")
    def _no_plaintext_auth(self) -> SmtpRelay:
        # Credentials must never cross the wire in the clear: refuse the combination up front.
        if self.security is SmtpSecurity.NONE and self.username:
            raise ValueError(
                "security 'none' with a username would send the password in clear (plaintext AUTH)"
            )
        return self


class TelegramApi(Frozen):
    """Where the Bot API is: requests go to {api_base}/bot{token}/{method}."""

    api_base: str = "https://api.telegram.org"
    timeout: float = Field(20.0, gt=0)
    # The service answers /start, /stop and /status by long-polling getUpdates (one poller per
    # token). Off when another program reads this bot's updates (or a webhook is set).
    self_service: bool = True
    poll_timeout: int = Field(25, ge=1, le=50)  # seconds one getUpdates long poll may wait

    @field_validator("api_base")
    @classmethod
    def _base(cls, v: str) -> str:
        if not re.match(r"^https?://", v):
            raise ValueError(f"api_base '{v}' is not an http(s) URL")
        return v.rstrip("/")


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """The relay and the password read from the environment variable the config names."""

    relay: SmtpRelay
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    api: TelegramApi
    token: str = field(repr=False)


# Seconds one message (one Telegram part) may take to send, all told: connecting, TLS, every
# reply. A slower server (a tarpit) is left, and the message waits for a retry.
SEND_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """A webhook's URL and signing key, read from the environment variables the config names."""

    url: str = field(repr=False)
    secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    smtp: SmtpSettings | None = None
    telegram: TelegramSettings | None = None
    # apprise channels: url_env -> the Apprise URL read from it
    apprise_urls: Mapping[str, str] = field(default_factory=dict, repr=False)
    webhooks: Mapping[str, WebhookTarget] = field(default_factory=dict, repr=False)  # by url_env
    admin_email: str | None = None  # also the List-Unsubscribe mailto target
    list_id: str = "digest.unionwatch.localhost"
    admins: tuple[ChannelSpec, ...] = ()
    send_timeout: float = SEND_TIMEOUT
    web: WebLinks | None = None  # links into `unionwatch web`: view in browser, one-click unsubscribe
