"""`digest --test`: a clearly marked test message to each of a subscriber's channels, now.

It bypasses the outbox (nothing is queued, assigned or marked) but uses the real senders, and
says for each channel what the server answered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from email.utils import make_msgid
from html import escape

from notifier.channels.base import DeliveryError, Outgoing, Sender
from notifier.settings import ChannelKey, ChannelType, Subscriber
from storage import channel_state, optouts
from storage.database import Database


@dataclass(frozen=True, slots=True)
class ProbeResult:
    channel: str
    ok: bool
    answer: str  # what the server said, or why it failed
    sent_to: str | None = None  # the chat a migrated Telegram group moved to, if it did
    skipped: bool = False  # opted out: a test would break the opt-out

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def probe_message(sub: Subscriber, key: ChannelKey, now: datetime, domain: str) -> Outgoing:
    who = sub.display_name
    subject = f"[TEST] unionwatch: test message for {who}"
    text = (f"TEST MESSAGE — not a digest.\n\nunionwatch sent this to check that {who}'s channel "
            f"{key} works ({now:%Y-%m-%d %H:%M} UTC, `unionwatch digest --test {sub.id}`).\n"
            "Nothing was marked as sent; your digests are not affected.")
    body_html = f"<p><b>TEST MESSAGE</b> — not a digest.</p><pre>{escape(text)}</pre>"
    body_text = text
    if key.type.value == "webhook":
        body_text = json.dumps({"type": "test", "subscriber": sub.id, "text": text}, ensure_ascii=False)
    return Outgoing(
        delivery_id=0, digest_id=0, subscriber_id=f"test-{now:%Y%m%dT%H%M%S}-{sub.id}", channel=key,
        message_id=make_msgid("test", domain=domain), subject=subject, body_text=body_text,
        body_html=body_html, parts=[f"<b>[TEST] unionwatch</b>\n\n{escape(text)}"],
    )


def probe(db: Database, sub: Subscriber, senders: Mapping[ChannelType, Sender], now: datetime,
          domain: str = "unionwatch.localhost") -> list[ProbeResult]:
    keys = [c.key for c in sub.channels]
    with db.read() as s:
        states = channel_state.of(s, [str(k) for k in keys])
        stopped = optouts.opted_out(s, [sub.id])
    out = []
    for key in keys:
        if (sub.id, str(key)) in stopped:
            out.append(ProbeResult(str(key), True, "opted out: not sent (undo with `unionwatch "
                                   f"subscriber resubscribe {sub.id} --channel {key}`)", skipped=True))
            continue
        state = states.get(str(key))
        target = ChannelKey(state.replaced_by) if state and state.replaced_by else key
        sender = senders.get(key.type)
        if sender is None:
            out.append(ProbeResult(str(key), False, f"no {key.type} sender: see delivery in config.yaml"))
            continue
        msg = probe_message(sub, target, now, domain)
        answers = []
        try:
            for unit in range(sender.units(msg)):
                result = sender.send(msg, unit)
                if result.migrated_to:
                    msg.channel = result.migrated_to
                answers.append(result.answer or "accepted")
        except DeliveryError as exc:
            out.append(ProbeResult(str(key), False, str(exc), None if target == key else str(target)))
            continue
        note = "; ".join(answers)
        if state and state.disabled:
            note += f" (the outbox has disabled this channel: {state.reason})"
        moved = str(msg.channel) if msg.channel != key else None
        out.append(ProbeResult(str(key), True, note, moved))
    return out
