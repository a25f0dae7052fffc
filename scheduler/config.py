"""config.yaml: the admin's file of sources, watchlists, subscribers and delivery settings."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from apscheduler.triggers.cron import CronTrigger
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from matching import EntitySpec
from notifier.settings import (
    SEND_TIMEOUT,
    ChannelSpec,
    ChannelType,
    HeaderText,
    SmtpRelay,
    Subscriber,
    TelegramApi,
)
from scheduler import includes
from scheduler.timestamp_config import TimestampConfig
from scheduler.yamlsource import ConfigError, LocatedYaml, format_loc, load_yaml
from spiders.jobspec import CrawlPolicy, SourceSpec
from storage.database import BUSY_TIMEOUT_S, check_url
from storage.evidence import GZIP_LEVEL
from storage.types import Ident

DEFAULT_CONFIG = Path("config.yaml")
SECRET_KEYS = re.compile(r"^(password|passwd|secret|token|api_key|apikey|bot_token)$", re.I)
# A Telegram bot token, as a value or inside one (an api_base ending in /bot<token>).
SECRET_VALUES = re.compile(r"(?<!\d)\d{6,12}:[A-Za-z0-9_-]{30,}")
INTERVAL = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _schedule(value: str) -> str:
    if INTERVAL.match(value):
        if parse_interval(value) < timedelta(minutes=1):
            raise ValueError(f"schedule '{value}' is shorter than one minute")
        return value
    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(
            f"schedule '{value}' is neither an interval (30m, 6h, 1d) nor a cron line: {exc}"
        ) from None
    return value


def parse_interval(value: str) -> timedelta:
    m = INTERVAL.match(value)
    if not m:
        raise ValueError(value)
    n, unit = int(m.group(1)), m.group(2)
    return timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]: n})


def _env_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise ValueError(f"'{value}' is not an environment variable name")
    return value


Schedule = Annotated[str, AfterValidator(_schedule)]
EnvName = Annotated[str, AfterValidator(_env_name)]


class DatabaseConfig(Strict):
    url: Annotated[str, AfterValidator(check_url)] = "sqlite:///data/unionwatch.db"
    # How long a SQLite writer waits for another process's lock before it gives up.
    busy_timeout_seconds: float = Field(BUSY_TIMEOUT_S, ge=0, le=3600)


class CrawlConfig(CrawlPolicy):
    """The crawl policy (spiders' model) and how long one crawl child may run."""

    max_run_seconds: int = Field(3600, ge=10)


class MatchingConfig(Strict):
    # No longer used: an added or changed entity is matched against the whole archive. Still
    # accepted, so that configs written for earlier releases load; `check` says to remove it.
    backfill_days: int | None = Field(None, ge=0, le=3650)


class UnknownSource(KeyError):
    """Source ids that config.yaml does not define (a KeyError, for lookups by id)."""

    def __init__(self, ids: list[str]) -> None:
        super().__init__(", ".join(ids))
        self.ids = ids

    def __str__(self) -> str:
        return f"unknown source {', '.join(self.ids)}"


class SourceConfig(SourceSpec):
    """A source as spiders take it (SourceSpec), plus when to crawl it; `url` may stand
    for a one-element `urls`."""

    schedule: Schedule = "1h"
    enabled: bool = True

    @model_validator(mode="before")
    @classmethod
    def _url_or_urls(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        url, urls = data.get("url"), data.get("urls")
        if url and urls:
            raise ValueError("give either url or urls, not both")
        if not url and not urls:
            raise ValueError("a source needs url or urls")
        if "url" in data:
            data = {k: v for k, v in data.items() if k != "url"}
            if url:
                data["urls"] = [url]
        return data


@dataclass(frozen=True)
class WatchedEntity(EntitySpec):
    """An entity of config.yaml: its id becomes a key in storage, so it follows the id rule."""

    id: Ident


class WatchlistConfig(Strict):
    id: Ident
    description: str = ""
    # The included file's entities are among `entities` (scheduler.includes reads them).
    include: str | None = None
    entities: list[WatchedEntity] = Field(min_length=1)


class SubscriberConfig(Subscriber):
    """notifier's Subscriber, its id a storage key, and the watchlists whose entities they get."""

    id: Ident
    watchlists: list[str] = Field(min_length=1)


class AdminConfig(Strict):
    id: Ident
    name: str = ""
    channels: list[ChannelSpec] = Field(min_length=1)


class SmtpConfig(SmtpRelay):
    """notifier's SmtpRelay, and the environment variable holding its password."""

    password_env: EnvName | None = None

    @model_validator(mode="after")
    def _auth(self) -> SmtpConfig:
        if self.username and not self.password_env:
            raise ValueError("username is set: name the password's environment variable in password_env")
        return self


class TelegramConfig(TelegramApi):
    """notifier's TelegramApi, and the environment variable holding the bot token."""

    token_env: EnvName = "UNIONWATCH_TELEGRAM_TOKEN"  # noqa: S105 - a variable's name, not a token


class DeliveryConfig(Strict):
    smtp: SmtpConfig | None = None
    telegram: TelegramConfig | None = None
    list_id: HeaderText = "digest.unionwatch.localhost"
    unsubscribe_mailto: HeaderText | None = None
    # A relay that dies mid-send holds its messages this long before another run resends them.
    claim_timeout: float = Field(600.0, ge=1, le=86400)
    # One message may take this long to send, all told; then it is left for a retry.
    send_timeout: float = Field(SEND_TIMEOUT, gt=0, le=3600)

    @model_validator(mode="after")
    def _claim_outlasts_sends(self) -> DeliveryConfig:
        # The relay renews a claim once half of it has gone: a send must end within that half,
        # or another relay could take the message while it is still being sent.
        if self.claim_timeout < 2 * self.send_timeout:
            raise ValueError(
                f"claim_timeout ({self.claim_timeout:g} s) must be at least twice send_timeout "
                f"({self.send_timeout:g} s), or a slow send could go out twice"
            )
        return self


def _base_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"'{value}' is not an http(s) URL such as https://watch.example.org")
    return value.rstrip("/")


class WebConfig(Strict):
    """`unionwatch web`: the public URL links are made with, and where its secrets are."""

    base_url: Annotated[str | None, AfterValidator(_base_url)] = None  # default: http://host:port
    # the signing key: rotating it revokes every link
    secret_env: EnvName = "UNIONWATCH_WEB_SECRET"  # noqa: S105 - a variable's name
    admin_password_hash_env: EnvName = "UNIONWATCH_WEB_ADMIN_HASH"  # noqa: S105 - `unionwatch web hash-password`
    link_days: float = Field(90.0, gt=0, le=3650)  # how long digest, unsubscribe and mark links last
    session_hours: float = Field(12.0, gt=0, le=24 * 30)
    login_attempts: int = Field(5, ge=1, le=1000)  # failed sign-ins per client per 15 minutes
def _interval(value: str) -> str:
    if not INTERVAL.match(value):
        raise ValueError(f"'{value}' is not an interval (30m, 6h, 1d, 30d)")
    return value


Interval = Annotated[str, AfterValidator(_interval)]


class WaybackConfig(Strict):
    """Save Page Now 2 (the Wayback Machine): each newly matched article's URL is archived."""

    enabled: bool = False
    api_base: str = "https://web.archive.org"
    access_key_env: EnvName = "UNIONWATCH_WAYBACK_ACCESS_KEY"
    secret_key_env: EnvName = "UNIONWATCH_WAYBACK_SECRET_KEY"  # noqa: S105 - a variable's name
    min_interval: Interval = "1d"  # never the same URL twice within this
    every: Interval = "5m"  # how often the daemon submits and polls
    poll_interval: float = Field(5.0, ge=0, le=600)  # between status polls of one job
    max_wait: float = Field(600.0, gt=0, le=7200)  # a job still pending after this is polled next run
    timeout: float = Field(60.0, gt=0, le=600)
    batch: int = Field(20, ge=1, le=1000)  # submissions per run

    @model_validator(mode="after")
    def _http(self) -> WaybackConfig:
        if not re.match(r"^https?://[^/\s]+", self.api_base):
            raise ValueError(f"api_base '{self.api_base}' is not an http(s) URL")
        return self


class EvidenceConfig(Strict):
    """Archived captures of the article pages fetched (issue 13): where and how long."""

    enabled: bool = True
    # Relative to the folder of config.yaml (load_config makes it absolute).
    dir: Path = Path("data/evidence")
    max_file_mb: int = Field(1024, ge=1, le=1 << 20)  # a WARC file is closed past this size
    rotate_daily: bool = True  # and at the end of each UTC day
    # zlib level of the WARC records (1 fastest .. 9 smallest; storage/evidence.py says what
    # each costs on real pages).
    gzip_level: int = Field(GZIP_LEVEL, ge=1, le=9)
    # Captures of articles that name no watched entity are kept this long, so that a name
    # added later still finds its evidence; matched articles' captures stay with the article.
    keep_unmatched_days: int = Field(30, ge=0, le=36500)
    # Ages after the first fetch at which a matched article is fetched again.
    recheck_after: list[Interval] = Field(default_factory=lambda: ["1d", "7d", "30d"])
    recheck_every: Interval = "1h"  # how often the daemon looks for articles due
    recheck_batch: int = Field(500, ge=1, le=100_000)  # articles per run at most
    wayback: WaybackConfig = WaybackConfig()
    timestamp: TimestampConfig = TimestampConfig()

    def recheck_ages(self) -> list[timedelta]:
        return sorted(parse_interval(a) for a in self.recheck_after)


class Config(Strict):
    database: DatabaseConfig = DatabaseConfig()
    web: WebConfig = WebConfig()
    crawl: CrawlConfig = CrawlConfig()
    matching: MatchingConfig = MatchingConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    evidence: EvidenceConfig = EvidenceConfig()
    admins: list[AdminConfig] = Field(default_factory=list)
    sources: list[SourceConfig] = Field(default_factory=list)
    watchlists: list[WatchlistConfig] = Field(min_length=1)
    subscribers: list[SubscriberConfig] = Field(default_factory=list)

    def source(self, source_id: str) -> SourceConfig:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise UnknownSource([source_id])

    @property
    def entities(self) -> list[WatchedEntity]:
        return [e for w in self.watchlists for e in w.entities]

    def entities_of(self, sub: SubscriberConfig) -> list[WatchedEntity]:
        wanted = set(sub.watchlists)
        return [e for w in self.watchlists if w.id in wanted for e in w.entities]

    def included_files(self, config_path: Path) -> list[Path]:
        """The files that watchlists include, as config.yaml at config_path names them."""
        return [includes.resolve(config_path, w.include) for w in self.watchlists if w.include]

    def channels_in_use(self) -> set[ChannelType]:
        channels = [c for s in self.subscribers for c in s.channels]
        channels += [c for a in self.admins for c in a.channels]
        return {c.type for c in channels}


Loc = tuple[str | int, ...]


def _secret_scan(node: Any, loc: Loc, found: list[tuple[Loc, str]], seen: set[int] | None = None) -> None:
    """Literal secrets, each value looked at once: an aliased part is scanned where it first stands.

    Secrets come only from environment variables the config names: a secret-named key with a
    value, a bot token anywhere in a value, or a password in a URL is refused.
    """
    seen = set() if seen is None else seen
    if isinstance(node, dict | list):
        if id(node) in seen:
            return
        seen.add(id(node))
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(k, str) and SECRET_KEYS.match(k) and v not in (None, ""):
                found.append(((*loc, k), "a literal secret is refused: put it in an environment "
                              f"variable and name it with '{k}_env'"))
            else:
                _secret_scan(v, (*loc, k), found, seen)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _secret_scan(v, (*loc, i), found, seen)
    elif isinstance(node, str) and SECRET_VALUES.search(node):
        found.append((loc, "this looks like a bot token: secrets come only from environment variables"))
    elif isinstance(node, str) and _url_password(node):
        where = ("leave the password out of the URL; PostgreSQL reads it from the PGPASSWORD "
                 "environment variable or ~/.pgpass" if loc == ("database", "url")
                 else "a password in a URL; secrets come only from environment variables")
        found.append((loc, f"a literal secret is refused: {where}"))


def _url_password(value: str) -> bool:
    if "://" not in value or "@" not in value:
        return False
    try:
        return bool(urlsplit(value.strip()).password)
    except ValueError:  # not a URL after all; the models say what is wrong with it
        return False


def _cross_checks(cfg: Config) -> list[tuple[tuple[str | int, ...], str]]:
    out: list[tuple[tuple[str | int, ...], str]] = []

    def unique(items: list[Any], section: str) -> None:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                out.append(((section, i, "id"), f"duplicate id '{item.id}'"))
            seen.add(item.id)

    unique(cfg.sources, "sources")
    unique(cfg.watchlists, "watchlists")
    unique(cfg.subscribers, "subscribers")
    unique(cfg.admins, "admins")
    seen_entities: dict[str, str] = {}
    for wi, w in enumerate(cfg.watchlists):
        for ei, e in enumerate(w.entities):
            if e.id in seen_entities and seen_entities[e.id] != w.id:
                out.append(((("watchlists", wi, "entities", ei, "id")),
                            f"entity id '{e.id}' is already used in watchlist '{seen_entities[e.id]}'"))
            elif e.id in seen_entities:
                out.append(((("watchlists", wi, "entities", ei, "id")), f"duplicate entity id '{e.id}'"))
            seen_entities[e.id] = w.id
    known = {w.id for w in cfg.watchlists}
    for si, s in enumerate(cfg.subscribers):
        for wi2, wid in enumerate(s.watchlists):
            if wid not in known:
                out.append((("subscribers", si, "watchlists", wi2),
                            f"unknown watchlist '{wid}' (known: {', '.join(sorted(known))})"))
    for si, s in enumerate(cfg.subscribers):
        own = {e.id for e in cfg.entities_of(s)}
        for ii, ref in enumerate(s.instant):
            if ref in s.watchlists or ref in own:
                continue
            what = ("a watchlist this subscriber does not follow" if ref in known
                    else "an entity of a watchlist this subscriber does not follow"
                    if ref in seen_entities else "neither a watchlist nor an entity id")
            out.append((("subscribers", si, "instant", ii),
                        f"'{ref}' is {what} (instant takes ids from: {', '.join(s.watchlists)} "
                        "or their entities)"))
    # Said at the first channel that needs the section: a missing section has no line of its own.
    needs = {ChannelType.EMAIL: ("smtp", "an email channel needs a delivery.smtp section (host, port, "
                                 "sender): add it at the top level, under delivery:"),
             ChannelType.TELEGRAM: ("telegram", "a telegram channel needs a delivery.telegram section "
                                    "(token_env: the environment variable holding the bot token): "
                                    "add it at the top level, under delivery:")}
    secrets_of: dict[str, str | None] = {}
    for loc in _channels_of_type(cfg, ChannelType.WEBHOOK):
        c = (cfg.subscribers if loc[0] == "subscribers" else cfg.admins)[int(loc[1])].channels[int(loc[3])]
        if c.url_env in secrets_of and secrets_of[c.url_env] != c.secret_env:
            out.append(((*loc[:4], "secret_env"), f"webhook {c.url_env} is signed with "
                        f"{secrets_of[c.url_env]} elsewhere: one URL, one key"))
        secrets_of.setdefault(str(c.url_env), c.secret_env)
    for kind, (section, what) in needs.items():
        if getattr(cfg.delivery, section) is None:
            first = next(iter(_channels_of_type(cfg, kind)), None)
            if first is not None:
                out.append((first, what))
    return out


def _channels_of_type(cfg: Config, kind: ChannelType) -> list[tuple[str | int, ...]]:
    """Where channels of this type stand: subscribers' first, then admins'."""
    owners = [("subscribers", i, s.channels) for i, s in enumerate(cfg.subscribers)]
    owners += [("admins", i, a.channels) for i, a in enumerate(cfg.admins)]
    return [(section, i, "channels", j, "type") for section, i, channels in owners
            for j, channel in enumerate(channels) if channel.type == kind]


def missing_secrets(cfg: Config) -> list[tuple[tuple[str | int, ...], str]]:
    """Environment variables that config names for channels in use but that are not set."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    used = cfg.channels_in_use()
    smtp, tg = cfg.delivery.smtp, cfg.delivery.telegram
    if ChannelType.EMAIL in used and smtp and smtp.password_env and not os.environ.get(smtp.password_env):
        out.append((("delivery", "smtp", "password_env"),
                    f"environment variable {smtp.password_env} is not set (the SMTP password)"))
    if ChannelType.TELEGRAM in used and tg and not os.environ.get(tg.token_env):
        out.append((("delivery", "telegram", "token_env"),
                    f"environment variable {tg.token_env} is not set (the Telegram bot token)"))
    owners = [("subscribers", i, s.channels) for i, s in enumerate(cfg.subscribers)]
    owners += [("admins", i, a.channels) for i, a in enumerate(cfg.admins)]
    for section, i, channels in owners:
        for j, c in enumerate(channels):
            for key, what in (("url_env", f"the {c.type.value} URL"), ("secret_env", "the signing key")):
                name = getattr(c, key)
                if name and not os.environ.get(name):
                    out.append(((section, i, "channels", j, key),
                                f"environment variable {name} is not set ({what})"))
    wb = cfg.evidence.wayback
    for key, env in (("access_key_env", wb.access_key_env), ("secret_key_env", wb.secret_key_env)):
        if wb.enabled and not os.environ.get(env):
            out.append((("evidence", "wayback", key),
                        f"environment variable {env} is not set (the Wayback Machine's S3-like key)"))
    return out


def _pydantic_problems(exc: ValidationError) -> list[tuple[tuple[str | int, ...], str]]:
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        msg = err["msg"]
        if err["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
            msg = "unknown key"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        elif err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"] in ("literal_error", "enum"):
            msg = f"{msg} (got {err.get('input')!r})"
        elif err["type"] == "tuple_type":  # the models freeze YAML's lists into tuples
            msg = "Input should be a valid list"
        # pydantic reports discriminated/union branches as loc parts like 'int' or 'str'
        loc = tuple(p for p in loc if p not in ("int", "str"))
        out.append((loc, msg))
    return out


def parse_config(src: LocatedYaml, *, require_secrets: bool = True) -> Config:
    """Validate loaded YAML; raise ConfigError listing every problem with file:line: key."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if not isinstance(src.data, dict):
        raise ConfigError([f"{src.path}: the top level must be a mapping of sections"])
    data, included = _with_includes(src)
    _secret_scan(data, (), problems)
    cfg: Config | None = None
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc))
    if cfg is not None:
        problems.extend(_cross_checks(cfg))
        problems.extend(_certificate_files(cfg, src.path))
        if require_secrets and not problems:
            problems.extend(missing_secrets(cfg))
    if problems:
        # A refused secret under an unknown key is one problem, not two.
        secret_locs = {loc for loc, msg in problems if msg.startswith(("a literal secret", "this looks"))}
        problems = [(loc, m) for loc, m in problems if "secret" in m or "token" in m
                    or loc not in secret_locs]
        raise ConfigError([f"{_place(src, included, loc)}: {msg}" for loc, msg in problems])
    assert cfg is not None
    return _resolved(cfg, src.path)


