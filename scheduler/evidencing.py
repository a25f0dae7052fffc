"""The evidence archive as config.yaml sets it up: its health for `status`, its retention."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from scheduler.config import Config
from storage import captures, evidence
from storage.database import Database
from storage.evidence import Problem, Reclaimed, Settings

log = logging.getLogger(__name__)
GONE_SHOWN = 20  # captures named one by one in `status`; the rest are counted


def evidence_settings(cfg: Config) -> Settings | None:
    """Where captures are written, or None when capture is off."""
    ev = cfg.evidence
    if not ev.enabled:
        return None
    return Settings(ev.dir.resolve(), ev.max_file_mb << 20, ev.rotate_daily)


@dataclass
class EvidenceHealth:
    enabled: bool
    dir: str
    captures: int = 0
    files: int = 0
    bytes: int = 0
    gone: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "gone": [asdict(p) for p in self.gone]}

    def describe(self) -> str:
        state = "on" if self.enabled else "off"
        line = (f"evidence ({state}): {self.captures} captures in {self.files} WARC files, "
                f"{self.bytes / 1e6:.1f} MB, in {self.dir}")
        return line + (f"; {len(self.gone)} captures gone" if self.gone else "")


def evidence_health(db: Database, cfg: Config) -> EvidenceHealth:
    """What the archive holds, and which indexed captures their files no longer hold."""
    root = cfg.evidence.dir.resolve()
    sizes = []
    try:
        for f in evidence.iter_files(root):
            with contextlib.suppress(FileNotFoundError):  # deleted meanwhile (a compaction)
                sizes.append(f.stat().st_size)
    except OSError as exc:  # an unreadable folder: every capture in it reads as gone below
        log.warning("evidence folder %s: %s", root, exc)
    h = EvidenceHealth(cfg.evidence.enabled, str(root), files=len(sizes), bytes=sum(sizes))
    h.captures, h.gone = evidence.check(db, root)
    return h


def apply_retention(cfg: Config, db: Database, now: datetime | None = None) -> Reclaimed:
    """Drop unmatched captures past evidence.keep_unmatched_days and reclaim their space.

    Runs whether or not capture is on now: captures made while it was on still expire.
    """
    root = cfg.evidence.dir.resolve()
    with db.read() as s:
        if not captures.count(s) and not any(evidence.iter_files(root)):
            return Reclaimed()
    done = evidence.apply_retention(db, root, cfg.evidence.keep_unmatched_days, now=now)
    if done.dropped or done.files_deleted or done.files_compacted:
        log.info("evidence retention: %d captures dropped, %d files deleted, %d compacted, %.1f MB freed",
                 done.dropped, done.files_deleted, done.files_compacted, done.bytes_freed / 1e6)
    return done
