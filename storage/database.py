"""Engines and sessions: SQLite (WAL, writers take BEGIN IMMEDIATE) or PostgreSQL."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

__all__ = ["BUSY_TIMEOUT_S", "Database", "DatabaseError", "Session", "Unavailable", "check_url",
           "dialect_insert", "display_url", "make_engine", "sqlite_file", "url_of"]

log = logging.getLogger(__name__)
BUSY_TIMEOUT_S = 30.0  # how long a writer waits for another's SQLite lock (database.busy_timeout_seconds)
# SQLite's own busy handler waits (polling with backoff, up to 100 ms apart) this long per
# attempt; between attempts we log once that we wait, and give up at the busy timeout.
_BUSY_STEP_S = 1.0
# What a failed query raises, for callers that must not import sqlalchemy themselves.
DatabaseError = SQLAlchemyError


class Unavailable(SQLAlchemyError):
    """The database cannot be used now, whatever the query: unreachable, gone away, locked
    past the busy timeout, read-only, or full. A DatabaseError; its text is one line."""

    def __init__(self, url: str, cause: str) -> None:
        self.database, self.cause = display_url(url), cause
        super().__init__(f"database {self.database}: {cause}")

    def __reduce__(self) -> tuple[type[Unavailable], tuple[str, str]]:
        return type(self), (self.database, self.cause)  # it crosses process pools too


def _is_locked(exc: OperationalError) -> bool:
    return "database is locked" in str(exc.orig)


def _cause(exc: SQLAlchemyError, busy_timeout: float) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines() or [type(orig).__name__]
    cause = lines[0].strip()
    if isinstance(exc, OperationalError) and _is_locked(exc):
        cause += (f" (another process held the lock for more than {busy_timeout:g} s; "
                  "database.busy_timeout_seconds sets how long to wait)")
    return cause


def _prepare_sqlite(engine: Engine, url: str, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(min(busy_timeout, _BUSY_STEP_S) * 1000)}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    # pysqlite opens transactions on its own schedule; take BEGIN over ourselves so that
    # writers can ask for IMMEDIATE (a deferred read-then-write fails at once with
    # "database is locked" whatever the busy timeout is). IMMEDIATE is where a writer
    # waits for another's lock, so that is where the wait is bounded and said.
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        deadline = time.monotonic() + busy_timeout
        said = False
        while True:
            try:
                conn.exec_driver_sql(f"BEGIN {mode}")
                return
            except OperationalError as exc:
                if not _is_locked(exc) or time.monotonic() >= deadline:
                    raise
                if not said:
                    log.info("database %s is locked by another process: waiting up to %g s",
                                display_url(url), busy_timeout)
                    said = True


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for other databases and in-memory ones)."""
    parsed = make_url(url)
    db = parsed.database
    if parsed.get_backend_name() != "sqlite" or not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db).expanduser()


def check_url(url: str) -> str:
    """The URL if it names a database we can use (SQLite or PostgreSQL), else ValueError saying why."""
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        raise ValueError(f"'{url}' is not a database URL (sqlite:///path/to/file.db or "
                         "postgresql://user@host/dbname)") from None
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported database '{backend}': use sqlite:///path/to/file.db or "
                         "postgresql://user@host/dbname") from None
    return url


def display_url(url: str) -> str:
    """The URL fit for output and logs: any password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str, *, busy_timeout: float = BUSY_TIMEOUT_S, **kwargs: Any) -> Engine:
    """Create an engine; for a SQLite file the parent directory is created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise Unavailable(url, f"cannot create the folder {path.parent}: {exc.strerror}") from exc
        kwargs.setdefault("connect_args", {}).setdefault("timeout", min(busy_timeout, _BUSY_STEP_S))
        engine = create_engine(url, **kwargs)
        _prepare_sqlite(engine, url, busy_timeout)
        return engine
    if parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg"))
    return create_engine(url, pool_pre_ping=True, **kwargs)


def url_of(session: Session) -> str:
    """The URL of the database a session talks to (a cache key part: a process may use several)."""
    return str(session.get_bind().engine.url)


def dialect_insert(session: Session) -> Callable[..., Any]:
    """The dialect's INSERT, which has on_conflict_do_nothing/do_update (SQLite and PostgreSQL)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise RuntimeError(f"unsupported database dialect {name!r}")


class Database:
    """The one handle the rest of the code needs: read and write sessions on one engine.

    A failure of the database itself (not of a query) raises Unavailable, one line.
    """

    def __init__(self, url: str, engine: Engine | None = None, *,
                 busy_timeout: float = BUSY_TIMEOUT_S) -> None:
        self.url = url
        self.busy_timeout = busy_timeout
        self.engine = engine or make_engine(url, busy_timeout=busy_timeout)
        self._writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def _unavailable_as_one_line(self) -> Iterator[None]:
        try:
            yield
        except (OperationalError, InterfaceError) as exc:
            raise Unavailable(self.url, _cause(exc, self.busy_timeout)) from exc

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that will write: committed on success, rolled back on error."""
        with (self._unavailable_as_one_line(), Session(self._writer, expire_on_commit=False) as session,
              session.begin()):
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with (self._unavailable_as_one_line(), Session(self.engine, expire_on_commit=False) as session,
              session.begin()):
            yield session

    @contextmanager
    def connect(self, *, write: bool = False) -> Iterator[Connection]:
        """A Connection in a transaction (for Alembic): committed on success."""
        with self._unavailable_as_one_line(), (self._writer if write else self.engine).begin() as conn:
            yield conn

    def ping(self) -> None:
        """Connect and run a trivial query: raises Unavailable if the database cannot be used."""
        with self.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