def _resolved(cfg: Config, config_path: Path) -> Config:
    """Paths of the config made absolute against the folder of config.yaml."""
    ev = cfg.evidence
    ts = ev.timestamp
    ts = ts.model_copy(update={k: config_path.parent / getattr(ts, k)
                               for k in ("ca_file", "tsa_cert_file")
                               if getattr(ts, k) is not None and not getattr(ts, k).is_absolute()})
    ev = ev.model_copy(update={"timestamp": ts})
    if not ev.dir.is_absolute():
        ev = ev.model_copy(update={"dir": config_path.parent / ev.dir})
    return cfg.model_copy(update={"evidence": ev})


def _certificate_files(cfg: Config, config_path: Path) -> list[tuple[tuple[str | int, ...], str]]:
    """The TSA's certificate files, read now: a typo is a config error, not a failed stamp later."""
    from scheduler.tsa import load_certificates

    out: list[tuple[tuple[str | int, ...], str]] = []
    ts = cfg.evidence.timestamp
    for key in ("ca_file", "tsa_cert_file"):
        path = getattr(ts, key)
        if path is not None:
            try:
                load_certificates(path if path.is_absolute() else config_path.parent / path)
            except ValueError as exc:
                out.append((("evidence", "timestamp", key), str(exc)))
    if (ts.ca_file or ts.tsa_cert_file) and not ts.tsa_url:
        out.append((("evidence", "timestamp", "tsa_url"), "certificates are given but no tsa_url to ask"))
    return out


