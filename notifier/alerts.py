"""Admin alerts: what went wrong in a delivery run, phrased for a person, and sent best-effort."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import make_msgid

from markupsafe import escape

from notifier.channels.base import DeliveryError, Outgoing, Sender
from notifier.outbox import DeliveryEvent, DeliveryReport, Outcome
from notifier.settings import ChannelSpec, ChannelType

_HEADLINES = {
    Outcome.DISABLED: "Channel disabled",
    Outcome.FAILED: "Delivery failed",
    Outcome.REFUSED: "Recipient refused",
    Outcome.MIGRATED: "Telegram chat migrated",
    Outcome.DEGRADED: "Sent as plain text",
    Outcome.RETRYING: "Delivery problem",
}


@dataclass(frozen=True, slots=True)
class AdminAlert:
    kind: str  # what it is about: a delivery Outcome, or e.g. "config"; names its file
    subject: str
    text: str


def _line(e: DeliveryEvent) -> str:
    return f"subscriber {e.subscriber_id}, {e.channel}, delivery {e.delivery_id}: {e.error or ''}"


def build_alerts(report: DeliveryReport) -> list[AdminAlert]:
    """One alert per kind of problem, listing every delivery it hit.

    Only events flagged for an admin count: permanent failures, disabled or migrated chats,
    and transient errors of our own setup (credentials, TLS, token) that retrying won't fix.
    """
    by_kind: dict[Outcome, list[DeliveryEvent]] = {}
    for e in report.events:
        if e.alert:
            by_kind.setdefault(e.outcome, []).append(e)
    alerts = []
    for kind, events in by_kind.items():
        head = _HEADLINES[kind]
        subject = f"unionwatch: {head} ({len(events)})"
        text = "\n".join([f"{head}:", *(f"- {_line(e)}" for e in events)])
        if kind is Outcome.DISABLED:
            text += "\n\nFix or remove these channels in config.yaml; until then they get nothing."
        if kind is Outcome.MIGRATED:
            text += "\n\nThe new chat id is used from now on; update config.yaml to match."
        alerts.append(AdminAlert(kind.value, subject, text))
    return alerts


def send_alerts(
    alerts: Sequence[AdminAlert], admins: Sequence[ChannelSpec], senders: Mapping[ChannelType, Sender]
) -> list[str]:
    """Send each alert straight to every admin channel (no outbox); return the failures (the
    caller logs them).

    The senders stay open: whoever opened them closes them.
    """
    failures: list[str] = []
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    for alert in alerts:
        html = f"<pre>{escape(alert.text)}</pre>"
        for admin in admins:
            sender = senders.get(admin.type)
            if sender is None:
                failures.append(f"{admin.key}: no sender for {admin.type}")
                continue
            msg = Outgoing(
                # A distinct name per alert, so the file channel keeps each one.
                delivery_id=0, digest_id=0, subscriber_id=f"admin-{stamp}-{alert.kind}",
                channel=admin.key,
                message_id=make_msgid(domain="unionwatch.localhost"), subject=alert.subject,
                body_text=alert.text, body_html=html,
                parts=[f"<b>{escape(alert.subject)}</b>\n{html}"],
            )
            try:
                for unit in range(sender.units(msg)):
                    sender.send(msg, unit)
            except DeliveryError as exc:
                failures.append(f"{admin.key}: {exc}")
    return failures
