"""The Wayback Machine's Save Page Now 2: submit newly matched articles, poll, record snapshots.

SPN2 (https://web.archive.org/save, "Authorization: LOW key:secret"): POST /save with url=...
answers {"url", "job_id"}; GET /save/status/<job_id> answers {"status": "pending"}, then
"success" with "timestamp" and "original_url", or "error" with "status_ext" (error:...). A
rate limit is HTTP 429 (with Retry-After), or status_ext error:user-session-limit (too many
captures at once) or error:too-many-daily-captures (the day's quota). Those, and every other
failure that is not SPN2 refusing the URL for good, put the submission back in the queue with
a backoff: it is retried later, never lost.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from scheduler.config import Config, WaybackConfig, parse_interval
from storage import wayback
from storage.articles import urls_of
from storage.database import Database
from storage.types import utcnow
from storage.wayback import Submission, WaybackState

log = logging.getLogger(__name__)
# SPN2 will not take these URLs whatever we do: recorded as refused, not retried.
PERMANENT = {
    "error:invalid-url-syntax", "error:bad-request", "error:blocked", "error:blocked-url",
    "error:method-not-allowed", "error:no-access", "error:not-implemented", "error:filesize-limit",
    "error:ftp-access-denied",
}
SESSION_LIMIT = "error:user-session-limit"
DAILY_LIMIT = "error:too-many-daily-captures"
RATE_LIMITS = {SESSION_LIMIT, DAILY_LIMIT, "error:too-many-requests"}
BACKOFF_MAX = timedelta(days=1)
SESSION_BACKOFF = timedelta(minutes=5)
DAILY_BACKOFF = timedelta(hours=6)
MAX_RETRY_AFTER = timedelta(days=1)


class Spn2Error(Exception):
    """SPN2 did not take a submission; `status_ext` names why, `retry_after` when to come back."""

    def __init__(self, message: str, status_ext: str = "", retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.status_ext = status_ext
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        return self.status_ext in PERMANENT

    @property
    def rate_limited(self) -> bool:
        return self.status_ext in RATE_LIMITS


@dataclass(frozen=True, slots=True)
class JobStatus:
    status: str  # pending, success, error
    timestamp: str | None = None
    original_url: str | None = None
    status_ext: str | None = None
    message: str | None = None


def snapshot_url(timestamp: str, original_url: str) -> str:
    return f"https://web.archive.org/web/{timestamp}/{original_url}"


def _retry_after(resp: httpx.Response, now: datetime) -> timedelta | None:
    value = resp.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        delay = timedelta(seconds=max(0, int(value)))
    except ValueError:
        try:
            delay = parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return min(max(delay, timedelta(0)), MAX_RETRY_AFTER)


class Spn2Client:
    """SPN2 over httpx; `transport` is the seam tests use (or a loopback stand-in at api_base)."""

    def __init__(self, api_base: str, access_key: str, secret_key: str, *, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None, user_agent: str = "unionwatch") -> None:
        self.http = httpx.Client(
            base_url=api_base.rstrip("/"), timeout=timeout, transport=transport,
            headers={"Authorization": f"LOW {access_key}:{secret_key}", "Accept": "application/json",
                     "User-Agent": user_agent},
        )

    def close(self) -> None:
        self.http.close()

    def _json(self, resp: httpx.Response) -> dict[str, Any]:
        if resp.status_code == 429:
            raise Spn2Error("HTTP 429 Too Many Requests", "error:too-many-requests",
                            _retry_after(resp, utcnow()))
        try:
            data = resp.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise Spn2Error(f"HTTP {resp.status_code}: not a JSON object: {resp.text[:200]!r}",
                            retry_after=_retry_after(resp, utcnow()))
        if data.get("status") == "error" or resp.status_code >= 400:
            ext = str(data.get("status_ext") or "")
            raise Spn2Error(f"HTTP {resp.status_code}: {ext or 'error'}: {data.get('message', '')}".strip(),
                            ext, _retry_after(resp, utcnow()))
        return data

    def save(self, url: str) -> str:
        """Submit a URL; its job id."""
        data = self._json(self.http.post("/save", data={"url": url}))
        job_id = data.get("job_id")
        if not isinstance(job_id, str) or not job_id:
            raise Spn2Error(f"no job_id in SPN2's answer: {str(data)[:200]}")
        return job_id

    def status(self, job_id: str) -> JobStatus:
        resp = self.http.get(f"/save/status/{job_id}")
        if resp.status_code == 429:
            self._json(resp)
        try:
            data = resp.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or resp.status_code >= 500:
            raise Spn2Error(f"status of {job_id}: HTTP {resp.status_code}: {resp.text[:200]!r}",
                            retry_after=_retry_after(resp, utcnow()))
        return JobStatus(str(data.get("status", "")), data.get("timestamp"), data.get("original_url"),
                         data.get("status_ext"), data.get("message"))


@dataclass
class WaybackRun:
    queued: int = 0
    archived: list[tuple[int, str]] = field(default_factory=list)  # (submission id, snapshot)
    retrying: list[tuple[int, str]] = field(default_factory=list)  # (submission id, why)
    refused: list[tuple[int, str]] = field(default_factory=list)
    pending: int = 0  # jobs SPN2 is still working on, polled again next run
    stopped: str | None = None  # a rate limit ended the run early

    def as_dict(self) -> dict[str, Any]:
        return {"queued": self.queued, "archived": [{"id": i, "snapshot": u} for i, u in self.archived],
                "retrying": [{"id": i, "error": e} for i, e in self.retrying],
                "refused": [{"id": i, "error": e} for i, e in self.refused],
                "pending": self.pending, "stopped": self.stopped}


def backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** min(attempts, 12)), BACKOFF_MAX)


def credentials(wb: WaybackConfig) -> tuple[str, str]:
    access, secret = os.environ.get(wb.access_key_env, ""), os.environ.get(wb.secret_key_env, "")
    if not access or not secret:
        missing = [n for n, v in ((wb.access_key_env, access), (wb.secret_key_env, secret)) if not v]
        raise RuntimeError(f"evidence.wayback: environment variable(s) {', '.join(missing)} not set")
    return access, secret


def queue_changed(cfg: Config, db: Database, article_ids: list[int]) -> None:
    """Archive a changed article's new text too (min_interval still holds)."""
    wb, now = cfg.evidence.wayback, utcnow()
    with db.write() as s:
        for article_id, url in urls_of(s, article_ids):
            wayback.queue(s, article_id, url, now, parse_interval(wb.min_interval))


