"""The webhook channel: the digest's items as a signed JSON POST, for other systems to consume.

Each request carries

    Unionwatch-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>
    Unionwatch-Delivery: <the delivery's Message-ID, the same on every retry>

A receiver recomputes the HMAC over the raw body it got, compares in constant time, and
refuses a `t` more than a few minutes from its clock (a replayed request). Delivery is at
least once: it deduplicates on the body's "id" (= Unionwatch-Delivery).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from notifier.channels.base import Outgoing, PermanentError, SendResult, TransientError
from notifier.channels.http import BoundedPoster, retry_after, unreachable
from notifier.settings import SEND_TIMEOUT, WebhookTarget

SIGNATURE_HEADER = "Unionwatch-Signature"
DELIVERY_HEADER = "Unionwatch-Delivery"
USER_AGENT = "unionwatch-webhook/1"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The Unionwatch-Signature header value for this body at this time."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, header: str, body: bytes, *, now: float | None = None, tolerance: float = 300
) -> bool:
    """What a receiver does (and the tests): the signature matches and the timestamp is fresh."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = sign(secret, t, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def body_of(msg: Outgoing) -> bytes:
    """The JSON sent: the delivery's stored payload, with its id and subject; the same bytes on
    every retry of one delivery."""
    try:
        payload: Any = json.loads(msg.body_text)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):  # an admin alert or a test: plain text
        payload = {"type": "message", "text": msg.body_text}
    doc = {"id": msg.message_id, "subject": msg.subject, **payload}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class WebhookSender:
    """POSTs each delivery once per attempt: 2xx is final, 429/5xx retried, other 4xx failed."""

    def __init__(self, hooks: Mapping[str, WebhookTarget], *, timeout: float = 30.0,
                 deadline: float = SEND_TIMEOUT, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.hooks = hooks
        self.deadline = deadline
        self.clock = clock
        self._poster = BoundedPoster(min(timeout, deadline), transport)

    def units(self, msg: Outgoing) -> int:
        return 1

    def send(self, msg: Outgoing, unit: int) -> SendResult:
        name = msg.target
        hook = self.hooks.get(name)
        if hook is None or not hook.url or not hook.secret:
            raise TransientError(f"webhook {name}: its URL or secret environment variable is not set",
                                 alert=True)
        if not hook.url.startswith(("https://", "http://")):
            raise PermanentError(f"webhook {name}: the URL in ${name} is not http(s)")
        body = body_of(msg)
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
                   SIGNATURE_HEADER: sign(hook.secret, int(self.clock()), body),
                   DELIVERY_HEADER: msg.message_id}
        try:
            resp = self._poster.post(hook.url, body, headers, self.deadline)
        except TimeoutError:
            raise TransientError(f"webhook {name} did not answer within the {self.deadline:g} s "
                                 "send deadline", server=True) from None
        except httpx.HTTPError as exc:
            raise unreachable(f"webhook {name}", exc) from None
        code = resp.status_code
        said = f"HTTP {code} {resp.reason_phrase}".strip()
        if 200 <= code < 300:
            return SendResult(answer=said)
        if code in (408, 425, 429) or code >= 500:
            raise TransientError(f"webhook {name}: {said}",
                                 retry_after=retry_after(resp.headers.get("Retry-After")))
        raise PermanentError(f"webhook {name}: {said}")

    def close(self) -> None:
        self._poster.close()
