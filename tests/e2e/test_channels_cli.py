"""`digest --test` and the webhook and Apprise channels, through the CLI against loopback servers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from notifier.channels.webhook import verify
from storage.database import Database
from storage.models import Delivery
from tests.e2e.conftest import unionwatch
from tests.notifier.conftest import TOKEN, FakeBotApi, LoopbackSmtp, SmtpRecorder, add_article, serving
from tests.support.webhook_server import Receiver, receiving

pytestmark = pytest.mark.slow
SECRET = "whsec-e2e"


@pytest.fixture
def servers() -> Iterator[tuple[SmtpRecorder, int, FakeBotApi, Receiver]]:
    recorder = SmtpRecorder()
    smtp = LoopbackSmtp(recorder)
    smtp.start()
    try:
        with serving(FakeBotApi()) as api, receiving() as hooks:
            yield recorder, smtp.port, api, hooks
    finally:
        smtp.stop()


def _write(tmp_path: Path, db_url: str, smtp_port: int, api: FakeBotApi, out: Path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "database": {"url": db_url},
        "delivery": {"smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none",
                              "from": "Unionwatch <digest@example.org>"},
                     "telegram": {"api_base": api.api_base, "token_env": "TG_TOKEN"}},
        "watchlists": [{"id": "w", "entities": [{"id": "kharkova", "name": "Larisa Kharkova"}]}],
        "subscribers": [{"id": "desk", "watchlists": ["w"], "channels": [
            {"type": "email", "to": "desk@example.org"},
            {"type": "telegram", "chat_id": 5001},
            {"type": "webhook", "url_env": "DESK_HOOK", "secret_env": "DESK_HOOK_KEY"},
            {"type": "apprise", "url_env": "DESK_NOTIFY"},
            {"type": "file", "path": str(out)},
        ]}],
    }), encoding="utf-8")
    return config


def _env(hooks: Receiver) -> dict[str, str]:
    return {"TG_TOKEN": TOKEN, "DESK_HOOK": hooks.url("/hook"), "DESK_HOOK_KEY": SECRET,
            "DESK_NOTIFY": hooks.url("/notify", "json")}


def test_digest_test_reaches_every_channel_and_says_what_each_server_answered(
    db: Database, db_url: str, tmp_path: Path, servers: tuple[SmtpRecorder, int, FakeBotApi, Receiver]
) -> None:
    recorder, port, api, hooks = servers
    out = tmp_path / "out"
    config = _write(tmp_path, db_url, port, api, out)

    run = unionwatch("digest", "--test", "desk", "--config", str(config), "--json", env=_env(hooks))
    assert run.code == 0, run.stdout + run.stderr
    doc = run.json()
    by = {c["channel"]: c for c in doc["channels"]}
    assert all(c["ok"] for c in doc["channels"]), doc
    assert by["email:desk@example.org"]["answer"].startswith(f"127.0.0.1:{port} answered 250")
    assert by["telegram:5001"]["answer"] == "ok: message 1 in chat 5001"
    assert by["webhook:DESK_HOOK"]["answer"] == "HTTP 200 OK"
    assert by[f"file:{out}"]["answer"].startswith("written: ")
    # What arrived is marked as a test, everywhere.
    [mail] = recorder.parsed()
    assert mail["Subject"].startswith("[TEST] unionwatch")
    assert "TEST" in api.texts("5001")[0]
    hook = next(r for r in hooks.accepted if r.path == "/hook")
    assert hook.json()["type"] == "test"
    assert verify(SECRET, hook.headers["unionwatch-signature"], hook.body)
    notify = next(r for r in hooks.accepted if r.path == "/notify")
    assert notify.json()["title"].startswith("[TEST]")
    with db.read() as s:  # the outbox was bypassed
        assert s.query(Delivery).count() == 0

    # A channel that refuses: exit 1, and the answer says why, in text too.
    api.blocked.add("5001")
    hooks.then(400)
    run = unionwatch("digest", "--test", "desk", "--config", str(config), env=_env(hooks))
    assert run.code == 1
    assert "✗ telegram:5001: Telegram 403: Forbidden: bot was blocked by the user" in run.stdout
    assert "✗ webhook:DESK_HOOK: webhook DESK_HOOK: HTTP 400 Bad Request" in run.stdout
    assert "3 of 5 channels of desk; 2 failed" in run.stdout
    assert TOKEN not in run.stdout + run.stderr and SECRET not in run.stdout + run.stderr

    assert unionwatch("digest", "--test", "nobody", "--config", str(config), env=_env(hooks)).code == 2


def test_a_digest_goes_out_by_webhook_and_apprise(
    db: Database, db_url: str, tmp_path: Path, servers: tuple[SmtpRecorder, int, FakeBotApi, Receiver]
) -> None:
    _, port, api, hooks = servers
    config = _write(tmp_path, db_url, port, api, tmp_path / "out")
    add_article(db, "Larisa Kharkova sentenced", "Larisa Kharkova was sentenced on Friday.",
                url="https://rights.example/kharkova", language="en", mentions={"kharkova": "Kharkova"},
                published=datetime.now(UTC) - timedelta(hours=2))  # within digest.max_age_days

    run = unionwatch("digest", "--config", str(config), "--json", env=_env(hooks))
    assert run.code == 0, run.stdout + run.stderr
    states = {d["channel"]: d["state"] for d in run.json()["deliveries"]}
    assert states["webhook:DESK_HOOK"] == states["apprise:DESK_NOTIFY"] == "sent"
    hook = next(r for r in hooks.accepted if r.path == "/hook")
    doc: dict[str, Any] = hook.json()
    assert doc["type"] == "digest" and [i["url"] for i in doc["items"]] == ["https://rights.example/kharkova"]
    assert verify(SECRET, hook.headers["unionwatch-signature"], hook.body)
    notify = next(r for r in hooks.accepted if r.path == "/notify")
    assert "Larisa Kharkova sentenced" in notify.json()["message"]

    # A second run sends nothing again (once-only, as for every channel).
    n = len(hooks.requests)
    assert unionwatch("digest", "--config", str(config), "--json", env=_env(hooks)).code == 0
    assert len(hooks.requests) == n
