"""Admin alerts for source problems: one alert when a problem opens, one when it clears."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from scheduler.config import Config
from scheduler.health import source_health
from storage import source_problems
from storage.database import Database
from storage.source_problems import ProblemChange
from storage.types import utcnow

log = logging.getLogger(__name__)
Notify = Callable[[str, str], None]  # (subject, text)


def update_source_problems(cfg: Config, db: Database, now: datetime | None = None,
                           sources: list[str] | None = None) -> list[ProblemChange]:
    """Compare each source's current problems with the open ones; record and return the changes."""
    now = now or utcnow()
    current = {h.source: h.problems for h in source_health(db, cfg, now)
               if sources is None or h.source in sources}
    return source_problems.update(db, current, now=now)


def alert_source_changes(changes: list[ProblemChange], notify: Notify) -> None:
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
