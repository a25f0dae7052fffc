"""Consistent copies of a live archive: SQLite's online backup, or the pg_dump command to run."""

from __future__ import annotations

import contextlib
import os
import shlex
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.database import sqlite_file


class BackupError(Exception):
    """The copy could not be made; the message names the file and the cause."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size: int  # bytes
    articles: int


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def backup_sqlite(url: str, target: Path, *, overwrite: bool = False) -> BackupResult:
    """Copy a SQLite database, while others write to it, into `target`.

    SQLite's online backup API, in one step: the copy is one read transaction, a consistent
    snapshot that WAL lets writers go on beside (copied in several steps, a backup restarts
    whenever another connection writes, and might never end under a busy crawl). The copy goes
    to a temporary file beside `target` and is renamed into place only once it is whole and
    passes its integrity check, so a crash or a full disk never leaves half a backup under
    the name.
    """
    source = sqlite_file(url)
    if source is None:
        raise BackupError(f"{url}: not a SQLite file")
    if not source.exists():
        raise BackupError(f"{source}: no such database")
    target = target.expanduser().resolve()
    if target == source.resolve():
        raise BackupError(f"{target}: the backup cannot replace the database itself")
    if target.exists() and not overwrite:
        raise BackupError(f"{target}: already exists (pass --force to replace it)")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent}: no such folder")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst, pages=-1)
                # A copy in WAL mode would need its -wal file beside it; a backup is one file.
                dst.execute("PRAGMA journal_mode = DELETE")
                verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
                if verdict != "ok":
                    raise BackupError(f"{target}: the copy failed its integrity check: {verdict}")
                articles = _articles(dst)
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise BackupError(f"{target}: {exc}") from None
    except OSError as exc:
        raise BackupError(f"{target}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return BackupResult(target, target.stat().st_size, articles)


def _articles(conn: sqlite3.Connection) -> int:
    try:
        return int(conn.execute("SELECT count(*) FROM article").fetchone()[0])
    except sqlite3.OperationalError:  # an empty database: no schema yet
        return 0


def pg_dump_command(url: str, target: Path) -> str:
    """The pg_dump command that writes a consistent copy of a PostgreSQL database to `target`.

    The password, if the URL holds one, is left out: pg_dump reads it from PGPASSWORD or
    ~/.pgpass, so it never lands in shell history.
    """
    parsed = make_url(url).set(drivername="postgresql", password=None)
    libpq = parsed.render_as_string(hide_password=False)
    return f"pg_dump --format=custom --file={shlex.quote(str(target))} {shlex.quote(libpq)}"
