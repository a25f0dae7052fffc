"""Two `unionwatch digest` runs relaying one outbox through a slow SMTP server: each mail once."""

from __future__ import annotations

import asyncio
import email
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from storage.database import Database
from tests.e2e.conftest import unionwatch
from tests.notifier.conftest import LoopbackSmtp, add_article
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow
SUBSCRIBERS = 10


class SlowServer:
    """Takes every message, answering each DATA a second late (a busy relay)."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(1.0)
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"


def test_a_second_digest_run_during_a_slow_one_sends_nothing_twice(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    handler = SlowServer()
    smtp = LoopbackSmtp(handler)
    smtp.start()
    try:
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump({
            "database": {"url": db_url},
            "delivery": {
                "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none",
                         "from": "unionwatch@example.org"},
                # The first run needs ~10 s for its ten mails: its claims lapse on the way.
                "claim_timeout": 4,
                "send_timeout": 2,
            },
            "watchlists": [{"id": "w", "entities": [{"id": "kharkova", "name": "Larisa Kharkova"}]}],
            "subscribers": [{"id": f"s{i}", "watchlists": ["w"],
                             "channels": [{"type": "email", "to": f"s{i}@example.org"}]}
                            for i in range(SUBSCRIBERS)],
        }), encoding="utf-8")
        add_article(db, "Larisa Kharkova sentenced", "Larisa Kharkova was sentenced on Friday.",
                    language="en", mentions={"kharkova": "Kharkova"})

        cmd = [sys.executable, "-m", "scheduler.cli", "digest", "--config", str(config), "--json"]
        first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env={**os.environ, "COLUMNS": "200"})
        try:
            wait_for(lambda: len(handler.messages) >= 5, 60, "the first run's fifth mail")
            second = unionwatch("digest", "--config", str(config), "--json")
            _, err = first.communicate(timeout=120)
        finally:
            first.kill()
        assert first.returncode == 0, err
        assert second.code == 0, second.stderr

        ids = [email.message_from_bytes(m)["Message-ID"] for m in handler.messages]
        assert len(ids) == SUBSCRIBERS, f"{len(ids)} mails for {len(set(ids))} messages"
        assert len(set(ids)) == SUBSCRIBERS
    finally:
        smtp.stop()
