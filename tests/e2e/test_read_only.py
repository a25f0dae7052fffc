"""`status` and `search` only read: a missing or outdated database is named, never made."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import migrate
from storage.database import Database
from tests.e2e.conftest import unionwatch

COMMANDS = [["status"], ["search", "Елеусинов"]]


def _config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"database: {{url: '{url}'}}\nwatchlists:\n  - id: w\n    entities:\n"
                    "      - {id: eleusinov, name: Amin Eleusinov}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_database_is_reported_and_not_created(tmp_path: Path, command: list[str]) -> None:
    db_file = tmp_path / "data" / "unionwatch.db"
    run = unionwatch(*command, "--config", str(_config(tmp_path, f"sqlite:///{db_file}")))
    assert run.code == 1
    [line] = run.stderr.strip().splitlines()
    assert f"database {db_file} does not exist yet" in line
    assert not db_file.parent.exists(), "nothing was created"


def test_an_outdated_schema_is_reported_and_left_alone(tmp_path: Path, db_url: str) -> None:
    db = Database(db_url)
    migrate.downgrade(db, "0001")
    try:
        config = _config(tmp_path, db_url)
        for command in COMMANDS:
            run = unionwatch(*command, "--config", str(config))
            assert run.code == 1, run.stderr
            [line] = run.stderr.strip().splitlines()
            assert "is at schema 0001" in line and "run `unionwatch db upgrade`" in line
        assert migrate.current_revision(db) == "0001", "not migrated"
        migrate.upgrade(db)
        assert unionwatch("status", "--config", str(config), "--json").code == 0
    finally:
        db.dispose()
