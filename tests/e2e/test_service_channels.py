"""The running service with instant alerts, a weekly digest and the Telegram bot, against the
loopback sites, aiosmtpd and the Bot API stand-in; two services share one database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from storage import heartbeats
from storage.database import Database
from storage.types import utcnow
from tests.e2e.conftest import unionwatch
from tests.notifier.conftest import TOKEN, FakeBotApi, LoopbackSmtp, SmtpRecorder, serving
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow
CHAT, STRANGER = 5001, 9009


def _start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "run", "--config", str(config), "-v"],
        stdout=subprocess.DEVNULL, stderr=log.open("wb"),
        env={**os.environ, "UNIONWATCH_TELEGRAM_TOKEN": TOKEN})


def _stop(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()


def test_instant_weekly_and_the_bot_in_the_running_service(
    config_path: Path, db_url: str, tmp_path: Path
) -> None:
    recorder = SmtpRecorder()
    smtp = LoopbackSmtp(recorder)
    smtp.start()
    procs: list[subprocess.Popen[bytes]] = []
    db = Database(db_url)
    with serving(FakeBotApi()) as api:
        try:
            data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
            sources = {s["id"]: s for s in data["sources"]}
            data["sources"] = [sources["rightswatch"]]
            data["delivery"] = {"smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none",
                                         "from": "Unionwatch <digest@example.org>"},
                                "telegram": {"api_base": api.api_base, "poll_timeout": 2}}
            in_two_days = (utcnow() + timedelta(days=2)).strftime("%a").lower()
            data["subscribers"] += [
                {"id": "alerts", "name": "Alerts desk", "watchlists": ["kz-unions-2017"],
                 "instant": ["kz-unions-2017"], "channels": [{"type": "telegram", "chat_id": CHAT}]},
                {"id": "weekly", "name": "Weekly desk", "watchlists": ["kz-unions-2017"],
                 "timezone": "UTC", "digest": {"every": "week", "day": in_two_days, "time": "07:00"},
                 "channels": [{"type": "email", "to": "weekly@example.org"}]},
            ]
            config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            env = {"UNIONWATCH_TELEGRAM_TOKEN": TOKEN}

            # A crawl from the command line: its finds go out at once to the instant subscriber.
            run = unionwatch("crawl", "--config", str(config_path), "--json", env=env)
            assert run.code == 0, run.stderr
            assert list(run.json()["instant_alerts"]) == ["alerts"]
            [alert] = api.wait_for_texts(str(CHAT), 1)
            assert "Alert:" in alert and "rightswatch" in alert

            # The service last ran eight days ago: the weekly digest it missed is sent on start.
            heartbeats.beat(db, "scheduler", "an earlier run", now=utcnow() - timedelta(days=8))
            data["sources"] = [sources["azattyq"]]
            config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            logs = [tmp_path / "a.log", tmp_path / "b.log"]
            procs.append(_start(config_path, logs[0]))
            wait_for(lambda: "scheduler running" in logs[0].read_text(), 30, "the first service")
            procs.append(_start(config_path, logs[1]))
            wait_for(lambda: bool(recorder.messages), 60, "the weekly digest by email")
            [weekly] = recorder.parsed()
            assert weekly["To"] == "weekly@example.org" and "new" in weekly["Subject"]

            # The service's own crawl: another instant alert, once.
            texts = api.wait_for_texts(str(CHAT), 2, timeout=90)
            assert "Alert:" in texts[1] and "azattyq" in texts[1] and texts[1] != alert

            # The bot: one answer each, though two services run.
            api.say(STRANGER, "/start")
            api.say(CHAT, "/status")
            [start] = api.wait_for_texts(str(STRANGER), 1)
            status = api.wait_for_texts(str(CHAT), 3)[2]
            assert f"chat_id: {STRANGER}" in start and "Alerts desk" not in start
            assert "Alerts desk" in status and "Next digest:" in status and "(daily)" in status
            assert "Instant alerts: Amin Eleusinov" in status
            api.say(CHAT, "/stop")
            stop = api.wait_for_texts(str(CHAT), 4)[3]
            assert stop.startswith("Stopped")

            # The opt-out is in the database: a config reload does not undo it, status shows it.
            data["subscribers"][-2]["name"] = "Alerts desk (renamed)"
            config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            wait_for(lambda: "config reloaded" in logs[0].read_text(), 30, "the reload")
            status_run = unionwatch("status", "--config", str(config_path), "--json")
            assert [(o["subscriber_id"], o["channel"], o["via"]) for o in status_run.json()["opt_outs"]] == [
                ("alerts", f"telegram:{CHAT}", "telegram")]
            api.say(CHAT, "/status")
            after = api.wait_for_texts(str(CHAT), 5)[4]
            assert "Alerts desk (renamed)" in after and "Stopped here" in after

            # The first service stops; the standby's poller takes over.
            assert _stop(procs[0]) == 0
            api.say(STRANGER, "/status")
            api.wait_for_texts(str(STRANGER), 2, timeout=120)
            assert len(api.texts(str(STRANGER))) == 2 and len(api.texts(str(CHAT))) == 5
            assert api.conflicts == 0, "never two pollers on one token"
        finally:
            for p in procs:
                _stop(p)
            smtp.stop()
            db.dispose()
    for log in logs:
        text = log.read_text()
        assert "Traceback" not in text, text[-3000:]
        assert TOKEN not in text
