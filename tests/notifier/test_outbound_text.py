"""No NUL or control character leaves unionwatch: email headers and bodies, files, Telegram."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from notifier.channels.email import EmailSender
from notifier.channels.file import FileSender
from notifier.channels.telegram import Pacer, TelegramSender
from notifier.digest import create_digest
from notifier.outbox import deliver_pending
from notifier.settings import ChannelSpec, SmtpRelay, SmtpSettings, TelegramApi, TelegramSettings
from storage import digests, outbox
from storage.database import Database
from storage.outbox import NewDelivery
from tests.notifier.conftest import (
    ENTITIES,
    NOW,
    TOKEN,
    FakeBotApi,
    FakeClock,
    SmtpServer,
    add_article,
    subscriber,
)

# C0 controls but tab and line breaks, DEL, C1 controls (the rule of storage.text).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
DIRTY_TITLE = "Елеусінов{nul} сотталды\x1b[31m \x07қызыл\x08\x7f\x85 жаңалық"
DIRTY_BODY = "Сот Әмин Елеусінов{nul} ісін \x0bқарады.\x1b]0;pwned\x07 Келесі\x0c сөйлем."


def _dirty(db: Database) -> tuple[str, str]:
    """A title and body with controls; with NUL where the database keeps one (PostgreSQL
    refuses NUL in text, SQLite stores it)."""
    nul = "\x00" if db.dialect == "sqlite" else ""
    return DIRTY_TITLE.format(nul=nul), DIRTY_BODY.format(nul=nul)


def _controls(text: str) -> list[str]:
    return CONTROL.findall(text)


def _all_text(msg: EmailMessage) -> str:
    """Every header value and every decoded body part of a received message."""
    headers = " ".join(f"{k}: {v}" for k, v in msg.items())
    parts = [p.get_content() for p in msg.walk() if not p.is_multipart()]
    return headers + "\n".join(parts)


def _dirty_digest(db: Database, channel: ChannelSpec) -> None:
    title, body = _dirty(db)
    add_article(db, title, body, mentions={"eleusinov": "Елеусінов"})
    assert create_digest(db, subscriber(channel), ENTITIES, NOW) is not None


def _queued_before_the_fix(db: Database, channel: str) -> None:
    """A row rendered by an older version, its controls stored with it."""
    title, body = _dirty(db)
    with db.write() as s:
        digest_id = digests.add(s, "almaty-bureau", NOW, 1, None)
        outbox.add(s, [NewDelivery(
            digest_id, channel, "<old@example.org>", f"1 new: {title}",
            f"{title}\n\n{body}\n", f"<p>{title}</p><p>{body}</p>",
            [f"<b>{title}</b>\n{body}"] if channel.startswith("telegram:") else [],
        )])


def _email_sender(server: SmtpServer) -> EmailSender:
    relay = SmtpRelay(host="127.0.0.1", port=server.port, security="none",
                      sender="digest@example.org", timeout=5)
    return EmailSender(SmtpSettings(relay), list_id="digest.example.org",
                       unsubscribe="admin@example.org")


def test_email_headers_and_bodies_carry_no_control_characters(
    db: Database, smtp_factory: Any
) -> None:
    server = smtp_factory()
    _dirty_digest(db, ChannelSpec(type="email", to="bureau@example.org"))
    _queued_before_the_fix(db, "email:old@example.org")

    report = deliver_pending(db, {"email": _email_sender(server)}, NOW)

    assert report.sent == 2
    assert all(b"\x00" not in raw for raw in server.recorder.messages), "NUL in SMTP DATA"
    for raw in server.recorder.messages:
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        assert _controls(_all_text(msg)) == []
        assert "сотталды" in str(msg["Subject"]) and "қызыл" in str(msg["Subject"])
        assert "\n" not in str(msg["Subject"])


def test_the_file_channel_writes_no_control_characters(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    _dirty_digest(db, ChannelSpec(type="file", path=str(folder)))
    _queued_before_the_fix(db, f"file:{folder}")

    assert deliver_pending(db, {"file": FileSender()}, NOW).sent == 2

    files = sorted(folder.iterdir())
    assert len(files) == 4
    for f in files:
        text = f.read_text(encoding="utf-8")
        if f.suffix == ".eml":
            msg = message_from_bytes(f.read_bytes(), policy=policy.default)
            assert isinstance(msg, EmailMessage)
            text = _all_text(msg)
        assert _controls(text) == [], f.name
        assert "сотталды" in text


def test_telegram_text_carries_no_control_characters(db: Database, bot_api: FakeBotApi) -> None:
    _dirty_digest(db, ChannelSpec(type="telegram", chat_id="8001"))
    _queued_before_the_fix(db, "telegram:8002")
    clock = FakeClock()
    sender = TelegramSender(TelegramSettings(TelegramApi(api_base=bot_api.api_base), TOKEN),
                            pacer=Pacer(clock=clock, sleep=clock.sleep))

    assert deliver_pending(db, {"telegram": sender}, NOW, clock=clock).sent == 2

    texts = bot_api.texts("8001") + bot_api.texts("8002")
    assert len(texts) == 2
    for text in texts:
        assert _controls(text) == [] and "сотталды" in text and "ісін" in text
