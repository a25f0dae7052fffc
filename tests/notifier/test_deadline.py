"""Every send has a wall-clock deadline: a tarpit (one byte every 2 s) cannot hold the relay."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from notifier.channels.email import EmailSender
from notifier.channels.telegram import Pacer, TelegramSender
from notifier.digest import create_digest
from notifier.outbox import deliver_pending
from notifier.senders import open_senders
from notifier.settings import (
    ChannelSpec,
    DeliverySettings,
    SmtpRelay,
    SmtpSettings,
    TelegramApi,
    TelegramSettings,
)
from storage.database import Database
from storage.models import Delivery
from tests.notifier.conftest import ENTITIES, NOW, TOKEN, Certs, add_article, subscriber

DEADLINE = 1.5
SMTP_GREETING = b"220 tarpit.example.org ESMTP ready when it is ready\r\n"
BOT_API_ANSWER = (b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 41\r\n\r\n'
                  b'{"ok":true,"result":{"message_id":1}}    ')


class Tarpit:
    """A loopback server that answers each connection one byte every `interval` seconds.

    It gives up on a connection after `limit` seconds, so a client without a deadline is held
    that long (not for ever) and the test fails in bounded time.
    """

    def __init__(self, reply: bytes, *, http: bool = False, interval: float = 2.0,
                 limit: float = 12.0) -> None:
        self.reply, self.http, self.interval, self.limit = reply, http, interval, limit
        self.connections = 0
        self.stop = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port = int(self.server.getsockname()[1])
        self.threads: list[threading.Thread] = []
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            self.connections += 1
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self.threads.append(t)
            t.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            if self.http:  # take the whole request first, as a server would
                conn.settimeout(self.limit)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536) or b"\r\n\r\n"
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(body) < length:
                    body += conn.recv(65536) or b"x" * length
            end = time.monotonic() + self.limit
            for byte in self.reply:
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return  # the client left
                if self.stop.wait(self.interval) or time.monotonic() > end:
                    return

    def close(self) -> None:
        self.stop.set()
        self.acceptor.join()
        for t in self.threads:
            t.join()
        self.server.close()


@pytest.fixture
def tarpit() -> Iterator[type[Tarpit]]:
    started: list[Tarpit] = []

    def start(*args: Any, **kwargs: Any) -> Tarpit:
        started.append(Tarpit(*args, **kwargs))
        return started[-1]

    yield start  # type: ignore[misc]
    for t in started:
        t.close()


def _digests(db: Database, *channels: ChannelSpec) -> None:
    add_article(db, "Елеусінов сотталды", "Сот Әмин Елеусінов ісін қарады.",
                mentions={"eleusinov": "Елеусінов"})
    for i, channel in enumerate(channels):
        assert create_digest(db, subscriber(channel, id=f"s{i}"), ENTITIES, NOW) is not None


def _rows(db: Database) -> list[Delivery]:
    with db.read() as s:
        return list(s.scalars(select(Delivery).order_by(Delivery.id)))


def _smtp(port: int, **kw: Any) -> SmtpSettings:
    return SmtpSettings(SmtpRelay(host="127.0.0.1", port=port, security=kw.pop("security", "none"),
                                  sender="digest@example.org", timeout=5, **kw))


def test_a_tarpit_smtp_server_holds_the_relay_only_until_the_deadline(
    db: Database, tarpit: Any
) -> None:
    pit = tarpit(SMTP_GREETING)
    _digests(db, *(ChannelSpec(type="email", to=f"s{i}@example.org") for i in range(3)))
    sender = EmailSender(_smtp(pit.port), deadline=DEADLINE)

    started = time.monotonic()
    report = deliver_pending(db, {"email": sender}, NOW)
    took = time.monotonic() - started

    assert took < DEADLINE + 1.5, f"the relay was held {took:.1f} s"
    assert report.retrying == 3 and report.sent == report.failed == 0
    # The server failed as a whole: the other two waited for the next run without a try.
    assert pit.connections == 1
    rows = _rows(db)
    assert all(r.state == "retrying" and r.next_attempt_at is not None for r in rows)
    assert "1.5 s send deadline" in (rows[0].last_error or "")
    assert all(r.next_attempt_at > NOW for r in rows if r.next_attempt_at)


def test_the_deadline_covers_the_tls_handshake(db: Database, tarpit: Any, certs: Certs) -> None:
    # Implicit TLS (port 465): a server that trickles its ServerHello instead of a greeting.
    pit = tarpit(b"\x16\x03\x03" + b"\x00" * 64)
    _digests(db, ChannelSpec(type="email", to="s0@example.org"))
    sender = EmailSender(_smtp(pit.port, security="ssl", ca_file=str(certs.ca)), deadline=DEADLINE)

    started = time.monotonic()
    report = deliver_pending(db, {"email": sender}, NOW)

    assert time.monotonic() - started < DEADLINE + 1.5
    assert report.retrying == 1 and "send deadline" in (_rows(db)[0].last_error or "")


def test_a_trickling_bot_api_holds_the_relay_only_until_the_deadline(
    db: Database, tarpit: Any
) -> None:
    pit = tarpit(BOT_API_ANSWER, http=True)
    _digests(db, *(ChannelSpec(type="telegram", chat_id=str(7000 + i)) for i in range(3)))
    api = TelegramApi(api_base=f"http://127.0.0.1:{pit.port}", timeout=5)
    sender = TelegramSender(TelegramSettings(api, TOKEN), pacer=Pacer(chat_interval=0),
                            deadline=DEADLINE)
    try:
        started = time.monotonic()
        report = deliver_pending(db, {"telegram": sender}, NOW)
        took = time.monotonic() - started
    finally:
        sender.close()

    assert took < DEADLINE + 1.5, f"the relay was held {took:.1f} s"
    assert report.retrying == 3 and report.sent == 0
    assert pit.connections == 1
    rows = _rows(db)
    assert all(r.state == "retrying" for r in rows)
    assert "1.5 s send deadline" in (rows[0].last_error or "")


def test_the_configured_deadline_reaches_every_sender(db: Database, tarpit: Any, tmp_path: Path) -> None:
    pit = tarpit(SMTP_GREETING)
    _digests(db, ChannelSpec(type="email", to="s0@example.org"))
    settings = DeliverySettings(smtp=_smtp(pit.port), send_timeout=DEADLINE,
                                telegram=TelegramSettings(TelegramApi(), TOKEN))
    with open_senders(settings) as senders:
        assert {s.deadline for s in senders.values() if hasattr(s, "deadline")} == {DEADLINE}
        started = time.monotonic()
        report = deliver_pending(db, senders, NOW + dt.timedelta(seconds=1))
    assert time.monotonic() - started < DEADLINE + 1.5
    assert report.retrying == 1
