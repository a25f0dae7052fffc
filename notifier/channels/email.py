"""The email channel: smtplib over verified TLS, SMTP reply codes mapped to retry or failure."""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from notifier.channels.base import Outgoing, PermanentError, SendResult, TransientError
from notifier.channels.deadline import BoundedSocket, BoundedSSLSocket, cut, within
from notifier.links import WebLinks
from notifier.mime import build_message
from notifier.settings import SEND_TIMEOUT, SmtpRelay, SmtpSecurity, SmtpSettings


def tls_context(relay: SmtpRelay) -> ssl.SSLContext:
    # smtplib's own default context does not verify certificates: always pass ours.
    context = ssl.create_default_context(cafile=relay.ca_file)
    context.sslsocket_class = BoundedSSLSocket  # the send deadline reaches into TLS too
    return context


class _SMTP(smtplib.SMTP):
    """smtplib.SMTP on a BoundedSocket, so the send deadline covers the whole conversation."""

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        # Not in typeshed, but the documented seam: SMTP_SSL overrides it the same way.
        sock = super()._get_socket(host, port, cut(timeout))  # type: ignore[misc]
        return BoundedSocket.adopt(sock)

    last_reply = ""  # the server's answer to the last DATA: "250 2.0.0 Ok: queued as ..."

    def data(self, msg: Any) -> tuple[int, bytes]:
        code, reply = super().data(msg)
        self.last_reply = f"{code} {_reply_text(reply)}"
        return code, reply


class _SMTPSSL(smtplib.SMTP_SSL, _SMTP):
    """Implicit TLS: SMTP_SSL wraps the BoundedSocket that _SMTP._get_socket connects."""


def recipients(target: str) -> list[str]:
    return [a.strip() for a in target.split(",") if a.strip()]


def _classify(code: int, text: str) -> TransientError | PermanentError:
    # RFC 5321 §4.2.1: 4yz is transient, 5yz permanent; anything else we treat as transient.
    if 500 <= code < 600:
        return PermanentError(f"SMTP {code} {text}")
    return TransientError(f"SMTP {code} {text}")


def _reply_text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


class EmailSender:
    """Sends Delivery rows by SMTP, reusing one connection for a whole outbox run."""

    def __init__(
        self, settings: SmtpSettings, *, list_id: str | None = None, unsubscribe: str | None = None,
        deadline: float = SEND_TIMEOUT, web: WebLinks | None = None,
    ) -> None:
        self.settings = settings
        self.web = web
        self.list_id = list_id
        # Without a configured address, unsubscribe requests go to the sender: a digest
        # always says how to stop it (RFC 2369; bulk senders are required to by big providers).
        self.unsubscribe = unsubscribe or parseaddr(settings.relay.sender)[1] or None
        self.deadline = deadline
        self._conn: smtplib.SMTP | None = None

    def units(self, msg: Outgoing) -> int:
        return 1

    def _connect(self) -> smtplib.SMTP:
        s = self.settings.relay
        conn: smtplib.SMTP
        if s.security is SmtpSecurity.SSL:
            conn = _SMTPSSL(s.host, s.port, timeout=s.timeout, context=tls_context(s))
        else:
            conn = _SMTP(s.host, s.port, timeout=s.timeout)
        try:
            conn.ehlo()
            if s.security is SmtpSecurity.STARTTLS:
                if not conn.has_extn("starttls"):
                    # Never fall back to plaintext: a stripped STARTTLS is what an attacker does.
                    raise TransientError(
                        f"SMTP server {s.host}:{s.port} does not offer STARTTLS", alert=True
                    )
                conn.starttls(context=tls_context(s))
                conn.ehlo()
            if s.username:
                conn.login(s.username, self.settings.password or "")
        except BaseException:
            conn.close()
            raise
        return conn

    def send(self, msg: Outgoing, unit: int) -> SendResult:
        to = recipients(msg.target)
        if not to:
            raise PermanentError("no recipient address")
        mime = build_message(
            msg,
            sender=self.settings.relay.sender,
            to=to,
            list_id=self.list_id,
            unsubscribe_mailto=self.unsubscribe,
            web=self.web,
        )
        relay = self.settings.relay
        with within(self.deadline, relay.timeout) as deadline:
            try:
                return self._send(mime, to)
            except TransientError as exc:
                if not deadline.passed:
                    raise
                self._drop()
                raise TransientError(
                    f"SMTP server {relay.host}:{relay.port} did not take the message within "
                    f"the {self.deadline:g} s send deadline ({exc})", server=True
                ) from None

    def _send(self, mime: EmailMessage, to: list[str]) -> SendResult:
        relay = self.settings.relay
        connecting = self._conn is None
        try:
            if self._conn is None:
                self._conn = self._connect()
            refused = self._conn.send_message(mime, from_addr=relay.sender, to_addrs=to)
        except smtplib.SMTPConnectError as exc:
            # The greeting said no (421/554): the server refuses every session right now, which
            # is no verdict on any one message. Keep them all queued, and tell the admins.
            self._drop()
            raise TransientError(
                f"SMTP server {relay.host}:{relay.port} refused the session: "
                f"{exc.smtp_code} {_reply_text(exc.smtp_error)}", alert=True, server=True
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:  # every recipient refused
            self._reset()
            codes = [code for code, _ in exc.recipients.values()]
            detail = "; ".join(f"{a}: {c} {_reply_text(t)}" for a, (c, t) in exc.recipients.items())
            if all(500 <= c < 600 for c in codes):
                raise PermanentError(f"all recipients refused: {detail}") from None
            raise TransientError(f"recipients refused: {detail}") from None
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPSenderRefused) as exc:
            # Our credentials or sender address: every message would fail alike, so keep them
            # queued (and alert) instead of failing each digest for good.
            self._drop()
            raise TransientError(
                f"SMTP {exc.smtp_code} {_reply_text(exc.smtp_error)}", alert=True
            ) from None
        except smtplib.SMTPResponseException as exc:  # e.g. the message refused after DATA
            self._reset()
            raise _classify(exc.smtp_code, _reply_text(exc.smtp_error)) from None
        except ssl.SSLCertVerificationError as exc:
            self._drop()
            raise TransientError(
                f"TLS certificate of {self.settings.relay.host} rejected: {exc.reason}", alert=True
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            # Includes a drop after DATA and before the reply: the message may or may not have
            # gone (RFC 1047); the retry carries the same Message-ID so the copy is traceable.
            self._drop()
            # Failing before a session even began is the server's trouble, not the message's.
            raise TransientError(f"SMTP connection failed: {type(exc).__name__}: {exc}",
                                 server=connecting) from None
        answer = getattr(self._conn, "last_reply", "") if self._conn is not None else ""
        return SendResult(refused={a: (c, _reply_text(t)) for a, (c, t) in refused.items()},
                          answer=f"{relay.host}:{relay.port} answered {answer}" if answer else "")

    def _reset(self) -> None:
        """After a refused transaction the session is still usable once RSET."""
        if self._conn is not None:
            try:
                self._conn.rset()
            except (smtplib.SMTPException, OSError):
                self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
            self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError), within(
                self.deadline, self.settings.relay.timeout
            ):
                self._conn.quit()
            self._drop()
