"""Schema migrations with Alembic, driven from code (no alembic.ini to find)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.database import BUSY_TIMEOUT_S, Database, Unavailable, display_url, sqlite_file

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def _run(db: Database, fn: str, *args: str) -> None:
    cfg = alembic_config(db)
    with db.connect(write=True) as conn:
        cfg.attributes["connection"] = conn
        getattr(command, fn)(cfg, *args)


def upgrade(db: Database, revision: str = "head") -> None:
    _run(db, "upgrade", revision)


def downgrade(db: Database, revision: str) -> None:
    _run(db, "downgrade", revision)


def check(db: Database) -> None:
    """Raise if the models and the migrations have drifted apart."""
    _run(db, "check")


def current_revision(db: Database) -> str | None:
    with db.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(db: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def is_current(db: Database) -> bool:
    return current_revision(db) == head_revision(db)


class NotReady(Exception):
    """The database cannot be read as it is: missing, unreachable, or at another schema."""


def open_current(url: str, *, busy_timeout: float = BUSY_TIMEOUT_S) -> Database:
    """Open a database that exists and is at the head revision; never create or migrate it."""
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise NotReady(f"database {path} does not exist yet: `unionwatch crawl` or "
                       "`unionwatch db upgrade` creates it")
    db = Database(url, busy_timeout=busy_timeout)
    try:
        current, head = current_revision(db), head_revision(db)
    except Unavailable as exc:
        db.dispose()
        raise NotReady(f"database {exc.database}: cannot connect: {exc.cause}") from None
    if current != head:
        db.dispose()
        raise NotReady(f"database {display_url(url)} is at schema {current or 'empty'}, this "
                       f"version needs {head}: run `unionwatch db upgrade`")
    return db


def reverted_by(db: Database, revision: str) -> list[tuple[str, str]]:
    """The (revision, message) pairs that `downgrade(db, revision)` reverts, newest first.

    Raises ValueError when `revision` names no revision known here.
    """
    script = ScriptDirectory.from_config(alembic_config(db))
    current = current_revision(db)
    if current is None:
        return []
    try:
        if revision == "base":
            lower = None
        elif revision.startswith("-") and revision[1:].isdigit():
            lower = current
            for _ in range(int(revision[1:])):
                if lower is None:
                    raise ValueError(f"only {len(list(script.iterate_revisions(current, 'base')))} "
                                     "revisions to revert")
                down = script.get_revision(lower).down_revision
                lower = down if isinstance(down, str) else None
        else:
            found = script.get_revision(revision)
            if found is None:
                raise ValueError(revision)
            lower = found.revision
        steps = list(script.iterate_revisions(current, lower or "base"))
    except Exception as exc:  # alembic's CommandError / ResolutionError: an unknown revision
        raise ValueError(f"unknown revision {revision!r}: {str(exc).splitlines()[0]}") from None
    return [(r.revision, (r.doc or "").strip()) for r in steps if r.revision != lower]
