"""Whoever opens a sender closes it; importing a channel changes no logging."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from notifier.alerts import AdminAlert, send_alerts
from notifier.channels.base import Outgoing, SendResult
from notifier.channels.email import EmailSender
from notifier.channels.file import FileSender
from notifier.channels.telegram import TelegramSender
from notifier.digest import create_digest
from notifier.outbox import deliver_pending
from notifier.senders import open_senders
from notifier.settings import (
    ChannelSpec,
    ChannelType,
    DeliverySettings,
    SmtpRelay,
    SmtpSettings,
    TelegramApi,
    TelegramSettings,
)
from storage.database import Database
from tests.notifier.conftest import ENTITIES, NOW, TOKEN, add_article, subscriber

ROOT = Path(__file__).resolve().parents[2]


class Closing:
    """A sender that sends nothing and counts how often it was closed."""

    def __init__(self) -> None:
        self.sent = 0
        self.closed = 0

    def units(self, msg: Outgoing) -> int:
        return 1

    def send(self, msg: Outgoing, unit: int) -> SendResult:
        assert not self.closed, "sent through a closed sender"
        self.sent += 1
        return SendResult()

    def close(self) -> None:
        self.closed += 1


def test_open_senders_builds_what_the_settings_allow_and_closes_each_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed: list[str] = []
    for cls in (FileSender, EmailSender, TelegramSender):
        monkeypatch.setattr(cls, "close", lambda self, name=cls.__name__: closed.append(name))
    relay = SmtpRelay.model_validate({"host": "127.0.0.1", "from": "uw@example.org"})
    full = DeliverySettings(smtp=SmtpSettings(relay), telegram=TelegramSettings(TelegramApi(), TOKEN))
    with open_senders(full) as senders:
        assert set(senders) == {ChannelType.FILE, ChannelType.EMAIL, ChannelType.TELEGRAM}
        assert closed == []
    assert sorted(closed) == ["EmailSender", "FileSender", "TelegramSender"]

    closed.clear()
    no_token = DeliverySettings(telegram=TelegramSettings(TelegramApi(), ""))
    with pytest.raises(RuntimeError), open_senders(no_token) as senders:
        assert set(senders) == {ChannelType.FILE}  # no token: no Telegram sender
        raise RuntimeError("the pass failed")
    assert closed == ["FileSender"], "closed on the way out of a failing block too"


def test_deliver_pending_and_send_alerts_leave_the_senders_open(db: Database, tmp_path: Path) -> None:
    add_article(db, "Харькова", "Лариса Харькова сотталды.", mentions={"kharkova": "Харькова"})
    assert create_digest(db, subscriber(ChannelSpec(type="file", path=str(tmp_path))), ENTITIES, NOW)
    sender = Closing()
    assert deliver_pending(db, {ChannelType.FILE: sender}, NOW).sent == 1
    admin = ChannelSpec(type="file", path=str(tmp_path / "admin"))
    assert send_alerts([AdminAlert("config", "s", "t")], [admin], {ChannelType.FILE: sender}) == []
    assert sender.sent == 2 and sender.closed == 0


def _python(code: str) -> str:
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, cwd=ROOT, timeout=60, check=True)
    return run.stdout.strip()


def test_importing_the_telegram_channel_changes_no_logging_and_the_cli_installs_the_filter() -> None:
    probe = """
        import logging
        {setup}
        httpx = logging.getLogger("httpx")
        print(logging.getLevelName(httpx.level), [type(f).__name__ for f in httpx.filters])
    """
    imported = _python(probe.format(setup="import notifier.channels.telegram"))
    assert imported == "NOTSET []"
    cli = _python(probe.format(setup="from scheduler.cli import _logging; _logging(0); _logging(2)"))
    assert cli == "WARNING ['RedactTokens']"  # once, however often logging is set up
