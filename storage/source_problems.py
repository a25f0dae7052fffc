"""Open problems of sources (failing, no articles, silent), so that admins hear of each once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from storage.database import Database
from storage.models import SourceProblem
from storage.types import utcnow


@dataclass(frozen=True, slots=True)
class ProblemChange:
    source: str
    problem: str
    message: str
    opened: bool  # False: it cleared


def update(db: Database, current: Mapping[str, Mapping[str, str]], *,
           now: datetime | None = None) -> list[ProblemChange]:
    """Make the open problems of the sources in `current` ({source: {problem: message}}) be
    exactly those given, in one transaction; return what opened and what cleared."""
    since = now or utcnow()
    changes: list[ProblemChange] = []
    with db.write() as s:
        open_rows = {(p.source_id, p.problem): p for p in s.scalars(select(SourceProblem))
                     if p.source_id in current}
        for source, problems in current.items():
            for key, message in problems.items():
                if (source, key) not in open_rows:
                    s.add(SourceProblem(source_id=source, problem=key, message=message, since=since))
                    changes.append(ProblemChange(source, key, message, opened=True))
        for (source, key), row in open_rows.items():
            if key not in current[source]:
                s.delete(row)
                changes.append(ProblemChange(source, key, row.message, opened=False))
    return changes
