"""A database that cannot be used (locked past the busy timeout, a read-only file, a disk that
takes no more, a PostgreSQL server that is not there) is one line naming the database, with its
password hidden, and the cause; exit 1; with --json the same as one JSON object. A SQLite lock
that is released within database.busy_timeout_seconds is waited for."""

from __future__ import annotations

import ctypes
import json
import os
import resource
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storage import migrate
from storage.database import Database, display_url
from tests.e2e.conftest import SMALL_CONFIG, Run
from tests.support.waiting import wait_for


def _config(tmp_path: Path, url: str, busy_timeout: float | None = None) -> Path:
    database = f"{{url: '{url}'" + (f", busy_timeout_seconds: {busy_timeout}" if busy_timeout is not None
                                    else "") + "}"
    path = tmp_path / "config.yaml"
    path.write_text(f"database: {database}\n" + SMALL_CONFIG.replace("OUT", str(tmp_path / "out")),
                    encoding="utf-8")
    return path


def _run(*args: str, preexec: Callable[[], None] | None = None, timeout: float = 120,
         env: dict[str, str] | None = None) -> Run:
    proc = subprocess.run([sys.executable, "-m", "scheduler.cli", *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout, preexec_fn=preexec,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})
    return Run(proc.returncode, proc.stdout, proc.stderr)


def _one_line(run: Run, database: str) -> str:
    """The failure's only line on stderr; it names the database."""
    assert run.code == 1, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    [line] = run.stderr.strip().splitlines()
    assert line.startswith(f"error: database {database}: "), line
    return line.removeprefix(f"error: database {database}: ")


def _as_json(run: Run, database: str) -> dict[str, object]:
    assert run.code == 1, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    data: dict[str, object] = json.loads(run.stdout)
    assert data["database"] == database and data["exit_code"] == 1
    assert data["error"] == f"database {database}: {data['cause']}"
    return data


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    path = tmp_path / "unionwatch.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    db.dispose()
    yield f"sqlite:///{path}", path


@pytest.fixture
def write_lock(sqlite_db: tuple[str, Path]) -> Iterator[sqlite3.Connection]:
    """Another process's write transaction on the database, held until the test releases it."""
    holder = sqlite3.connect(sqlite_db[1], isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    yield holder
    if holder.in_transaction:
        holder.execute("ROLLBACK")
    holder.close()


def test_a_lock_held_past_the_busy_timeout_is_one_line(tmp_path: Path, sqlite_db: tuple[str, Path],
                                                      write_lock: sqlite3.Connection) -> None:
    url, _ = sqlite_db
    config = str(_config(tmp_path, url, busy_timeout=1))
    started = time.monotonic()
    cause = _one_line(_run("digest", "--config", config), url)
    assert time.monotonic() - started >= 1, "the lock was waited for"
    assert cause.startswith("database is locked") and "busy_timeout_seconds" in cause
    data = _as_json(_run("digest", "--config", config, "--json"), url)
    assert str(data["cause"]).startswith("database is locked")


def test_a_lock_released_within_the_busy_timeout_is_waited_for(
    tmp_path: Path, sqlite_db: tuple[str, Path], write_lock: sqlite3.Connection
) -> None:
    url, _ = sqlite_db
    config = _config(tmp_path, url, busy_timeout=120)
    proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "digest", "--config", str(config), "-v"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    assert proc.stderr is not None
    stderr: list[str] = []
    reader = threading.Thread(target=lambda: stderr.extend(proc.stderr or []), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any("is locked by another process: waiting up to 120 s" in line for line in stderr),
                 timeout=60, what="the digest to wait for the lock")
        assert proc.poll() is None, "still waiting, not failed"
        write_lock.execute("ROLLBACK")
        assert proc.wait(timeout=60) == 0, "".join(stderr)
    finally:
        proc.kill()
        proc.wait()
        reader.join(timeout=10)


def _without_dac_override() -> None:
    """In the child: file permissions apply even to root (CAP_DAC_OVERRIDE dropped before exec)."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_capbset_drop, cap_dac_override = 24, 1
        if libc.prctl(pr_capbset_drop, cap_dac_override, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE)")


def test_a_read_only_database_file_is_one_line(tmp_path: Path, sqlite_db: tuple[str, Path]) -> None:
    url, path = sqlite_db
    config = str(_config(tmp_path, url))
    path.chmod(0o444)
    cause = _one_line(_run("digest", "--config", config, preexec=_without_dac_override), url)
    assert cause == "attempt to write a readonly database"
    data = _as_json(_run("digest", "--config", config, "--json", preexec=_without_dac_override), url)
    assert data["cause"] == "attempt to write a readonly database"
    status = _run("status", "--config", config, "--json", preexec=_without_dac_override)
    assert status.code == 0, "reading still works"


def _files_cannot_grow() -> None:
    """In the child: no file may grow past 40 KiB, which is how a full disk meets SQLite's writes."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (40 * 1024, 40 * 1024))


def test_a_disk_that_takes_no_more_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    config = str(_config(tmp_path, url))
    cause = _one_line(_run("db", "upgrade", "--config", config, preexec=_files_cannot_grow), url)
    assert "I/O error" in cause or "full" in cause, cause
    _as_json(_run("crawl", "--config", config, "--json", preexec=_files_cannot_grow), url)


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections (bound, never listening) for the whole test."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


@pytest.mark.parametrize(("command", "has_json"), [
    (["digest"], True), (["crawl"], True), (["db", "current"], True), (["db", "upgrade"], False),
    (["run"], False),
])
def test_postgresql_not_there_is_one_line_without_the_password(tmp_path: Path, closed_port: int,
                                                              command: list[str], has_json: bool) -> None:
    # config.yaml refuses a password in database.url: it comes from PGPASSWORD (or ~/.pgpass).
    url = f"postgresql://unionwatch@127.0.0.1:{closed_port}/unionwatch"
    config = str(_config(tmp_path, url))
    run = _run(*command, "--config", config, env={"PGPASSWORD": "s3cret"})
    assert "Connection refused" in _one_line(run, url)
    assert "s3cret" not in run.stderr + run.stdout
    if has_json:
        data = _as_json(_run(*command, "--config", config, "--json", env={"PGPASSWORD": "s3cret"}), url)
        assert "Connection refused" in str(data["cause"])
    # Should one reach the database layer in a URL all the same, it is never shown.
    assert display_url(f"postgresql://unionwatch:s3cret@127.0.0.1:{closed_port}/unionwatch") == (
        f"postgresql://unionwatch:***@127.0.0.1:{closed_port}/unionwatch")


def test_debug_shows_the_traceback(tmp_path: Path, closed_port: int) -> None:
    url = f"postgresql://unionwatch@127.0.0.1:{closed_port}/unionwatch"
    run = _run("--debug", "digest", "--config", str(_config(tmp_path, url)))
    assert run.code == 1 and "Traceback" in run.stderr and "Unavailable" in run.stderr
