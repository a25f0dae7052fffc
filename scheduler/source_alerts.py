"""Admin alerts for source problems: one alert when a problem opens, one when it clears."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from scheduler.config import Config
from scheduler.health import source_health
from storage.database import Database
from storage.models import SourceProblem
from storage.types import utcnow

log = logging.getLogger(__name__)
Notify = Callable[[str, str], None]  # (subject, text)


@dataclass(frozen=True)
class Change:
    source: str
    problem: str
    message: str
    opened: bool  # False: it cleared


def update_source_problems(cfg: Config, db: Database, now: datetime | None = None,
                           sources: list[str] | None = None) -> list[Change]:
    """Compare each source's current problems with the open ones; record and return the changes."""
    now = now or utcnow()
    health = {h.source: h for h in source_health(db, cfg, now)
              if sources is None or h.source in sources}
    changes: list[Change] = []
    with db.write() as s:
        open_rows = {(p.source_id, p.problem): p for p in s.scalars(select(SourceProblem))
                     if p.source_id in health}
        for src, h in health.items():
            for key, message in h.problems.items():
                if (src, key) not in open_rows:
                    s.add(SourceProblem(source_id=src, problem=key, message=message, since=now))
                    changes.append(Change(src, key, message, opened=True))
        for (src, key), row in open_rows.items():
            if key not in health[src].problems:
                s.delete(row)
                changes.append(Change(src, key, row.message, opened=False))
    return changes


def alert_source_changes(changes: list[Change], notify: Notify) -> None:
    if not changes:
        return
    opened = [c for c in changes if c.opened]
    cleared = [c for c in changes if not c.opened]
    lines = [f"- {c.source}: {c.message}" for c in opened]
    if cleared:
        lines += ["", "Recovered:", *(f"- {c.source}: no longer {c.problem.replace('_', ' ')}"
                                      for c in cleared)]
    subject = (f"{len(opened)} source problem(s): {', '.join(sorted({c.source for c in opened}))}"
               if opened else f"{len(cleared)} source problem(s) cleared")
    text = "\n".join(lines) + "\n\nRun `unionwatch status` for the details."
    for c in opened:
        log.warning("source %s: %s", c.source, c.message)
    notify(subject, text)


def check_sources(cfg: Config, db: Database, notify: Notify, sources: list[str] | None = None) -> None:
    alert_source_changes(update_source_problems(cfg, db, sources=sources), notify)
