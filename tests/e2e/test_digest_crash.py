"""`unionwatch digest` killed with -9 while the SMTP server holds its message, then run again."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from scheduler.config import load_config
from scheduler.digesting import run_digests
from storage.database import Database
from storage.models import Delivery
from tests.e2e.conftest import unionwatch
from tests.notifier.conftest import LoopbackSmtp

pytestmark = pytest.mark.slow


class SlowFirstDelivery:
    """Takes every message, but answers the first DATA only after a long pause."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.first_received = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        if not self.first_received.is_set():
            self.first_received.set()
            await asyncio.sleep(20)  # the client dies while waiting for our 250
        return "250 Message accepted for delivery"


def test_killed_mid_send_is_resent_once_with_the_same_message_id(
    config_path: Path, db_url: str, tmp_path: Path
) -> None:
    handler = SlowFirstDelivery()
    smtp = LoopbackSmtp(handler)
    smtp.start()
    try:
        data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        data["sources"] = [s for s in data["sources"] if s["id"] == "rferl"]
        # The default claim (600 s): the run right after the kill cannot outlast it, however
        # slowly it starts; the run after the claim lapses is told the time instead of waiting.
        data["delivery"] = {"smtp": {"host": "127.0.0.1", "port": smtp.port,
                                     "security": "none", "from": "unionwatch@example.org"}}
        data["subscribers"][0]["channels"] = [{"type": "email", "to": "desk@example.org"}]
        config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        assert unionwatch("crawl", "--config", str(config_path)).code == 0

        cmd = [sys.executable, "-m", "scheduler.cli", "digest", "--config", str(config_path)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        handler.first_received.wait(timeout=60)
        assert handler.messages, "the first send reached the server"
        os.killpg(proc.pid, signal.SIGKILL)  # after DATA, before the 250: an ambiguous drop
        proc.wait(timeout=10)

        db = Database(db_url)
        with db.read() as s:
            [row] = s.scalars(select(Delivery)).all()
            assert row.state == "pending" and row.sent_at is None, "not marked sent: no 250 came"
            assert row.next_attempt_at is not None
            lapsed = row.next_attempt_at + dt.timedelta(seconds=1)
        early = unionwatch("digest", "--config", str(config_path), "--json")
        assert early.code == 0 and len(handler.messages) == 1, "the dead run's claim still holds"
        # `unionwatch digest` once the dead run's claim has lapsed.
        again = run_digests(load_config(config_path), None, dry_run=False, preview=None,
                            json_out=True, now=lapsed)
        assert again == 0
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
