"""`unionwatch digest` killed with -9 while the SMTP server holds its message, then run again."""

from __future__ import annotations

import asyncio
import email
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller
from sqlalchemy import select

from storage.database import Database
from storage.models import Delivery
from tests.e2e.conftest import unionwatch
from tests.notifier.conftest import free_port

pytestmark = pytest.mark.slow


class SlowFirstDelivery:
    """Takes every message, but answers the first DATA only after a long pause."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.first_received = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        if not self.first_received:
            self.first_received = True
            await asyncio.sleep(20)  # the client dies while waiting for our 250
        return "250 Message accepted for delivery"


def test_killed_mid_send_is_resent_once_with_the_same_message_id(
    config_path: Path, db_url: str, tmp_path: Path
) -> None:
    handler = SlowFirstDelivery()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        data["sources"] = [s for s in data["sources"] if s["id"] == "rferl"]
        data["delivery"] = {"smtp": {"host": "127.0.0.1", "port": smtp.port,
                                     "security": "none", "from": "unionwatch@example.org"},
                            "claim_timeout": 3}
        data["subscribers"][0]["channels"] = [{"type": "email", "to": "desk@example.org"}]
        config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        assert unionwatch("crawl", "--config", str(config_path)).code == 0

        cmd = [sys.executable, "-m", "scheduler.cli", "digest", "--config", str(config_path)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        deadline = time.monotonic() + 60
        while not handler.messages and time.monotonic() < deadline:
            time.sleep(0.1)
        assert handler.messages, "the first send reached the server"
        os.killpg(proc.pid, signal.SIGKILL)  # after DATA, before the 250: an ambiguous drop
        proc.wait(timeout=10)

        db = Database(db_url)
        with db.read() as s:
            [row] = s.scalars(select(Delivery)).all()
            assert row.state == "pending" and row.sent_at is None, "not marked sent: no 250 came"
        early = unionwatch("digest", "--config", str(config_path), "--json")
        assert early.code == 0 and len(handler.messages) == 1, "the dead run's claim still holds"
        time.sleep(3.5)
        again = unionwatch("digest", "--config", str(config_path), "--json")
        assert again.code == 0, again.stderr
        assert len(handler.messages) == 2
        first, second = (email.message_from_bytes(m) for m in handler.messages)
        assert first["Message-ID"] == second["Message-ID"], "a resend reuses the Message-ID"
        with db.read() as s:
            [row] = s.scalars(select(Delivery)).all()
            assert row.state == "sent" and row.attempts == 2
        third = unionwatch("digest", "--config", str(config_path), "--json")
        assert third.code == 0 and len(handler.messages) == 2, "nothing is sent a third time"
        db.dispose()
    finally:
        smtp.stop()
