"""The stamp job: RFC 3161 tokens for the captures of matched articles (evidence.timestamp).

Runs after matching and on its own schedule in the service. A capture is first read back and
checked against its indexed digest (a token must never vouch for a damaged copy), then its
records are stamped. A TSA that is down, slow or answers nonsense costs only time: the stamp
stays owed and is asked for again with backoff (1 min, doubling, at most 6 h); the capture is
never touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from scheduler.config import Config
from scheduler.evidence_package import CaptureUnreadable, records_bytes
from scheduler.timestamp_config import TimestampConfig
from scheduler.tsa import StampError, Trust, load_trust, request_stamp
from storage import captures, evidence, timestamps
from storage.database import Database
from storage.types import utcnow

log = logging.getLogger("unionwatch.stamping")
RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=6)
HOLD = timedelta(minutes=10)  # a claimed row is another stamper's only after this
BATCH = 20
MAX_PER_RUN = 500  # a run ends; the next takes the rest
GIVE_UP_AFTER = 3  # failures in a row: the TSA is failing, the rest waits for the next run


def backoff(attempts: int) -> timedelta:
    """How long after its `attempts`-th failure a stamp is asked for again."""
    wait: timedelta = min(RETRY_FIRST * (2 ** max(0, attempts - 1)), RETRY_MAX)
    return wait


@dataclass
class StampSummary:
    queued: int = 0
    stamped: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)  # one per failed capture: "capture N: why"

    def as_dict(self) -> dict[str, Any]:
        return {"queued": self.queued, "stamped": self.stamped, "failed": self.failed, "errors": self.errors}


def _message(root: Path, row: captures.CaptureRow) -> bytes:
    try:
        evidence.read(root, row, verify=True)  # its payload still matches the index
        return records_bytes(evidence.record_bytes(root, row))
    except (evidence.CaptureGone, CaptureUnreadable) as exc:
        raise StampError(f"the capture cannot be read back intact: {exc}") from None


def stamp_due(db: Database, root: Path, settings: TimestampConfig, *, now: datetime | None = None,
              client: httpx.Client | None = None, trust: Trust | None = None,
              max_captures: int = MAX_PER_RUN) -> StampSummary:
    """Queue the matched captures not yet stamped, then ask the TSA for the due ones."""
    summary = StampSummary()
    url = settings.tsa_url
    if not url:
        return summary
    trust = trust if trust is not None else load_trust(settings.ca_file, settings.tsa_cert_file)
    own = client is None
    client = client or httpx.Client(follow_redirects=False)
    try:
        with db.write() as s:
            summary.queued = timestamps.queue_matched(s, now or utcnow())
        in_a_row = 0
        while summary.stamped + summary.failed < max_captures and in_a_row < GIVE_UP_AFTER:
            at = now or utcnow()
            with db.write() as s:
                left = max_captures - summary.stamped - summary.failed
                ids = timestamps.claim_due(s, at, HOLD, min(BATCH, left))
                rows = {i: captures.get(s, i) for i in ids}
                attempts = {i: t.attempts for i, t in timestamps.of(s, ids).items()}
            if not ids:
                break
            for cid in ids:
                if in_a_row >= GIVE_UP_AFTER:
                    break  # the rows left keep their hold, then are due again
                row = rows[cid]
                if row is None:
                    continue  # dropped meanwhile: its queue row went with it
                try:
                    stamp = request_stamp(_message(root, row), url, trust, client, settings.timeout)
                except StampError as exc:
                    retry = (now or utcnow()) + backoff(attempts.get(cid, 0) + 1)
                    with db.write() as s:
                        timestamps.record_failure(s, cid, tsa_url=url, error=str(exc), next_attempt_at=retry)
                    summary.failed += 1
                    in_a_row += 1
                    summary.errors.append(f"capture {cid}: {exc}")
                    log.warning("time-stamp of capture %d (%s): %s; asking again at %s", cid, row.url, exc,
                                retry.strftime("%Y-%m-%d %H:%M:%S UTC"))
                    continue
                with db.write() as s:
                    timestamps.record_stamp(s, cid, token=stamp.token, imprint=stamp.imprint, tsa_url=url,
                                            gen_time=stamp.gen_time, serial=stamp.serial, now=now or utcnow())
                summary.stamped += 1
                in_a_row = 0
    finally:
        if own:
            client.close()
    return summary


def stamp_now(cfg: Config, db: Database, *, now: datetime | None = None) -> StampSummary:
    """The stamp job as the config sets it up (nothing when no TSA is configured)."""
    return stamp_due(db, cfg.evidence.dir, cfg.evidence.timestamp, now=now)


def stamp_health(cfg: Config, db: Database) -> dict[str, Any]:
    """What `status` says of trusted time: the TSA, how many tokens are held and owed, why not."""
    with db.read() as s:
        c = timestamps.counts(s)
    return {"tsa_url": cfg.evidence.timestamp.tsa_url, "stamped": c.stamped, "owed": c.pending,
            "failing": c.failing, "oldest_owed": c.oldest_pending, "last_error": c.last_error}


def describe_health(h: dict[str, Any]) -> str:
    if not h["tsa_url"]:
        head = "time-stamps: no TSA configured (evidence.timestamp.tsa_url)"
        earlier = f"; {h['stamped']} stamped earlier, {h['owed']} owed" if h["stamped"] or h["owed"] else ""
        return head + earlier
    line = f"time-stamps ({h['tsa_url']}): {h['stamped']} stamped, {h['owed']} owed"
    if h["failing"]:
        since = h["oldest_owed"].strftime("%Y-%m-%d %H:%M UTC") if h["oldest_owed"] else "?"
        line += (f" ({h['failing']} after failed attempts, the oldest since {since}; "
                 f"last error: {h['last_error']})")
    return line
