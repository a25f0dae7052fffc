"""Email through a real aiosmtpd server on loopback: structure, TLS, reply codes, resends."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from notifier.alerts import build_alerts
from notifier.channels.base import Outgoing, SendResult
from notifier.channels.email import EmailSender
from notifier.digest import create_digest
from notifier.outbox import deliver_pending
from notifier.settings import ChannelSpec, SmtpRelay, SmtpSettings
from storage.database import Database
from storage.models import Delivery
from tests.notifier.conftest import (
    ENTITIES,
    NOW,
    Certs,
    FakeClock,
    SmtpServer,
    add_article,
    subscriber,
)

EVIL_TITLE = "Елеусінов сотталды <script>alert(1)</script>\r\nBcc: victim@example.org"


def _digest(db: Database, to: str = "bureau@example.org") -> int:
    add_article(db, EVIL_TITLE, "Сот Әмин Елеусінов ісін қарады. Келесі сөйлем.",
                mentions={"eleusinov": "Елеусінов"})
    digest_id = create_digest(db, subscriber(ChannelSpec(type="email", to=to)), ENTITIES, NOW,
                              message_domain="digest.example.org")
    assert digest_id is not None
    return digest_id


def _sender(server: SmtpServer, certs: Certs | None = None, **kw: Any) -> EmailSender:
    password = kw.pop("password", None)
    relay = SmtpRelay(
        host="127.0.0.1", port=server.port, security=kw.pop("security", "none"),
        sender="digest@example.org", ca_file=str(certs.ca) if certs else None, timeout=5, **kw,
    )
    settings = SmtpSettings(relay, password)
    return EmailSender(settings, list_id="digest.example.org", unsubscribe="admin@example.org")


def _delivery(db: Database) -> Delivery:
    with db.read() as s:
        return s.scalars(select(Delivery).order_by(Delivery.id)).first()  # type: ignore[return-value]


def test_digest_email_structure_headers_and_sanitising(
    db: Database, smtp_factory: Any, certs: Certs
) -> None:
    server = smtp_factory("starttls", auth=True)
    _digest(db)
    sender = _sender(server, certs, security="starttls", username="digest", password="s3cret")

    report = deliver_pending(db, {"email": sender}, NOW)

    assert report.sent == 1 and report.failed == report.retrying == 0
    assert server.recorder.auth_attempts == ["digest"]  # AUTH happened, inside TLS
    [msg] = server.recorder.parsed()
    assert isinstance(msg, EmailMessage)
    assert msg.get_content_type() == "multipart/alternative"
    kinds = [p.get_content_type() for p in msg.iter_parts()]
    assert kinds == ["text/plain", "text/html"]  # the preferred (HTML) part last
    subject = str(msg["Subject"])
    assert subject.startswith("1 new: Әмин Елеусінов — Елеусінов сотталды")
    assert "\r" not in subject and "\n" not in subject
    assert msg["Bcc"] is None and "victim@example.org" not in str(msg["To"])
    assert msg["To"] == "bureau@example.org"
    assert msg["Message-ID"] == _delivery(db).message_id
    assert msg["Message-ID"].endswith("@digest.example.org>")
    assert msg["Date"] is not None
    assert msg["List-Id"] == "<digest.example.org>"
    assert msg["List-Unsubscribe"] == "<mailto:admin@example.org?subject=unsubscribe>"
    text_part, html_part = msg.iter_parts()
    html_body = html_part.get_content()
    assert "<script>" not in html_body and "&lt;script&gt;alert(1)&lt;/script&gt;" in html_body
    assert "<mark>Елеусінов</mark>" in html_body
    assert "[Елеусінов]" in text_part.get_content()
    assert _delivery(db).state == "sent"


def test_transient_4xx_is_retried_with_backoff_then_sent(db: Database, smtp_factory: Any) -> None:
    server = smtp_factory()
    server.recorder.data_replies = ["451 4.3.0 try again later"]
    _digest(db)

    first = deliver_pending(db, {"email": _sender(server)}, NOW, clock=FakeClock())
    row = _delivery(db)
    assert first.retrying == 1 and row.state == "retrying" and "451" in (row.last_error or "")
    assert row.next_attempt_at == NOW + dt.timedelta(minutes=1)
    assert deliver_pending(db, {"email": _sender(server)}, NOW + dt.timedelta(seconds=30)).sent == 0

    second = deliver_pending(db, {"email": _sender(server)}, NOW + dt.timedelta(minutes=2))
    assert second.sent == 1 and _delivery(db).state == "sent" and _delivery(db).attempts == 2
    assert len(server.recorder.messages) == 1


def test_permanent_5xx_fails_for_good_and_alerts(db: Database, smtp_factory: Any) -> None:
    server = smtp_factory()
    server.recorder.data_replies = ["554 5.7.1 message rejected"]
    _digest(db)

    report = deliver_pending(db, {"email": _sender(server)}, NOW)

    assert report.failed == 1 and _delivery(db).state == "failed"
    assert deliver_pending(db, {"email": _sender(server)}, NOW + dt.timedelta(days=1)).sent == 0
    [alert] = build_alerts(report)
    assert alert.kind == "failed" and "554" in alert.text and "almaty-bureau" in alert.text


def test_partial_refusal_marks_only_the_refused_recipients(db: Database, smtp_factory: Any) -> None:
    server = smtp_factory()
    server.recorder.rcpt_replies = {
        "gone@example.org": "550 5.1.1 no such user",
        "full@example.org": "452 4.2.2 mailbox full",
    }
    _digest(db, to="ok@example.org, gone@example.org, full@example.org")

    report = deliver_pending(db, {"email": _sender(server)}, NOW)

    with db.read() as s:
        rows = {d.channel: d for d in s.scalars(select(Delivery))}
    assert rows["email:ok@example.org, gone@example.org, full@example.org"].state == "sent"
    assert rows["email:gone@example.org"].state == "failed"
    assert rows["email:full@example.org"].state == "retrying"
    assert len(server.recorder.messages) == 1
    assert {e.channel for e in report.of("refused")} == {"email:gone@example.org",
                                                          "email:full@example.org"}
    # the mailbox frees up: the retry reaches only that recipient, with the same Message-ID
    server.recorder.rcpt_replies = {}
    later = deliver_pending(db, {"email": _sender(server)}, NOW + dt.timedelta(minutes=5))
    assert later.sent == 1
    first, retry = server.recorder.parsed()
    assert retry["To"] == "full@example.org" and retry["Message-ID"] == first["Message-ID"]


def test_drop_after_data_is_resent_with_the_same_message_id(
    db: Database, smtp_factory: Any
) -> None:
    server = smtp_factory()
    server.recorder.drop_after_data = 1  # server has the message; client never sees the 250
    _digest(db)

    first = deliver_pending(db, {"email": _sender(server)}, NOW)
    assert first.retrying == 1 and _delivery(db).state == "retrying"
    second = deliver_pending(db, {"email": _sender(server)}, NOW + dt.timedelta(minutes=2))
    assert second.sent == 1

    copies = server.recorder.parsed()
    assert len(copies) == 2  # at most one extra copy, and it is recognisable
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"] == _delivery(db).message_id


class CrashAfterSend:
    """The real sender, then the process dies before the outbox can mark the row sent."""

    def __init__(self, inner: EmailSender) -> None:
        self.inner = inner

    def units(self, msg: Outgoing) -> int:
        return 1

    def send(self, msg: Outgoing, unit: int) -> SendResult:
        self.inner.send(msg, unit)
        raise KeyboardInterrupt("simulated crash after 250")

    def close(self) -> None:
        self.inner.close()


def test_crash_after_250_resends_once_with_the_same_message_id(
    db: Database, smtp_factory: Any
) -> None:
    server = smtp_factory()
    _digest(db)
    with pytest.raises(KeyboardInterrupt):
        deliver_pending(db, {"email": CrashAfterSend(_sender(server))}, NOW)
    assert _delivery(db).state == "pending"  # claimed, not marked

    # Restart within the claim: the row waits; after it lapses, it goes again.
    assert deliver_pending(db, {"email": _sender(server)}, NOW + dt.timedelta(minutes=1)).sent == 0
    assert deliver_pending(db, {"email": _sender(server)}, NOW + dt.timedelta(minutes=11)).sent == 1
    assert deliver_pending(db, {"email": _sender(server)}, NOW + dt.timedelta(hours=1)).sent == 0
    a, b = server.recorder.parsed()
    assert a["Message-ID"] == b["Message-ID"]


def test_server_without_starttls_gets_no_mail_and_no_plaintext_auth(
    db: Database, smtp_factory: Any, certs: Certs
) -> None:
    server = smtp_factory("plain", auth=True)
    _digest(db)
    sender = _sender(server, certs, security="starttls", username="digest", password="s3cret")

    report = deliver_pending(db, {"email": sender}, NOW)

    assert report.retrying == 1 and "STARTTLS" in (_delivery(db).last_error or "")
    assert server.recorder.auth_attempts == [] and server.recorder.messages == []
    assert [a.kind for a in build_alerts(report)] == ["retrying"]


def test_plaintext_auth_is_refused_by_configuration() -> None:
    with pytest.raises(ValueError, match="plaintext"):
        SmtpSettings(SmtpRelay(host="mail", port=25, security="none", username="u",
                               sender="digest@example.org"), password="p")


def test_untrusted_certificate_is_rejected_unless_its_ca_is_configured(
    db: Database, smtp_factory: Any, certs: Certs
) -> None:
    server = smtp_factory("starttls")
    _digest(db)
    untrusted = Certs(certs.other_ca, certs.cert, certs.key, certs.other_ca)

    report = deliver_pending(db, {"email": _sender(server, untrusted, security="starttls")}, NOW)
    assert report.retrying == 1 and "certificate" in (_delivery(db).last_error or "")
    assert server.recorder.messages == []

    later = NOW + dt.timedelta(minutes=2)
    trusted = _sender(server, certs, security="starttls")
    assert deliver_pending(db, {"email": trusted}, later).sent == 1


def test_implicit_tls_port_works(db: Database, smtp_factory: Any, certs: Certs) -> None:
    server = smtp_factory("ssl", auth=True)
    _digest(db)
    sender = _sender(server, certs, security="ssl", username="digest", password="s3cret")
    assert deliver_pending(db, {"email": sender}, NOW).sent == 1
    assert len(server.recorder.messages) == 1


def test_one_connection_serves_many_messages(db: Database, smtp_factory: Any) -> None:
    server = smtp_factory()
    for i in range(5):
        add_article(db, f"Елеусінов {i}", "Әмин Елеусінов.", mentions={"eleusinov": "Елеусінов"})
        create_digest(db, subscriber(ChannelSpec(type="email", to=f"s{i}@example.org"), id=f"s{i}"),
                      ENTITIES, NOW)
    clock = FakeClock()
    assert deliver_pending(db, {"email": _sender(server)}, NOW, clock=clock).sent == 5
    assert len(server.recorder.messages) == 5 and server.recorder.connections == 1
