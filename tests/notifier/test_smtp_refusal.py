"""An SMTP server that refuses the session (a 5xx greeting): digests wait, admins are told."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from notifier.alerts import build_alerts, send_alerts
from notifier.channels.email import EmailSender
from notifier.channels.file import FileSender
from notifier.digest import create_digest
from notifier.outbox import deliver_pending
from notifier.settings import ChannelSpec, SmtpRelay, SmtpSettings
from storage.database import Database
from storage.models import Delivery
from tests.notifier.conftest import ENTITIES, NOW, FakeClock, add_article, refused_port, subscriber

GREETING = b"554 5.3.2 mail.example.org is not accepting mail right now\r\n"


class Refuser:
    """A loopback server whose greeting refuses every session, as a relay in trouble does."""

    def __init__(self, greeting: bytes = GREETING) -> None:
        self.greeting = greeting
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port = int(self.server.getsockname()[1])
        self.sessions = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            self.sessions += 1
            with conn:
                conn.sendall(self.greeting)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.server.close()


@pytest.fixture
def refuser() -> Iterator[Refuser]:
    r = Refuser()
    yield r
    r.close()


def _sender(port: int) -> EmailSender:
    relay = SmtpRelay(host="127.0.0.1", port=port, security="none", sender="digest@example.org",
                      timeout=5)
    return EmailSender(SmtpSettings(relay), deadline=10)


def _digests(db: Database, n: int) -> None:
    add_article(db, "Елеусінов сотталды", "Сот Әмин Елеусінов ісін қарады.",
                mentions={"eleusinov": "Елеусінов"})
    for i in range(n):
        sub = subscriber(ChannelSpec(type="email", to=f"s{i}@example.org"), id=f"s{i}")
        assert create_digest(db, sub, ENTITIES, NOW) is not None


def _states(db: Database) -> list[tuple[str, str | None]]:
    with db.read() as s:
        return list(s.execute(select(Delivery.state, Delivery.last_error).order_by(Delivery.id)))


def test_a_5xx_greeting_keeps_every_digest_queued_and_tells_the_admins(
    db: Database, refuser: Refuser, smtp_factory: Any, tmp_path: Path
) -> None:
    _digests(db, 3)

    report = deliver_pending(db, {"email": _sender(refuser.port)}, NOW, clock=FakeClock())

    assert report.failed == 0 and report.retrying == 3
    assert [state for state, _ in _states(db)] == ["retrying"] * 3
    assert refuser.sessions == 1, "a server that refuses sessions is asked once per run"
    [alert] = build_alerts(report)
    assert "refused the session: 554 5.3.2" in alert.text and "s0" in alert.text
    admin = ChannelSpec(type="file", path=str(tmp_path / "admin"))
    assert send_alerts([alert], [admin], {"file": FileSender()}) == []
    [page] = (tmp_path / "admin").glob("*.html")
    assert "not accepting mail" in page.read_text(encoding="utf-8")

    # The server comes back: nothing was lost.
    server = smtp_factory()
    later = NOW.replace(hour=NOW.hour + 1)
    assert deliver_pending(db, {"email": _sender(server.port)}, later).sent == 3
    assert len(server.recorder.messages) == 3


def test_a_server_that_hangs_up_at_once_is_tried_once_per_run(db: Database) -> None:
    _digests(db, 3)
    hangs_up = Refuser(greeting=b"")
    try:
        report = deliver_pending(db, {"email": _sender(hangs_up.port)}, NOW, clock=FakeClock())
    finally:
        hangs_up.close()
    assert report.retrying == 3 and report.failed == 0
    assert hangs_up.sessions == 1
    errors = [error for _, error in _states(db)]
    assert all("SMTPServerDisconnected" in (e or "") for e in errors), errors


def test_a_refused_connection_keeps_the_digests_queued(db: Database) -> None:
    _digests(db, 2)
    with refused_port() as port:
        report = deliver_pending(db, {"email": _sender(port)}, NOW, clock=FakeClock())
    assert report.retrying == 2 and report.failed == 0
    assert all("ConnectionRefusedError" in (e or "") for _, e in _states(db))
