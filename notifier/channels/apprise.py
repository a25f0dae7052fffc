"""The Apprise channel: Slack, Matrix, Discord, ntfy, generic JSON webhooks and the rest Apprise knows.

Apprise tells only whether a notification went through. A success is final; a failure is
retried by the outbox as transient, so a service that took the message but answered with an
error gets it again (see the README's "Apprise channels").
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import apprise

from notifier.channels.base import Outgoing, PermanentError, SendResult, TransientError
from notifier.settings import SEND_TIMEOUT

_LOGGER = "apprise"


class _Capture(logging.Handler):
    """What Apprise logs about one notify call: its only account of what the server said."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING or "sent" in record.getMessage().lower():
            self.lines.append(record.getMessage())


@contextmanager
def _captured() -> Iterator[_Capture]:
    logger = logging.getLogger(_LOGGER)
    handler = _Capture()
    logger.addHandler(handler)
    old = logger.level
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    propagate, logger.propagate = logger.propagate, False  # our log says it once, redacted
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
        logger.propagate = propagate


class AppriseSender:
    """One notify() per delivery: the subject as the title, the plain-text digest as the body."""

    def __init__(self, urls: Mapping[str, str], *, deadline: float = SEND_TIMEOUT) -> None:
        self.urls = urls
        self.deadline = deadline

    def units(self, msg: Outgoing) -> int:
        return 1

    def _redact(self, text: str, name: str) -> str:
        url = self.urls.get(name) or ""
        return text.replace(url, f"${name}") if url else text

    def send(self, msg: Outgoing, unit: int) -> SendResult:
        name = msg.target
        url = self.urls.get(name)
        if not url:
            raise TransientError(f"apprise {name}: environment variable {name} is not set", alert=True)
        client = apprise.Apprise()
        if not client.add(url):
            raise PermanentError(f"apprise {name}: Apprise does not understand the URL in ${name}")
        with _captured() as log:
            ok = client.notify(body=msg.body_text or msg.subject, title=msg.subject,
                               body_format=apprise.NotifyFormat.TEXT)
        said = self._redact("; ".join(log.lines[-3:]), name)
        if ok:
            return SendResult(answer=said or "accepted")
        raise TransientError(f"apprise {name}: not delivered" + (f" ({said})" if said else ""))

    def close(self) -> None:
        pass
