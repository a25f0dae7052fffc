"""Running crawls in a child process (Twisted's reactor cannot restart) and following them."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from scheduler.config import Config, SourceConfig
from spiders.jobspec import CrawlJob, CrawlSettings, SourceSpec

log = logging.getLogger(__name__)
EventHandler = Callable[[dict[str, Any]], None]
# Children still running, so that a daemon shutting down can stop them too.
_RUNNING: set[subprocess.Popen[str]] = set()
_RUNNING_LOCK = threading.Lock()


@dataclass
class SourceSummary:
    source: str
    status: str = "pending"
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


def _shared(model: Any, target: type) -> dict[str, Any]:
    """The config fields that the child's dataclass has too, under the same names."""
    return dict(model.model_dump(include={f.name for f in fields(target)}))


def source_spec(src: SourceConfig) -> SourceSpec:
    return SourceSpec(**{**_shared(src, SourceSpec), "urls": src.all_urls})


def crawl_job(cfg: Config, source_ids: list[str] | None = None) -> CrawlJob:
    """The job for the child; unknown ids are a KeyError naming them."""
    if source_ids:
        unknown = [s for s in source_ids if s not in {x.id for x in cfg.sources}]
        if unknown:
            raise KeyError(", ".join(unknown))
        sources = [cfg.source(s) for s in source_ids]
    else:
        sources = [s for s in cfg.sources if s.enabled]
    c = cfg.crawl
    for s in sources:
        if s.obey_robots is False and c.obey_robots:
            log.warning("source %s ignores robots.txt (per-source override in config)", s.id)
    return CrawlJob(
        database_url=cfg.database.url,
        settings=CrawlSettings(
            **_shared(c, CrawlSettings),
            # Let a source close gracefully (its items flushed) before the parent's hard kill.
            max_source_seconds=float(max(c.max_run_seconds - 30, c.max_run_seconds // 2)),
        ),
        sources=[source_spec(s) for s in sources],
    )


def apply_event(summaries: dict[str, SourceSummary], ev: dict[str, Any]) -> None:
    src = ev.get("source")
    if not isinstance(src, str):
        return
    s = summaries.setdefault(src, SourceSummary(src))
    kind = ev.get("event")
    if kind == "start":
        s.status = "running"
    elif kind == "page":
        s.fetched += 1
    elif kind == "article":
        if ev.get("new"):
            s.new += 1
        else:
            s.duplicates += 1
    elif kind == "error":
        s.errors += 1
        if len(s.error_samples) < 5:
            s.error_samples.append(f"{ev.get('kind')}: {ev.get('url')}: {ev.get('message')}")
    elif kind == "skipped":
        s.status, s.reason = "skipped", ev.get("reason")
    elif kind == "done":
        stats = ev.get("stats") or {}
        s.status = ev.get("status", "ok")
        s.fetched = stats.get("fetched", s.fetched)
        s.new = stats.get("new", s.new)
        s.duplicates = stats.get("duplicates", s.duplicates)
        s.errors = stats.get("errors", s.errors)


def run_crawl(
    job: CrawlJob,
    on_event: EventHandler | None = None,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
) -> CrawlResult:
    """Run `python -m spiders.run` on the job; stream its events; kill it past the wall clock."""
    summaries = {s.id: SourceSummary(s.id) for s in job.sources}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        f.write(job.to_json())
        job_path = f.name
    stderr_lines: list[str] = []
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "spiders.run", job_path],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            env={**os.environ, **(env or {})},
            start_new_session=True,  # so a kill takes the whole process group
        )
        with _RUNNING_LOCK:
            _RUNNING.add(proc)
        drain = threading.Thread(target=_drain, args=(proc.stderr, stderr_lines), daemon=True)
        drain.start()
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
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                ev = json.loads(line)
            except json.JSONDecodeError:
                continue
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
        Path(job_path).unlink(missing_ok=True)
    for s in summaries.values():
        if s.status in ("pending", "running"):
            s.status = "failed" if (code or killed) else s.status
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


