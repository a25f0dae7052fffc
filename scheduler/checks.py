"""`unionwatch check`: everything an admin should know before the service starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scheduler.config import load_config
from scheduler.wiring import database
from scheduler.yamlsource import ConfigError
from storage import migrate
from storage.database import Unavailable, sqlite_file


def run_checks(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = {"ok": False, "config": str(path), "problems": [], "summary": []}
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        report["problems"] = exc.problems
        return report
    n_entities = len(cfg.entities)
    report["summary"] += [
        f"{path}: valid",
        f"{len(cfg.sources)} sources, {len(cfg.watchlists)} watchlists with {n_entities} entities, "
        f"{len(cfg.subscribers)} subscribers, {len(cfg.admins)} admins",
    ]
    if cfg.matching.backfill_days is not None:
        report["summary"].append(
            f"{path}: matching.backfill_days is no longer used and can go: an added or changed "
            "entity is matched against the whole archive (`unionwatch rematch` does it on demand)")
    try:
        from scheduler.wiring import watchlist

        watchlist(cfg)
        report["summary"].append(f"watchlists compile ({n_entities} entities)")
    except Exception as exc:  # a matcher refusal is a config problem to show, not a crash
        report["problems"].append(f"{path}: watchlists: cannot compile: {exc}")
    db_file = sqlite_file(cfg.database.url)
    if db_file is not None and not db_file.exists():
        # Checking must not leave an empty database file behind.
        report["summary"].append(f"database {db_file} does not exist yet; the first run creates it")
        report["ok"] = not report["problems"]
        return report
    try:
        db = database(cfg)
        db.ping()
        cur, head = migrate.current_revision(db), migrate.head_revision(db)
        state = "up to date" if cur == head else f"at {cur or 'empty'}, will upgrade to {head}"
        report["summary"].append(f"database reachable, schema {state}")
        db.dispose()
    except Unavailable as exc:  # it names the database and says why
        report["problems"].append(f"{path}: database.url: {exc}")
    except Exception as exc:
        report["problems"].append(f"{path}: database.url: cannot connect: {exc}")
    report["ok"] = not report["problems"]
    return report
