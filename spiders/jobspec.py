"""The crawl job a parent hands to `python -m spiders`: settings and sources, as JSON.

These models are the one statement of what a source and the crawl settings are:
config.yaml's sources and crawl section extend them (scheduler/config.py), and the child
parses its job file with them.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Annotated, Any, Literal, Protocol, Self

import re2
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from storage.database import BUSY_TIMEOUT_S
from storage.evidence import GZIP_LEVEL
from storage.types import Ident, TimeZone

StrictFloat = Annotated[float, Field(strict=True)]  # an int is a float; a boolean is neither
StrictInt = Annotated[int, Field(strict=True)]
_HTTP_URL = re.compile(r"^https?://[^/\s]+")


class LinkRegex(Protocol):
    def search(self, text: str) -> object | None: ...


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # the error is raised to us; RE2 need not print it too


def link_regex(pattern: str) -> LinkRegex:
    """A source's link_pattern, compiled by RE2: matching takes time linear in the URL's length.

    Python's re backtracks, so a pattern like `(a+)+$` would take centuries on one long URL.
    RE2 lacks look-around and backreferences; a pattern using them is refused.
    """
    try:
        compiled: LinkRegex = re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(f"link_pattern is not a valid regex for RE2, the linear-time engine "
                         f"(no look-around or backreferences): {reason}") from None
    return compiled


class SourceType(StrEnum):
    FEED = "feed"
    SITEMAP = "sitemap"
    LISTING = "listing"


class Language(StrEnum):
    KK = "kk"
    RU = "ru"
    EN = "en"
    AUTO = "auto"


class JobError(ValueError):
    """The job file is not a valid crawl job; the message says which field and why."""


class JobModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @classmethod
    def part_of(cls, model: BaseModel) -> Self:
        """This model's fields of a model that extends it (a config.yaml source, say)."""
        return cls.model_validate(model.model_dump(include=set(cls.model_fields)))


class CrawlPolicy(JobModel):
    """How politely and within which limits to crawl: config.yaml's `crawl` section."""

    user_agent: str = "unionwatch/0.1"
    contact_url: str = "https://github.com/unionwatch/unionwatch"
    obey_robots: StrictBool = True
    per_host_concurrency: Annotated[StrictInt, Field(ge=1, le=16)] = 1
    per_host_delay: Annotated[StrictFloat, Field(ge=0)] = 1.0
    timeout: Annotated[StrictFloat, Field(gt=0, le=600)] = 30.0
    max_page_bytes: Annotated[StrictInt, Field(ge=1024)] = 10 * 1024 * 1024
    allow_private_networks: StrictBool = False
    # Processes that read articles beside the crawl (spiders/extract_workers.py): a page that
    # crashes or hangs the parser costs only itself. "auto": one per core but one, at least
    # one; 0: in the crawl child itself (no isolation, no time limit).
    extract_workers: Annotated[StrictInt, Field(ge=0, le=16)] | Literal["auto"] = "auto"
    # Seconds one page may take to read in a worker; then the worker is replaced and the
    # page is a `parse` error.
    extract_timeout: Annotated[StrictFloat, Field(gt=0, le=600)] = 60.0
    # MiB of address space each worker may take (a worker is ~300 MiB before a page); a page
    # that needs more is a `parse` error instead of the machine's memory.
    extract_memory_mb: Annotated[StrictInt, Field(ge=512, le=65536)] = 2048

    def user_agent_header(self) -> str:
        """An honest User-Agent: name/version plus a contact URL when one is given."""
        ua = self.user_agent.strip() or "unionwatch/0.1"
        contact = self.contact_url.strip()
        return f"{ua} (+{contact})" if contact and contact not in ua else ua


class CrawlSettings(CrawlPolicy):
    """The policy plus what the parent decides for each job."""

    # Wall-clock limit per source (CLOSESPIDER_TIMEOUT); 0 = none. The parent still
    # kills the whole child at its own limit.
    max_source_seconds: Annotated[StrictFloat, Field(ge=0)] = 0.0
    # Conditional GET (If-None-Match / If-Modified-Since) for feeds and sitemaps.
    conditional_get: StrictBool = True
    # How long a SQLite writer waits for another process's lock (config: database.busy_timeout_seconds).
    database_busy_timeout: Annotated[StrictFloat, Field(ge=0)] = BUSY_TIMEOUT_S


class SourceSpec(JobModel):
    """One source to crawl: where its articles are listed and how to read them."""

    id: Ident
    # What people read wherever the source appears ("Radio Azattyq (kk)"); the id stays the key.
    name: Annotated[str, Field(max_length=120)] = ""
    type: SourceType
    urls: Annotated[list[str], Field(min_length=1)]
    language: Language = Language.AUTO
    link_pattern: str | None = None  # a regex (RE2 syntax) that article URLs must match
    max_age_days: Annotated[StrictInt, Field(ge=1)] | None = None
    obey_robots: StrictBool | None = None  # overrides the crawl policy's
    link_selector: str | None = None  # listings: CSS for article links
    next_selector: str | None = None  # listings: CSS for the next page's link
    depth: Annotated[StrictInt, Field(ge=1, le=50)] = 1  # listings: pages to follow
    # The wall clock of the site's dates that carry no offset (an IANA name); None = UTC.
    timezone: TimeZone | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        for u in self.urls:
            if not _HTTP_URL.match(u):
                raise ValueError(f"'{u}' is not an http(s) URL")
        if self.type == SourceType.LISTING and not self.link_selector:
            raise ValueError("a listing source needs link_selector (CSS for article links)")
        if self.link_pattern:
            link_regex(self.link_pattern)
        return self


class RecheckSpec(JobModel):
    """A stored article to fetch again (spiders/recheck.py), read as its source reads pages."""

    article_id: StrictInt
    url: str
    source_id: str
    language: Language = Language.AUTO
    timezone: TimeZone | None = None


class EvidenceSpec(JobModel):
    """Where the child archives each article fetch as WARC records (storage/evidence.py)."""

    dir: Annotated[str, Field(min_length=1)]
    max_file_bytes: Annotated[StrictInt, Field(ge=1024)] = 1 << 30
    rotate_daily: StrictBool = True
    gzip_level: Annotated[StrictInt, Field(ge=1, le=9)] = GZIP_LEVEL


class CrawlJob(JobModel):
    database_url: Annotated[str, Field(min_length=1)]
    settings: CrawlSettings = CrawlSettings()
    evidence: EvidenceSpec | None = None  # None: no capture
    sources: list[SourceSpec] = Field(default_factory=list)
    # Re-checks of stored articles, crawled by host like sources, after them.
    rechecks: list[RecheckSpec] = Field(default_factory=list)

    @field_validator("sources")
    @classmethod
    def _unique_ids(cls, sources: list[SourceSpec]) -> list[SourceSpec]:
        ids = [s.id for s in sources]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate source ids {dupes}")
        return sources

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

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
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise JobError(_problems(exc)) from None


def _where(loc: tuple[int | str, ...]) -> str:
    return "job" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)


def _problems(exc: ValidationError) -> str:
    """One line per problem, each naming the field: `job.sources[0].type: ...`."""
    unknown: dict[str, list[str]] = {}
    lines: list[str] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            unknown.setdefault(_where(loc[:-1]), []).append(str(loc[-1]))
            continue
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"] in ("literal_error", "enum"):
            msg = f"{msg} (got {err.get('input')!r})"
        lines.append(f"{_where(loc)}: {msg}")
    lines += [f"{where}: unknown keys {sorted(keys)}" for where, keys in unknown.items()]
    return "; ".join(lines)
