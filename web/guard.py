"""Sessions, CSRF tokens, login throttling and the security headers every answer carries."""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "uw_session"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",  # links carry tokens: never hand them to another site
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
}


@dataclass(frozen=True)
class Session:
    who: str  # "" (nobody yet), "admin", or a subscriber id
    csrf: str
    expires: int

    @property
    def admin(self) -> bool:
        return self.who == "admin"


class Sessions:
    def __init__(self, secret: bytes, hours: float) -> None:
        self._s = URLSafeSerializer(secret, salt="unionwatch.web.session")
        self.hours = hours

    def new(self, who: str = "", *, hours: float | None = None) -> Session:
        return Session(who, secrets.token_urlsafe(24), int(time.time() + 3600 * (hours or self.hours)))

    def read(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            who, csrf, expires = self._s.loads(cookie)
        except (BadSignature, ValueError, TypeError):
            return None
        if int(expires) < time.time():
            return None
        return Session(str(who), str(csrf), int(expires))

    def dump(self, s: Session) -> str:
        return str(self._s.dumps([s.who, s.csrf, s.expires]))


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and secrets.compare_digest(str(a), str(b))


class Throttle:
    """At most `attempts` failures per key within `window` seconds (per client, and in all)."""

    def __init__(self, attempts: int, window: float) -> None:
        self.attempts, self.window = attempts, window
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and q[0] < now - self.window:
            q.popleft()
        return q

    def wait_for(self, key: str) -> float:
        """Seconds until this key may try again (0: now)."""
        now = time.monotonic()
        with self._lock:
            q = self._recent(key, now)
            return 0.0 if len(q) < self.attempts else max(0.0, q[0] + self.window - now)

    def failed(self, key: str) -> None:
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)


class SecurityHeaders:
    """Adds the security headers to every answer; a route may set its own CSP first."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in HEADERS.items() if k.encode() not in have]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
