"""The digest as an RFC 5322 message: multipart/alternative, plain text first, HTML last."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from notifier.channels.base import Outgoing
from storage.text import clean_line, clean_text


def build_message(
    msg: Outgoing,
    *,
    sender: str,
    to: Sequence[str],
    list_id: str | None = None,
    unsubscribe_mailto: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """Headers and bodies cleaned again on the way out, whatever the stored row holds.

    The email package would raise on a CR/LF in a header value; clean_line keeps one bad
    scraped title from failing the delivery for good, and keeps NUL and other control
    characters (a row rendered by an older version may hold them) out of headers and bodies.
    """
    m = EmailMessage(policy=SMTP)
    m["From"] = sender
    if to:
        m["To"] = ", ".join(to)
    m["Subject"] = clean_line(msg.subject)
    m["Date"] = format_datetime(date or datetime.now(UTC))
    m["Message-ID"] = msg.message_id
    if list_id:
        m["List-Id"] = f"<{clean_line(list_id)}>"
    if unsubscribe_mailto:
        # Short, so it is not folded (folding this header breaks DKIM in some signers); the
        # request's From tells the admin who wants out.
        m["List-Unsubscribe"] = f"<mailto:{clean_line(unsubscribe_mailto)}?subject=unsubscribe>"
    m["Auto-Submitted"] = "auto-generated"  # keeps vacation responders from answering
    m.set_content(clean_text(msg.body_text), subtype="plain", charset="utf-8")
    m.add_alternative(clean_text(msg.body_html), subtype="html", charset="utf-8")
    return m
