"""`unionwatch db backup` and `db downgrade`: the two commands that can lose the archive."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import typer

from scheduler.config import Config
from scheduler.output import console, err_console, fail, print_json
from scheduler.wiring import database
from storage import archive, backup, migrate
from storage.database import Database, display_url


def backup_command(cfg: Config, target: Path, *, force: bool, json_out: bool) -> int:
    url = cfg.database.url
    if not backup.is_sqlite(url):
        command = backup.pg_dump_command(url, target)
        if json_out:
            print_json({"database": display_url(url), "done": False, "command": command})
        else:
            console.print("PostgreSQL makes its own consistent copies; run (the password comes from "
                          "PGPASSWORD or ~/.pgpass):", highlight=False)
            console.print(command, highlight=False, markup=False, soft_wrap=True)
        return 0
    try:
        spinner = (err_console.status(f"copying {display_url(url)} …") if not json_out
                   else contextlib.nullcontext())
        with spinner:
            result = backup.backup_sqlite(url, target, overwrite=force)
    except backup.BackupError as exc:
        fail(str(exc).replace("[", r"\["))
    if json_out:
        print_json({"database": display_url(url), "done": True, "path": str(result.path),
                    "bytes": result.size, "articles": result.articles})
    else:
        console.print(f"backed up {result.articles} articles ({result.size / 2**20:.1f} MiB) "
                      f"to {result.path}", highlight=False, markup=False, soft_wrap=True)
    return 0


def downgrade_command(cfg: Config, revision: str, *, yes: bool) -> int:
    db = database(cfg)
    try:
        try:
            steps = migrate.reverted_by(db, revision)
        except ValueError as exc:
            fail(str(exc), code=2)
        where = display_url(cfg.database.url)
        if not steps:
            console.print(f"database {where}: nothing to revert", highlight=False)
            return 0
        size = archive.size(db)
        drops_all = steps[-1][0] == _first_revision(db)
        what = (f"drops every table of {where}: the whole archive ({size.describe()})" if drops_all
                else f"reverts {where} by {len(steps)} migration(s): "
                     + "; ".join(f"{rev} {doc}" for rev, doc in steps))
        if not yes:
            if not sys.stdin.isatty():
                fail(f"db downgrade {revision} {what}. Pass --yes to do it (no terminal to ask).",
                     code=2)
            err_console.print(f"db downgrade {revision} {what}.", highlight=False, markup=False,
                              soft_wrap=True)
            if not typer.confirm("Go ahead?", default=False, err=True):
                err_console.print("nothing changed", highlight=False)
                return 1
        migrate.downgrade(db, revision)
        console.print(f"database {where}: now at {migrate.current_revision(db) or 'base (empty)'}",
                      highlight=False)
        return 0
    finally:
        db.dispose()


def _first_revision(db: Database) -> str:
    return migrate.reverted_by(db, "base")[-1][0]