# watchlist index -> (index of its first included entity, the included file)
Includes = dict[int, tuple[int, includes.Included]]


def _with_includes(src: LocatedYaml) -> tuple[dict[str, Any], Includes]:
    """The config with each watchlist's `include` file read into its entities."""
    watchlists = src.data.get("watchlists")
    if not isinstance(watchlists, list):
        return src.data, {}
    problems: list[str] = []
    found: Includes = {}
    merged = []
    for wi, w in enumerate(watchlists):
        if not isinstance(w, dict) or "include" not in w:
            merged.append(w)
            continue
        loc = ("watchlists", wi, "include")
        value, w = w["include"], dict(w)
        merged.append(w)
        try:
            path = includes.resolve(src.path, value)
        except ValueError as exc:
            problems.append(f"{src.where(loc)}: {format_loc(loc)}: {exc}")
            continue
        if not path.is_file():
            problems.append(f"{src.where(loc)}: {format_loc(loc)}: file not found: {path}")
            continue
        try:
            inc = includes.load(path)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        own = w.get("entities", [])
        if not inc.entities:
            problems.append(f"{src.where(loc)}: {format_loc(loc)}: {path} holds no entities")
        elif isinstance(own, list):  # else the model says what is wrong with `entities`
            found[wi] = (len(own), inc)
            w["entities"] = own + inc.entities
    if problems:
        raise ConfigError(problems)
    return {**src.data, "watchlists": merged}, found


def _place(src: LocatedYaml, included: Includes, loc: tuple[str | int, ...]) -> str:
    """'file:line: key.path' of a problem: in config.yaml, or in the file an entity came from."""
    if (len(loc) >= 4 and loc[0] == "watchlists" and loc[2] == "entities"
            and isinstance(loc[1], int) and isinstance(loc[3], int) and loc[1] in included):
        offset, inc = included[loc[1]]
        if loc[3] >= offset:
            where, shown = inc.where((loc[3] - offset, *loc[4:]))
            return f"{where}: {shown}"
    return f"{src.where(loc)}: {format_loc(loc)}"


def load_config(path: Path | str = DEFAULT_CONFIG, *, require_secrets: bool = True) -> Config:
    return parse_config(load_yaml(Path(path)), require_secrets=require_secrets)
