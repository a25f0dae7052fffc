"""The crawl job a parent hands to `python -m spiders.run`: settings and sources, as JSON."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, cast, get_args

SourceType = Literal["feed", "sitemap", "listing"]
Language = Literal["kk", "ru", "en", "auto"]
SOURCE_TYPES: tuple[str, ...] = get_args(SourceType)
LANGUAGES: tuple[str, ...] = get_args(Language)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


class JobError(ValueError):
    """The job file is not a valid crawl job; the message says which field and why."""


@dataclass(slots=True)
class CrawlSettings:
    user_agent: str = "unionwatch/0.1"
    contact_url: str = ""
    obey_robots: bool = True
    per_host_concurrency: int = 1
    per_host_delay: float = 1.0
    timeout: float = 30.0
    max_page_bytes: int = 10 * 1024 * 1024
    allow_private_networks: bool = False
    # Wall-clock limit per source (CLOSESPIDER_TIMEOUT); 0 = none. The parent still
    # kills the whole child at its own limit.
    max_source_seconds: float = 0.0
    # Conditional GET (If-None-Match / If-Modified-Since) for feeds and sitemaps.
    conditional_get: bool = True

    def user_agent_header(self) -> str:
        """An honest User-Agent: name/version plus a contact URL when one is given."""
        ua = self.user_agent.strip() or "unionwatch/0.1"
        contact = self.contact_url.strip()
        return f"{ua} (+{contact})" if contact and contact not in ua else ua


@dataclass(slots=True)
class SourceSpec:
    id: str
    type: SourceType
    urls: list[str]
    language: Language = "auto"
    link_pattern: str | None = None
    max_age_days: int | None = None
    obey_robots: bool | None = None
    link_selector: str | None = None
    next_selector: str | None = None
    depth: int = 1


@dataclass(slots=True)
class CrawlJob:
    database_url: str
    settings: CrawlSettings = field(default_factory=CrawlSettings)
    sources: list[SourceSpec] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> CrawlJob:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise JobError(f"job is not valid JSON: {exc}") from exc
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> CrawlJob:
        if not isinstance(data, dict):
            raise JobError("job must be a JSON object")
        _no_unknown(data, {"database_url", "settings", "sources"}, "job")
        db_url = data.get("database_url")
        if not isinstance(db_url, str) or not db_url:
            raise JobError("job.database_url: a non-empty string is required")
        settings = _settings(data.get("settings") or {})
        raw_sources = data.get("sources")
        if not isinstance(raw_sources, list):
            raise JobError("job.sources: a list is required")
        sources = [_source(s, i) for i, s in enumerate(raw_sources)]
        ids = [s.id for s in sources]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise JobError(f"job.sources: duplicate source ids {dupes}")
        return cls(database_url=db_url, settings=settings, sources=sources)


def _no_unknown(data: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise JobError(f"{where}: unknown keys {unknown}")


def _typed(value: Any, kinds: type | tuple[type, ...], where: str) -> Any:
    # bool is an int in Python; a boolean where a number is expected is a mistake.
    if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
        raise JobError(f"{where}: expected {kinds}, got a boolean")
    if not isinstance(value, kinds):
        raise JobError(f"{where}: expected {kinds}, got {type(value).__name__}")
    return value


def _settings(data: Any) -> CrawlSettings:
    if not isinstance(data, dict):
        raise JobError("job.settings must be an object")
    known = {f.name for f in fields(CrawlSettings)}
    _no_unknown(data, known, "job.settings")
    s = CrawlSettings()
    for f in fields(CrawlSettings):
        if f.name not in data:
            continue
        value = data[f.name]
        default = getattr(s, f.name)
        where = f"job.settings.{f.name}"
        if isinstance(default, bool):
            _typed(value, bool, where)
        elif isinstance(default, int):
            _typed(value, int, where)
        elif isinstance(default, float):
            value = float(_typed(value, (int, float), where))
        else:
            _typed(value, str, where)
        setattr(s, f.name, value)
    if s.per_host_concurrency < 1:
        raise JobError("job.settings.per_host_concurrency: must be >= 1")
    if s.per_host_delay < 0 or s.timeout <= 0 or s.max_page_bytes <= 0:
        raise JobError("job.settings: delay must be >= 0, timeout and max_page_bytes > 0")
    return s


def _source(data: Any, index: int) -> SourceSpec:
    where = f"job.sources[{index}]"
    if not isinstance(data, dict):
        raise JobError(f"{where}: must be an object")
    _no_unknown(data, {f.name for f in fields(SourceSpec)}, where)
    sid = data.get("id")
    if not isinstance(sid, str) or not _ID.match(sid):
        raise JobError(f"{where}.id: 1-64 characters of letters, digits, _ . : - required")
    kind = data.get("type")
    if kind not in SOURCE_TYPES:
        raise JobError(f"{where}.type: one of {list(SOURCE_TYPES)} required, got {kind!r}")
    urls = data.get("urls")
    if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
        raise JobError(f"{where}.urls: a non-empty list of URL strings is required")
    language = data.get("language", "auto")
    if language not in LANGUAGES:
        raise JobError(f"{where}.language: one of {list(LANGUAGES)} required")
    pattern = data.get("link_pattern")
    if pattern is not None:
        _typed(pattern, str, f"{where}.link_pattern")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise JobError(f"{where}.link_pattern: invalid regex: {exc}") from exc
    max_age = data.get("max_age_days")
    if max_age is not None and (_typed(max_age, int, f"{where}.max_age_days") < 0):
        raise JobError(f"{where}.max_age_days: must be >= 0")
    obey = data.get("obey_robots")
    if obey is not None:
        _typed(obey, bool, f"{where}.obey_robots")
    for key in ("link_selector", "next_selector"):
        if data.get(key) is not None:
            _typed(data[key], str, f"{where}.{key}")
    depth = _typed(data.get("depth", 1), int, f"{where}.depth")
    if depth < 1:
        raise JobError(f"{where}.depth: must be >= 1")
    return SourceSpec(
        id=sid,
        type=cast(SourceType, kind),
        urls=list(urls),
        language=cast(Language, language),
        link_pattern=pattern,
        max_age_days=max_age,
        obey_robots=obey,
        link_selector=data.get("link_selector"),
        next_selector=data.get("next_selector"),
        depth=depth,
    )
