"""`unionwatch digest` with a config that names no unsubscribe address still offers a way out."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml

from storage.database import Database
from tests.e2e.conftest import unionwatch
from tests.notifier.conftest import LoopbackSmtp, SmtpRecorder, add_article

pytestmark = pytest.mark.slow


def test_digest_email_without_unsubscribe_mailto_offers_the_sender(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    recorder = SmtpRecorder()
    smtp = LoopbackSmtp(recorder)
    smtp.start()
    try:
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump({
            "database": {"url": db_url},
            "delivery": {"smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none",
                                  "from": "Unionwatch <digest@example.org>"}},
            "watchlists": [{"id": "w", "entities": [{"id": "kharkova", "name": "Larisa Kharkova"}]}],
            "subscribers": [{"id": "desk", "watchlists": ["w"],
                             "channels": [{"type": "email", "to": "desk@example.org"}]}],
        }), encoding="utf-8")
        add_article(db, "Larisa Kharkova sentenced", "Larisa Kharkova was sentenced on Friday.",
                    language="en", mentions={"kharkova": "Kharkova"})

        run = unionwatch("digest", "--config", str(config), "--json")

        assert run.code == 0, run.stderr
        [raw] = recorder.messages
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        assert msg["List-Unsubscribe"] == "<mailto:digest@example.org?subject=unsubscribe>"
        text, html = (p.get_content() for p in msg.iter_parts())
        assert 'subject "unsubscribe" to digest@example.org' in text
        assert 'href="mailto:digest@example.org?subject=unsubscribe"' in html
    finally:
        smtp.stop()
