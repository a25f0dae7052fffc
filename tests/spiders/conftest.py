"""Crawl-test helpers: the loopback fixture server, crawl jobs run as real child processes.

Helpers live here (not in a sibling module): with --import-mode=importlib test modules
cannot import their neighbours.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypeVar

import pytest

from spiders.base import SourceSpider
from spiders.context import CrawlContext
from spiders.events import EventWriter, parse_events
from spiders.jobspec import CrawlJob, CrawlSettings, SourceSpec
from spiders.recorder import RunCounts
from spiders.settings import source_settings
from storage import migrate
from storage.database import Database
from tests.support.fixture_site import FixtureSite

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
CHILD_TIMEOUT = 90


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str
    events: list[dict[str, Any]] = field(default_factory=list)

    def of(self, source: str, event: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.events if e["source"] == source and (event is None or e["event"] == event)]

    def done(self, source: str) -> dict[str, Any]:
        found = self.of(source, "done")
        assert len(found) == 1, f"expected one done event for {source}: {found}"
        return found[0]

    def errors(self, source: str, kind: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.of(source, "error") if kind is None or e["kind"] == kind]


def fast_settings(**overrides: Any) -> CrawlSettings:
    """Fast settings for loopback crawls: no delay, private networks allowed, short timeout."""
    values: dict[str, Any] = {
        "user_agent": "unionwatch/0.1",
        "contact_url": "https://example.org/unionwatch",
        "per_host_delay": 0.0,
        "timeout": 10.0,
        "allow_private_networks": True,
    }
    values.update(overrides)
    return CrawlSettings(**values)


def run_job(tmp_path: Path, job: CrawlJob, name: str = "job") -> CrawlResult:
    """Run `python -m spiders` as the scheduler will: a child process, JSON on stdout."""
    job_file = tmp_path / f"{name}.json"
    job_file.write_text(job.to_json(), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "spiders", str(job_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return CrawlResult(proc.returncode, proc.stdout, proc.stderr, wire_events(proc.stdout))


def wire_events(stdout: str) -> list[dict[str, Any]]:
    """The events as the child wrote them, each line also checked by the parents' parser."""
    parse_events(stdout)  # raises on a line that is not an event
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def make_job(db_url: str, sources: list[dict[str, Any]], **settings: Any) -> CrawlJob:
    return CrawlJob(database_url=db_url, settings=fast_settings(**settings),
                    sources=[SourceSpec(**s) for s in sources])


SpiderT = TypeVar("SpiderT", bound=SourceSpider)


def source_spider(spidercls: type[SpiderT], source: SourceSpec, db: Database,
                  events: TextIO | None = None) -> tuple[SpiderT, RunCounts]:
    """A source's spider in a crawler of its own, not crawling: for calling its methods.

    Its run recorder is installed, so what the spider reports is counted (the RunCounts)
    and emitted as events (to `events`, by default nowhere).
    """
    from scrapy.utils.test import get_crawler

    context = CrawlContext(db, EventWriter(events or io.StringIO()))
    crawler = get_crawler(spidercls, source_settings(fast_settings(), source, context))
    spider = spidercls.from_crawler(crawler, source=source)
    return spider, RunCounts(crawler.stats)


def fresh_sqlite(path: Path) -> str:
    url = f"sqlite:///{path}"
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    return url


@pytest.fixture
def demosite() -> Iterator[FixtureSite]:
    with FixtureSite() as site:
        yield site


@pytest.fixture(scope="module")
def module_demosite() -> Iterator[FixtureSite]:
    with FixtureSite() as site:
        yield site
