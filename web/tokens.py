"""Signed links: who (a subscriber or "admin"), what (a scope and its target) and until when.

Signed with itsdangerous; rotating the key revokes every link at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "unionwatch.web.link"
ADMIN = "admin"


class BadToken(Exception):
    """Tampered, expired, or for another scope: the message says which, in plain words."""


@dataclass(frozen=True)
class Grant:
    who: str  # a subscriber id, or "admin"
    scope: str  # "login", "digest", "unsubscribe", "mark", "feed", "api"
    target: str  # the digest id, channel key, "article:entity", "watchlist:<id>"/"entity:<id>", ""
    expires: int  # unix seconds


class Signer:
    def __init__(self, secret: bytes, salt: str = SALT) -> None:
        self._s = URLSafeSerializer(secret, salt=salt)

    def make(self, who: str, scope: str, target: str = "", *, days: float = 30.0,
             now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + days * 86400)
        return str(self._s.dumps([who, scope, target, expires]))

    def read(self, token: str, scope: str, *, now: float | None = None) -> Grant:
        try:
            raw: Any = self._s.loads(token)
        except BadSignature:
            raise BadToken("this link is not valid: it was changed, cut short, or its key was rotated") from None
        if not (isinstance(raw, list) and len(raw) == 4):
            raise BadToken("this link is not valid")
        grant = Grant(str(raw[0]), str(raw[1]), str(raw[2]), int(raw[3]))
        if grant.scope != scope:
            raise BadToken("this link is for something else")
        if grant.expires < (now if now is not None else time.time()):
            raise BadToken("this link has expired: ask for a new one")
        return grant

    def dumps(self, value: Any) -> str:
        return str(self._s.dumps(value))

    def loads(self, value: str) -> Any:
        return self._s.loads(value)
