"""What the outbox hands a channel, what it gets back, and how a channel says it failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from notifier.settings import ChannelKey


@dataclass(slots=True)
class Outgoing:
    """One Delivery row as a channel sees it (target already resolved through ChannelState)."""

    delivery_id: int
    digest_id: int
    subscriber_id: str
    channel: ChannelKey
    message_id: str
    subject: str
    body_text: str
    body_html: str
    parts: list[str] = field(default_factory=list)
    parts_sent: int = 0

    @property
    def target(self) -> str:
        return self.channel.target


@dataclass(slots=True)
class SendResult:
    """A send that worked, perhaps with news the outbox must record."""

    # email: recipients the server refused while accepting others: address -> (code, text)
    refused: dict[str, tuple[int, str]] = field(default_factory=dict)
    # telegram: the group became a supergroup; the channel to use from now on
    migrated_to: ChannelKey | None = None
    # the plain-text fallback had to be used (Telegram rejected our HTML)
    degraded: bool = False
    # what the server said when it took the message, for `digest --test` ("250 OK queued")
    answer: str = ""


class DeliveryError(Exception):
    """Base of the failures a channel reports; messages never hold secrets."""


class TransientError(DeliveryError):
    """Try again later (4xx SMTP, Telegram 429/5xx, timeouts, dropped connections)."""

    def __init__(
        self, message: str, retry_after: float | None = None, *, alert: bool = False,
        server: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        # A problem of our setup (credentials, TLS, token) that waiting alone will not fix.
        self.alert = alert
        # The server, not this message: unreachable, refusing sessions, or too slow to finish
        # within the send deadline. Every other message to it would wait the same way.
        self.server = server


class PermanentError(DeliveryError):
    """Retrying cannot help (5xx SMTP, Telegram 400 other than a missing chat)."""


class ChannelGone(PermanentError):
    """The recipient cannot be reached any more (bot blocked, chat not found): disable it."""


class Sender(Protocol):
    """A channel. The outbox calls send() once per unit (a Telegram part, or the one message)."""

    def units(self, msg: Outgoing) -> int:
        """How many send() calls the message takes."""
        ...

    def send(self, msg: Outgoing, unit: int) -> SendResult: ...

    def close(self) -> None:
        """Release connections; called once by whoever opened the sender (see open_senders)."""
        ...
