"""Signed links into `unionwatch web`: who (a subscriber or "admin"), what (a scope and its target),
until when. Signed with itsdangerous; rotating the key revokes every link at once.

The digests put them in (view in browser, one-click unsubscribe); the web reads them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from html import escape
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

    def make(
        self, who: str, scope: str, target: str = "", *, days: float = 30.0, now: float | None = None
    ) -> str:
        expires = int((now if now is not None else time.time()) + days * 86400)
        return str(self._s.dumps([who, scope, target, expires]))

    def read(self, token: str, scope: str, *, now: float | None = None) -> Grant:
        try:
            raw: Any = self._s.loads(token)
        except BadSignature:
            raise BadToken(
                "this link is not valid: it was changed, cut short, or its key was rotated"
            ) from None
        if not (isinstance(raw, list) and len(raw) == 4):
            raise BadToken("this link is not valid")
        grant = Grant(str(raw[0]), str(raw[1]), str(raw[2]), int(raw[3]))
        if grant.scope != scope:
            raise BadToken("this link is for something else")
        if grant.expires < (now if now is not None else time.time()):
            raise BadToken("this link has expired: ask for a new one")
        return grant


@dataclass(frozen=True)
class WebLinks:
    """The links a digest carries into the web (web.base_url, signed with web.secret_env's key)."""

    base_url: str
    secret: bytes = field(repr=False)
    days: float = 90.0

    def _make(self, who: str, scope: str, target: str) -> str:
        return Signer(self.secret).make(who, scope, target, days=self.days)

    def digest(self, subscriber_id: str, digest_id: int) -> str:
        return f"{self.base_url}/d/{self._make(subscriber_id, 'digest', str(digest_id))}"

    def unsubscribe(self, subscriber_id: str, channel_key: str) -> str:
        return f"{self.base_url}/u/{self._make(subscriber_id, 'unsubscribe', channel_key)}"

    def read(self, subscriber_id: str, article_id: int) -> str:
        """A digest item's article page in the web, the reader signed in by the link."""
        return f"{self.base_url}/r/{self._make(subscriber_id, 'read', str(article_id))}"

    def mark(self, subscriber_id: str, article_id: int, entity_id: str) -> str:
        return f"{self.base_url}/m/{self._make(subscriber_id, 'mark', f'{article_id}:{entity_id}')}"


def telegram_footer(view_url: str, unsubscribe_url: str) -> str:
    """The end of a Telegram digest: its web version and the way out (Bot API HTML)."""
    return (
        f'\n\n<a href="{escape(view_url)}">View in browser</a> · '
        f'<a href="{escape(unsubscribe_url)}">Unsubscribe</a>'
    )