class _Stop(Exception):
    pass


def run_wayback(cfg: Config, db: Database, *, transport: httpx.BaseTransport | None = None,
                stop: threading.Event | None = None,
                clock: Callable[[], datetime] = utcnow) -> WaybackRun:
    """Queue newly matched articles, poll submitted jobs, submit what is due."""
    wb = cfg.evidence.wayback
    run = WaybackRun()
    stop = stop or threading.Event()
    with db.write() as s:
        run.queued = wayback.queue_new_matches(s, clock(), parse_interval(wb.min_interval), wb.batch)
    with db.read() as s:
        todo = wayback.pending(s, clock(), wb.batch)
    if not todo:
        return run
    access, secret = credentials(wb)
    client = Spn2Client(wb.api_base, access, secret, timeout=wb.timeout, transport=transport,
                        user_agent=cfg.crawl.user_agent_header())
    try:
        for sub in todo:
            if stop.is_set():
                break
            try:
                _one(client, db, sub, wb, run, stop, clock)
            except _Stop:
                break
    finally:
        client.close()
    return run


def _one(client: Spn2Client, db: Database, sub: Submission, wb: WaybackConfig, run: WaybackRun,
         stop: threading.Event, clock: Callable[[], datetime]) -> None:
    job_id = sub.job_id
    if sub.state is WaybackState.QUEUED or job_id is None:
        try:
            job_id = client.save(sub.url)
        except (Spn2Error, httpx.HTTPError) as exc:
            _failed(db, sub, exc, run, clock(), attempted=True)
            return
        with db.write() as s:
            wayback.submitted(s, sub.id, job_id, clock())
    deadline = clock() + timedelta(seconds=wb.max_wait)
    while True:
        try:
            st = client.status(job_id)
        except (Spn2Error, httpx.HTTPError) as exc:
            if isinstance(exc, Spn2Error) and exc.rate_limited:
                _failed(db, sub, exc, run, clock(), attempted=False, keep_job=True)
            else:
                log.warning("wayback: polling %s for %s: %s; polled again next run", job_id, sub.url, exc)
                run.pending += 1
            return
        if st.status == "success" and st.timestamp:
            snap = snapshot_url(st.timestamp, st.original_url or sub.url)
            with db.write() as s:
                wayback.archived(s, sub.id, snap, clock())
            run.archived.append((sub.id, snap))
            return
        if st.status == "error":
            _failed(db, sub, Spn2Error(f"{st.status_ext or 'error'}: {st.message or ''}".strip(),
                                       st.status_ext or ""), run, clock(), attempted=False)
            return
        if clock() >= deadline or stop.wait(wb.poll_interval):
            run.pending += 1  # still pending: the job id is kept and polled next run
            return


def _failed(db: Database, sub: Submission, exc: Exception, run: WaybackRun, now: datetime, *,
            attempted: bool, keep_job: bool = False) -> None:
    message = str(exc) or type(exc).__name__
    if isinstance(exc, Spn2Error) and exc.permanent:
        with db.write() as s:
            wayback.refused(s, sub.id, message, now)
        run.refused.append((sub.id, message))
        log.warning("wayback: SPN2 refused %s: %s", sub.url, message)
        return
    if isinstance(exc, Spn2Error) and (exc.rate_limited or exc.retry_after is not None):
        wait = exc.retry_after if exc.retry_after is not None else (
            DAILY_BACKOFF if exc.status_ext == DAILY_LIMIT else SESSION_BACKOFF)
        until = now + wait
        with db.write() as s:
            if not keep_job:
                wayback.retry_later(s, sub.id, message, until, attempted=attempted)
            wayback.defer_all(s, until, f"held back: {message}")
        run.retrying.append((sub.id, message))
        run.stopped = f"rate limited until {until:%Y-%m-%d %H:%M} UTC: {message}"
        log.warning("wayback: %s", run.stopped)
        raise _Stop
    until = now + backoff(sub.attempts + 1)
    with db.write() as s:
        wayback.retry_later(s, sub.id, message, until, attempted=attempted)
    run.retrying.append((sub.id, message))
    log.warning("wayback: %s: %s; retried after %s", sub.url, message, f"{until:%Y-%m-%d %H:%M} UTC")
