"""Re-checks: fetch matched articles again at their ages, in the crawl child, and tell of changes.

The fetching runs in a crawl child (spiders/recheck.py) under the crawl's rules; what it found
is stored there as it goes. Here: which articles are due, the child's run, and one admin
alert per run for the changes and removals no alert has taken yet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from scheduler.config import Config
from scheduler.crawling import CrawlResult, crawl_job, run_crawl
from scheduler.wayback import queue_changed
from spiders.events import Event, Rechecked
from spiders.jobspec import Language, RecheckSpec
from spiders.liveness import is_dead_local_owner, owner_id
from storage import leases, rechecks, versions, wayback
from storage.database import Database
from storage.rechecks import DueArticle, RecheckState, Update
from storage.types import utcnow

log = logging.getLogger(__name__)
LEASE = "recheck"
DIFF_LINES = 12  # of a change's diff in the admins' alert
NO_COPY = "none in the Wayback Machine yet (unionwatch's last capture stays the evidence)"


@dataclass
class RecheckRun:
    results: list[Rechecked] = field(default_factory=list)
    due: int = 0
    crawl: CrawlResult | None = None
    alerted: list[Update] = field(default_factory=list)
    skipped: str | None = None  # another re-check run holds the lease

    @property
    def ok(self) -> bool:
        return self.crawl is None or self.crawl.ok


def specs(cfg: Config, due: list[DueArticle]) -> list[RecheckSpec]:
    """The child's re-check list: each article read as its source reads pages."""
    sources = {s.id: s for s in cfg.sources}
    out = []
    for a in due:
        src = sources.get(a.source_id)
        language = src.language if src is not None else Language.AUTO
        out.append(RecheckSpec(article_id=a.article_id, url=a.url, source_id=a.source_id,
                               language=language, timezone=src.timezone if src is not None else None))
    return out


def run_rechecks(cfg: Config, db: Database, *, every: bool = False,
                 on_result: Callable[[Rechecked], None] | None = None,
                 notify: Callable[[str, str], None] | None = None) -> RecheckRun:
    """Re-check what is due (`every`: all matched articles), then alert the admins once."""
    run = RecheckRun()
    ttl = timedelta(seconds=cfg.crawl.max_run_seconds + 120)
    try:
        lease = leases.take(db, LEASE, owner_id(), ttl, is_dead=is_dead_local_owner)
    except leases.LeaseHeld as held:
        run.skipped = f"another re-check is running ({held.holder or 'another process'})"
        return run
    with lease:
        with db.read() as s:
            due = rechecks.due(s, cfg.evidence.recheck_ages(), utcnow(), every=every,
                               limit=None if every else cfg.evidence.recheck_batch)
        run.due = len(due)
        if due:
            job = crawl_job(cfg, []).model_copy(update={"sources": [], "rechecks": specs(cfg, due)})

            def on_event(ev: Event) -> None:
                if isinstance(ev, Rechecked):
                    run.results.append(ev)
                    if on_result is not None:
                        on_result(ev)

            run.crawl = run_crawl(job, on_event=on_event, timeout=cfg.crawl.max_run_seconds)
            if not run.crawl.ok:
                log.error("re-check child %s:\n%s",
                          "was killed at its time limit" if run.crawl.killed
                          else f"exited with code {run.crawl.exit_code}",
                          run.crawl.stderr_tail.strip()[-2000:])
        changed = [r.article_id for r in run.results if r.state == RecheckState.CHANGED]
        if changed and cfg.evidence.wayback.enabled:
            queue_changed(cfg, db, changed)
        # Also what an earlier run stored but could not alert (it crashed, the child was killed).
        with db.write() as s:
            run.alerted = rechecks.claim_unalerted(s, utcnow())
        if run.alerted and notify is not None:
            subject, text = alert_text(db, run.alerted)
            notify(subject, text)
    return run


def alert_text(db: Database, updates: list[Update]) -> tuple[str, str]:
    """One alert for a run's changes and removals: what, when, and where the evidence is."""
    removed = [u for u in updates if u.state is RecheckState.REMOVED]
    changed = [u for u in updates if u.state is RecheckState.CHANGED]
    with db.read() as s:
        copies = wayback.snapshots(s, [u.article_id for u in updates])
        lines: list[str] = []
        if removed:
            lines.append(f"Removed ({len(removed)}):")
            for u in removed:
                copy = copies.get(u.article_id, NO_COPY)
                lines.append(f"- {u.title or u.url}\n  {u.url}\n  removed on {u.at:%Y-%m-%d %H:%M} UTC: "
                             f"{u.detail or 'gone'}; archived copy: {copy}")
        if changed:
            lines += ["", f"Changed ({len(changed)}):"] if lines else [f"Changed ({len(changed)}):"]
            for u in changed:
                new = versions.by_id(s, u.version_id) if u.version_id is not None else None
                old = versions.previous(s, new) if new is not None else None
                lines.append(f"- {u.title or u.url}\n  {u.url}\n  changed on {u.at:%Y-%m-%d %H:%M} UTC"
                             + (f" (version {new.version})" if new is not None else ""))
                if new is not None and old is not None:
                    diff = versions.diff(old, new).splitlines()
                    shown = diff[:DIFF_LINES] + (["  ..."] if len(diff) > DIFF_LINES else [])
                    lines += [f"    {d}" for d in shown]
    parts = [f"{len(removed)} removed"] if removed else []
    parts += [f"{len(changed)} changed"] if changed else []
    return f"re-check: {', '.join(parts)}", "\n".join(lines)


def evidence_checks(cfg: Config, db: Database) -> dict[str, object]:
    """For `status`: re-checks of the last 7 days by state, and the Wayback queue by state."""
    with db.read() as s:
        return {
            "rechecks_7d": rechecks.counts(s, utcnow() - timedelta(days=7)),
            "last_recheck": rechecks.last_at(s),
            "wayback": wayback.counts(s) if cfg.evidence.wayback.enabled else None,
        }


def describe_checks(info: dict[str, object]) -> str:
    states = info["rechecks_7d"]
    assert isinstance(states, dict)
    last = info["last_recheck"]
    line = "re-checks (7 days): " + (", ".join(f"{n} {k}" for k, n in sorted(states.items())) or "none")
    line += f"; last {last:%Y-%m-%d %H:%M} UTC" if last else ""
    wb = info["wayback"]
    if isinstance(wb, dict):
        queue = ", ".join(f"{n} {k}" for k, n in sorted(wb.items()))
        line += "\nwayback: " + (queue or "nothing submitted yet")
    return line
