"""Opt-outs through the CLI: they outlive config reloads, show in status, and an admin can undo them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from storage.database import Database
from tests.e2e.conftest import unionwatch
from tests.notifier.conftest import add_article

pytestmark = pytest.mark.slow


def _config(path: Path, db_url: str, a: Path, b: Path, name: str = "Desk") -> None:
    path.write_text(yaml.safe_dump({
        "database": {"url": db_url},
        "watchlists": [{"id": "w", "entities": [{"id": "kharkova", "name": "Larisa Kharkova"}]}],
        "subscribers": [{"id": "desk", "name": name, "watchlists": ["w"],
                         "channels": [{"type": "file", "path": str(a)}, {"type": "file", "path": str(b)}]}],
    }), encoding="utf-8")


def test_an_opt_out_survives_a_config_edit_shows_in_status_and_can_be_undone(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    config = tmp_path / "config.yaml"
    _config(config, db_url, a, b)
    add_article(db, "Larisa Kharkova sentenced", "Larisa Kharkova was sentenced.", language="en",
                mentions={"kharkova": "Kharkova"})

    run = unionwatch("subscriber", "unsubscribe", "desk", "--channel", str(b), "--note", "asked by phone",
                     "--config", str(config), "--json")
    assert run.code == 0, run.stderr
    assert run.json()["opted_out"] == [f"file:{b}"]

    _config(config, db_url, a, b, name="Desk (renamed)")  # the admin edits config.yaml
    run = unionwatch("digest", "--config", str(config), "--json")
    assert run.code == 0, run.stderr
    assert [d["channel"] for d in run.json()["deliveries"]] == [f"file:{a}"]
    assert list(a.glob("*.html")) and not b.exists()

    status = unionwatch("status", "--config", str(config), "--json")
    assert status.code == 0, status.stderr
    [rec] = status.json()["opt_outs"]
    assert (rec["subscriber_id"], rec["channel"], rec["via"], rec["note"]) == (
        "desk", f"file:{b}", "cli", "asked by phone")
    text = unionwatch("status", "--config", str(config))
    assert f"desk → file:{b}: opted out" in text.stdout and "via cli (asked by phone)" in text.stdout

    assert unionwatch("subscriber", "resubscribe", "desk", "--channel", "nowhere", "--config",
                      str(config)).code == 2
    run = unionwatch("subscriber", "resubscribe", "desk", "--config", str(config))
    assert run.code == 0, run.stderr
    assert f"desk → file:{b}: receives digests again" in run.stdout
    assert unionwatch("subscriber", "resubscribe", "desk", "--config", str(config)).code == 1

    add_article(db, "Kharkova appeals", "Larisa Kharkova appealed.", language="en",
                mentions={"kharkova": "Kharkova"})
    run = unionwatch("digest", "--config", str(config), "--json")
    assert run.code == 0, run.stderr
    assert sorted(d["channel"] for d in run.json()["deliveries"]) == [f"file:{a}", f"file:{b}"]
    assert list(b.glob("*.html"))
