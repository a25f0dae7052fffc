"""The digest as an RFC 5322 message: multipart/alternative, plain text first, HTML last."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from urllib.parse import quote

from markupsafe import escape

from notifier.channels.base import Outgoing
from notifier.links import WebLinks
from storage.text import clean_line, clean_text


def build_message(
    msg: Outgoing,
    *,
    sender: str,
    to: Sequence[str],
    list_id: str | None = None,
    unsubscribe_mailto: str | None = None,
    date: datetime | None = None,
    web: WebLinks | None = None,
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
    body_text, body_html = clean_text(msg.body_text), clean_text(msg.body_html)
    if web is not None:
        # RFC 8058 one-click: the https URL first (mail clients POST to it), mailto as well.
        one_click = web.unsubscribe(msg.subscriber_id, str(msg.channel))
        heads = [f"<{one_click}>"]
        if unsubscribe_mailto:
            heads.append(f"<{unsubscribe_url(clean_line(unsubscribe_mailto))}>")
        m["List-Unsubscribe"] = ", ".join(heads)
        m["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        view = web.digest(msg.subscriber_id, msg.digest_id)
        body_text, body_html = with_web_links(body_text, body_html, view, one_click)
    elif unsubscribe_mailto:
        address = clean_line(unsubscribe_mailto)
        # Short, so it is not folded (folding this header breaks DKIM in some signers); the
        # request's From tells the admin who wants out.
        m["List-Unsubscribe"] = f"<{unsubscribe_url(address)}>"
        body_text, body_html = with_unsubscribe_line(body_text, body_html, address)
    m["Auto-Submitted"] = "auto-generated"  # keeps vacation responders from answering
    m.set_content(body_text, subtype="plain", charset="utf-8")
    m.add_alternative(body_html, subtype="html", charset="utf-8")
    return m


def with_web_links(text: str, html: str, view: str, unsubscribe: str) -> tuple[str, str]:
    """The bodies with the web version's link and a visible one-click way out at the end."""
    text = f"{text.rstrip()}\n\nView in browser: {view}\nUnsubscribe: {unsubscribe}\n"
    para = (
        '<p style="color:#666;font-size:12px">'
        f'<a href="{escape(view)}">View in browser</a> · '
        f'<a href="{escape(unsubscribe)}">Unsubscribe</a></p>\n'
    )
    ends = list(_BODY_END.finditer(html))
    at = ends[-1].start() if ends else len(html)
    return text, html[:at] + para + html[at:]


def unsubscribe_url(address: str) -> str:
    return f"mailto:{quote(address, safe='@')}?subject=unsubscribe"


_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def with_unsubscribe_line(text: str, html: str, address: str) -> tuple[str, str]:
    """The bodies with a visible way out at the end, saying what the header says.

    Added when the message is sent, not when the digest is rendered: the address is the
    sender's configuration, and rows queued earlier get the line too.
    """
    line = f'To stop receiving these digests, send an email with the subject "unsubscribe" to {address}.'
    text = f"{text.rstrip()}\n\n{line}\n"
    para = (
        '<p style="color:#666;font-size:12px">To stop receiving these digests, '
        f'<a href="{escape(unsubscribe_url(address))}">send an email with the subject '
        f'"unsubscribe"</a> to {escape(address)}.</p>\n'
    )
    ends = list(_BODY_END.finditer(html))
    at = ends[-1].start() if ends else len(html)
    return text, html[:at] + para + html[at:]
