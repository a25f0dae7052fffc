"""Running crawls in a child process (Twisted's reactor cannot restart) and following them."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scheduler.config import Config, UnknownSource
from spiders.events import (
    ArticleStored,
    Done,
    Error,
    Event,
    Page,
    Rechecked,
    Skipped,
    Start,
    read_events,
)
from spiders.jobspec import CrawlJob, CrawlPolicy, CrawlSettings, EvidenceSpec, SourceSpec
from storage.crawl_runs import CrawlStatus

log = logging.getLogger(__name__)
EventHandler = Callable[[Event], None]
# Children still running, so that a daemon shutting down can stop them too.
_RUNNING: set[subprocess.Popen[str]] = set()
_RUNNING_LOCK = threading.Lock()
ERROR_SAMPLES = 5


@dataclass
class SourceSummary:
    source: str
    status: CrawlStatus = CrawlStatus.PENDING
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    errors: int = 0
    reason: str | None = None
    error_samples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class CrawlResult:
    sources: dict[str, SourceSummary]
    exit_code: int
    stderr_tail: str = ""
    killed: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.killed


def crawl_job(cfg: Config, source_ids: list[str] | None = None) -> CrawlJob:
    """The job for the child; unknown ids raise UnknownSource naming them."""
    if source_ids:
        unknown = [s for s in source_ids if s not in {x.id for x in cfg.sources}]
        if unknown:
            raise UnknownSource(unknown)
        sources = [cfg.source(s) for s in source_ids]
    else:
        sources = [s for s in cfg.sources if s.enabled]
    c, ev = cfg.crawl, cfg.evidence
    for s in sources:
        if s.obey_robots is False and c.obey_robots:
            log.warning("source %s ignores robots.txt (per-source override in config)", s.id)
    return CrawlJob(
        database_url=cfg.database.url,
        settings=CrawlSettings(
            **dict(CrawlPolicy.part_of(c)),
            # Let a source close gracefully (its items flushed) before the parent's hard kill.
            max_source_seconds=float(max(c.max_run_seconds - 30, c.max_run_seconds // 2)),
            database_busy_timeout=cfg.database.busy_timeout_seconds,
        ),
        sources=[SourceSpec.part_of(s) for s in sources],
        evidence=EvidenceSpec(dir=str(ev.dir.resolve()), max_file_bytes=ev.max_file_mb << 20,
                              rotate_daily=ev.rotate_daily, gzip_level=ev.gzip_level) if ev.enabled else None,
    )


def apply_event(summaries: dict[str, SourceSummary], ev: Event) -> None:
    if isinstance(ev, Rechecked):
        return  # a re-check's outcome, not a source's progress (scheduler/rechecking.py)
    s = summaries.setdefault(ev.source, SourceSummary(ev.source))
    match ev:
        case Start():
            s.status = CrawlStatus.RUNNING
        case Page():
            s.fetched += 1
        case ArticleStored(new=True):
            s.new += 1
        case ArticleStored():
            s.duplicates += 1
        case Error():
            s.errors += 1
            if len(s.error_samples) < ERROR_SAMPLES:
                s.error_samples.append(f"{ev.kind}: {ev.url}: {ev.message}")
        case Skipped():
            s.status, s.reason = CrawlStatus.SKIPPED, ev.reason
        case Done():
            s.status = ev.status
            s.fetched, s.new = ev.stats.fetched, ev.stats.new
            s.duplicates, s.errors = ev.stats.duplicates, ev.stats.errors


def run_crawl(
    job: CrawlJob,
    on_event: EventHandler | None = None,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
) -> CrawlResult:
    """Run `python -m spiders` on the job; stream its events; kill it past the wall clock.

    The job goes to the child's stdin, never to a file (it holds the database URL, password
    and all), and stdin stays open while the child runs: if this process dies, even by
    kill -9, the pipe closes and the child stops (spiders/parent.py).
    """
    summaries = {s.id: SourceSummary(s.id) for s in job.sources}
    stderr_lines: list[str] = []
    proc = subprocess.Popen(
        [sys.executable, "-m", "spiders", "--watch-stdin", "-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env={**os.environ, **(env or {})},
        start_new_session=True,  # so a kill takes the whole process group
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        with _RUNNING_LOCK:
            _RUNNING.add(proc)
        drain = threading.Thread(target=_drain, args=(proc.stderr, stderr_lines), daemon=True)
        drain.start()
        try:
            proc.stdin.write(job.model_dump_json() + "\n")  # one line: the child reads one
            proc.stdin.flush()
        except BrokenPipeError:
            pass  # the child died at once; its exit status and stderr say why
        killed = False
        timer: threading.Timer | None = None
        if timeout:
            def _kill() -> None:
                nonlocal killed
                killed = True
                log.error("crawl exceeded %.0f s; stopping it", timeout)
                _terminate(proc)
            timer = threading.Timer(timeout, _kill)
            timer.daemon = True
            timer.start()
        for ev in read_events(proc.stdout):
            apply_event(summaries, ev)
            if on_event:
                on_event(ev)
        code = proc.wait()
        with _RUNNING_LOCK:
            _RUNNING.discard(proc)
        if timer:
            timer.cancel()
        drain.join(timeout=5)
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    for s in summaries.values():
        if s.status in (CrawlStatus.PENDING, CrawlStatus.RUNNING) and (code or killed):
            s.status = CrawlStatus.FAILED
    return CrawlResult(summaries, code, "".join(stderr_lines[-20:]), killed)


def stop_all_crawls() -> None:
    """Terminate every crawl child of this process (used on SIGTERM)."""
    with _RUNNING_LOCK:
        procs = list(_RUNNING)
    for proc in procs:
        _terminate(proc)


def _drain(stream: Any, sink: list[str]) -> None:
    for line in stream:
        sink.append(line)
        if len(sink) > 2000:
            del sink[:1000]
        if os.environ.get("UNIONWATCH_CRAWL_LOG"):
            sys.stderr.write(line)


def _terminate(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


