"""Every digest email says how to unsubscribe: a List-Unsubscribe header and a visible line."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from notifier.digest import create_digest
from notifier.outbox import deliver_pending
from notifier.senders import open_senders
from notifier.settings import ChannelSpec, DeliverySettings, SmtpRelay, SmtpSettings
from storage.database import Database
from tests.notifier.conftest import ENTITIES, NOW, SmtpServer, add_article, subscriber


def _received(db: Database, server: SmtpServer, **settings: Any) -> EmailMessage:
    add_article(db, "Елеусінов сотталды", "Сот Әмин Елеусінов ісін қарады.",
                mentions={"eleusinov": "Елеусінов"})
    sub = subscriber(ChannelSpec(type="email", to="bureau@example.org"))
    assert create_digest(db, sub, ENTITIES, NOW) is not None
    relay = SmtpRelay(host="127.0.0.1", port=server.port, security="none",
                      sender="Unionwatch digests <digest@example.org>", timeout=5)
    with open_senders(DeliverySettings(smtp=SmtpSettings(relay), **settings)) as senders:
        assert deliver_pending(db, senders, NOW).sent == 1
    [raw] = server.recorder.messages
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _bodies(msg: EmailMessage) -> tuple[str, str]:
    text, html = (p.get_content() for p in msg.iter_parts())
    return text, html


def test_without_unsubscribe_mailto_the_sender_takes_the_requests(
    db: Database, smtp_factory: Any
) -> None:
    msg = _received(db, smtp_factory())
    assert msg["List-Unsubscribe"] == "<mailto:digest@example.org?subject=unsubscribe>"
    text, html = _bodies(msg)
    assert 'with the subject "unsubscribe" to digest@example.org' in text
    assert '<a href="mailto:digest@example.org?subject=unsubscribe">' in html
    assert html.index("mailto:digest@example.org") < html.index("</body>"), "inside the page"


def test_a_configured_unsubscribe_address_is_used_in_the_header_and_the_body(
    db: Database, smtp_factory: Any
) -> None:
    msg = _received(db, smtp_factory(), admin_email="desk@example.org")
    assert msg["List-Unsubscribe"] == "<mailto:desk@example.org?subject=unsubscribe>"
    text, html = _bodies(msg)
    assert "desk@example.org" in text and "mailto:desk@example.org?subject=unsubscribe" in html
    assert "digest@example.org" not in text
