"""An operator sees why: a failed source's reason, a stuck delivery's error and next attempt."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import unionwatch
from tests.notifier.conftest import refused_port

pytestmark = pytest.mark.slow


def _edit(config_path: Path, **changes: object) -> None:
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data.update(changes)
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_status_says_why_a_source_failed(config_path: Path) -> None:
    with refused_port() as port:
        _edit(config_path, sources=[{"id": "gone", "type": "feed",
                                     "url": f"http://127.0.0.1:{port}/rss.xml"}])
        assert unionwatch("crawl", "--config", str(config_path)).code in (0, 1)
    status = unionwatch("status", "--config", str(config_path), "--json")
    [src] = status.json()["sources"]
    assert src["last_status"] == "failed"
    assert "connection" in src["last_reason"], src
    text = unionwatch("status", "--config", str(config_path))
    assert "connection ×1" in text.stdout


def test_digest_with_smtp_down_exits_1_and_status_shows_the_retry(config_path: Path) -> None:
    assert unionwatch("crawl", "--config", str(config_path)).code == 0
    with refused_port() as port:
        data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        data["subscribers"][0]["channels"] = [{"type": "email", "to": "desk@example.org"}]
        data["delivery"] = {"smtp": {"host": "127.0.0.1", "port": port, "security": "none",
                                     "from": "unionwatch@example.org"}}
        config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        run = unionwatch("digest", "--config", str(config_path))
    assert run.code == 1, "nothing could be delivered"
    assert "retrying" in run.stdout and "next attempt" in run.stdout
    status = unionwatch("status", "--config", str(config_path), "--json").json()
    [stuck] = status["deliveries"]
    assert stuck["state"] == "retrying" and stuck["channel"] == "email:desk@example.org"
    assert stuck["last_error"] and stuck["next_attempt_at"] and stuck["attempts"] == 1
    text = unionwatch("status", "--config", str(config_path)).stdout
    assert "retrying kibhr-desk → email:desk@example.org (attempt 1, next attempt" in text
