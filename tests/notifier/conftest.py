"""Real parts for the notifier tests: seeded databases, an aiosmtpd server, a fake Bot API.

Helper classes live here (not in a sibling module) because pytest runs with
--import-mode=importlib, where test modules cannot import their neighbours.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from notifier.settings import ChannelSpec, DigestSchedule, EntityInfo, Subscriber, SubscriberSpec
from storage.articles import ArticleRecord, insert_article
from storage.database import Database
from storage.models import Mention

NOW = dt.datetime(2017, 5, 12, 3, 0, tzinfo=dt.UTC)
TOKEN = "123456789:AAH-secret_token-value-XYZ"

ENTITIES = {
    "eleusinov": EntityInfo("eleusinov", "Әмин Елеусінов"),
    "kushakbayev": EntityInfo("kushakbayev", "Nurbek Kushakbayev"),
    "kharkova": EntityInfo("kharkova", "Kharkova"),
}


# --- seeding ---------------------------------------------------------------------------------


def add_article(
    db: Database,
    title: str,
    body: str,
    *,
    url: str | None = None,
    source: str = "azattyq",
    published: dt.datetime | None = NOW - dt.timedelta(hours=5),
    language: str = "kk",
    mentions: dict[str, str] | None = None,
) -> int:
    """Store an article and a Mention for each {entity_id: surface} found in its title or body."""
    with db.write() as s:
        aid = insert_article(
            s,
            ArticleRecord(
                source_id=source,
                url=url or f"https://{source}.example/{abs(hash((title, body, source)))}",
                title=title,
                body=body,
                published_at=published,
                language=language,
                fetched_at=NOW - dt.timedelta(hours=1),
            ),
        )
        assert aid is not None
        for entity_id, surface in (mentions or {}).items():
            for fld, text in (("title", title), ("body", body)):
                start = text.find(surface)
                if start >= 0:
                    s.add(
                        Mention(
                            article_id=aid, entity_id=entity_id, field=fld, start=start,
                            end=start + len(surface), surface=surface, tier="surname",
                        )
                    )
        return aid


def subscriber(
    *channels: ChannelSpec,
    id: str = "almaty-bureau",
    entity_ids: tuple[str, ...] = ("eleusinov", "kushakbayev", "kharkova"),
    send_empty: bool = False,
) -> SubscriberSpec:
    who = Subscriber(
        id=id,
        name="Бюро Алматы",
        timezone="Asia/Almaty",
        digest=DigestSchedule(time=dt.time(8, 0), send_empty=send_empty),
        channels=list(channels or (ChannelSpec(type="file", path="/tmp/unused"),)),
    )
    return SubscriberSpec(who, entity_ids)


class FakeClock:
    """A monotonic clock whose sleep() advances it: pacing and backoff without waiting."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(0.0, seconds)


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port that refuses connections while the block runs: bound, never listening.

    Holding the socket keeps any other server from taking the port meanwhile.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield int(s.getsockname()[1])


class LoopbackSmtp(Controller):
    """aiosmtpd on 127.0.0.1 at a port the kernel picks when it binds; `.port` says which."""

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=0, **kwargs)

    def _trigger_server(self) -> None:
        # Called once the server listens, before aiosmtpd's own first connection to it.
        assert self.server is not None
        self.port = int(self.server.sockets[0].getsockname()[1])
        super()._trigger_server()


# --- TLS material ------------------------------------------------------------------------------


@dataclass
class Certs:
    ca: Path
    cert: Path
    key: Path
    other_ca: Path  # a CA that did not sign the server certificate

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


def _make_ca(name: str) -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    d = tmp_path_factory.mktemp("tls")
    ca_key, ca_cert = _make_ca("unionwatch test CA")
    _, other_cert = _make_ca("some other CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (d / "ca.pem").write_bytes(ca_cert.public_bytes(pem))
    (d / "other-ca.pem").write_bytes(other_cert.public_bytes(pem))
    (d / "cert.pem").write_bytes(cert.public_bytes(pem))
    (d / "key.pem").write_bytes(
        key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return Certs(d / "ca.pem", d / "cert.pem", d / "key.pem", d / "other-ca.pem")


# --- SMTP ------------------------------------------------------------------------------------


@dataclass
class SmtpRecorder:
    """aiosmtpd handler: records what it accepts; scripted refusals and dropped connections."""

    messages: list[bytes] = field(default_factory=list)  # every message the server took in
    rcpt_replies: dict[str, str] = field(default_factory=dict)  # address -> "550 ..."
    data_replies: list[str] = field(default_factory=list)  # next DATA replies, e.g. "451 ..."
    drop_after_data: int = 0  # close the connection after DATA, before the reply, N times
    auth_attempts: list[str] = field(default_factory=list)
    connections: int = 0

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        self.connections += 1
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        reply = self.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        self.messages.append(envelope.original_content or envelope.content)
        if self.drop_after_data > 0:
            # The message is in, but the client never sees the 250 (RFC 1047).
            self.drop_after_data -= 1
            server.transport.abort()
        return "250 OK queued"

    def authenticator(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.auth_attempts.append(auth_data.login.decode())
        ok = auth_data.login == b"digest" and auth_data.password == b"s3cret"
        return AuthResult(success=ok)

    def parsed(self) -> list[Any]:
        from email import message_from_bytes, policy

        return [message_from_bytes(m, policy=policy.default) for m in self.messages]


@dataclass
class SmtpServer:
    recorder: SmtpRecorder
    port: int


@pytest.fixture
def smtp_factory(certs: Certs) -> Iterator[Callable[..., SmtpServer]]:
    """Start an aiosmtpd server: mode 'plain', 'starttls' (required) or 'ssl' (implicit TLS)."""
    started: list[LoopbackSmtp] = []

    def start(mode: str = "plain", *, auth: bool = False) -> SmtpServer:
        rec = SmtpRecorder()
        kwargs: dict[str, Any] = {}
        if mode == "starttls":
            kwargs.update(tls_context=certs.server_context(), require_starttls=True)
        elif mode == "ssl":
            kwargs.update(ssl_context=certs.server_context())
        if auth:
            kwargs.update(authenticator=rec.authenticator, auth_require_tls=mode == "plain")
        ctl = LoopbackSmtp(rec, **kwargs)
        ctl.start()
        started.append(ctl)
        return SmtpServer(rec, ctl.port)

    yield start
    for ctl in started:
        ctl.stop()


# --- Telegram Bot API --------------------------------------------------------------------------

_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                 "blockquote", "span", "tg-spoiler", "tg-emoji"}
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)((?:\s+[^<>]*)?)>")
_CANT_PARSE = "Bad Request: can't parse entities"
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


def telegram_html_error(text: str) -> str | None:
    """Check text the way the Bot API parses parse_mode=HTML; the error it would give, or None."""
    stack: list[str] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch == "<":
            m = _TAG.match(text, pos)
            if not m or m.group(2).lower() not in _ALLOWED_TAGS:
                return f"{_CANT_PARSE}: unsupported start tag at byte offset {pos}"
            closing, name = m.group(1), m.group(2).lower()
            if closing:
                if not stack or stack.pop() != name:
                    return f"Bad Request: can't parse entities: unmatched end tag at offset {pos}"
            else:
                stack.append(name)
            pos = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, pos)
            if not m or (m.group(1)[0] != "#" and m.group(1) not in ("lt", "gt", "amp", "quot")):
                return f"Bad Request: can't parse entities: unsupported entity at offset {pos}"
            pos = m.end()
        elif ch == ">":
            return f"Bad Request: can't parse entities: unexpected > at offset {pos}"
        else:
            pos += 1
    if stack:
        return f"{_CANT_PARSE}: can't find end tag corresponding to <{stack[-1]}>"
    return None


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Received:
    at: float
    chat_id: str
    text: str
    parse_mode: str | None


class FakeBotApi:
    """Speaks the Bot API wire format for sendMessage, with scripted and standing errors."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.lock = threading.Lock()
        self.received: list[Received] = []  # messages accepted (ok: true)
        self.requests: list[tuple[float, str]] = []  # (time, chat_id) of every sendMessage
        self.script: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.blocked: set[str] = set()
        self.missing: set[str] = set()
        self.migrated: dict[str, int] = {}
        self.server: ThreadingHTTPServer | None = None
        # getUpdates: updates users sent, the long polls made, and their scripted failures
        self.username = "unionwatch_test_bot"
        self.updates: list[dict[str, Any]] = []
        self.next_update_id = 100
        self.polls: list[tuple[int | None, int]] = []  # (offset, timeout) of every getUpdates
        self.poll_script: list[tuple[int, dict[str, Any]]] = []
        self.conflicts = 0  # getUpdates ended by a newer one (two pollers on one token)
        self.changed = threading.Condition(self.lock)
        self._poll_generation = 0
        self.closing = False

    # scripting
    def then(self, chat: str, status: int, description: str, **parameters: Any) -> None:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        self.script.setdefault(chat, []).append((status, body))

    def flood(self, chat: str, retry_after: int) -> None:
        self.then(chat, 429, f"Too Many Requests: retry after {retry_after}",
                  retry_after=retry_after)

    def texts(self, chat: str) -> list[str]:
        return [r.text for r in self.received if r.chat_id == chat]

    def say(self, chat_id: int, text: str, *, chat_type: str = "private",
            username: str | None = None, language_code: str | None = None) -> int:
        """A user writes to the bot in chat_id: an update for getUpdates; its update_id."""
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if username:
            chat["username"] = username
        with self.changed:
            uid = self.next_update_id
            self.next_update_id += 1
            kind = "channel_post" if chat_type == "channel" else "message"
            self.updates.append({"update_id": uid, kind: {
                "message_id": uid, "date": int(time.time()), "chat": chat, "text": text,
                "from": {"id": chat_id, "is_bot": False, "first_name": "Test",
                         **({"language_code": language_code} if language_code else {})}}})
            self.changed.notify_all()
        return uid

    def wait_for_texts(self, chat: str, n: int, timeout: float = 20.0) -> list[str]:
        """The first n messages the bot sent to chat, once they are there (bounded wait)."""
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.texts(chat)) >= n, timeout), \
                f"{len(self.texts(chat))} of {n} messages to {chat} arrived: {self.texts(chat)}"
            return self.texts(chat)[:n]

    def flood_polls(self, retry_after: int) -> None:
        self.poll_script.append((429, {"ok": False, "error_code": 429,
                                       "parameters": {"retry_after": retry_after},
                                       "description": f"Too Many Requests: retry after {retry_after}"}))

    def conflict_polls(self) -> None:
        self.poll_script.append((409, {"ok": False, "error_code": 409, "description":
                                       "Conflict: can't use getUpdates method while webhook is active"}))

    def _get_updates(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Long poll as Telegram does: updates from `offset` on (those below it are forgotten),
        waiting up to `timeout` s for one; a newer call ends a waiting one with 409."""
        offset = body.get("offset")
        timeout = min(float(body.get("timeout") or 0), 50.0)
        with self.changed:
            self.polls.append((offset, int(timeout)))
            if self.poll_script:
                return self.poll_script.pop(0)
            self._poll_generation += 1
            mine = self._poll_generation
            self.changed.notify_all()
            if isinstance(offset, int):
                self.updates = [u for u in self.updates if u["update_id"] >= offset]

            def ready() -> bool:
                return bool(self.updates) or mine != self._poll_generation or self.closing

            self.changed.wait_for(ready, timeout)
            if mine != self._poll_generation:
                self.conflicts += 1
                return 409, {"ok": False, "error_code": 409, "description": "Conflict: terminated by "
                             "other getUpdates request; make sure that only one bot instance is running"}
            return 200, {"ok": True, "result": list(self.updates)}

    @property
    def api_base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def reply(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if path == f"/bot{self.token}/getUpdates":
            return self._get_updates(body)
        if path == f"/bot{self.token}/getMe":
            return 200, {"ok": True, "result": {"id": int(self.token.split(":")[0]), "is_bot": True,
                                                "first_name": "unionwatch", "username": self.username}}
        if path != f"/bot{self.token}/sendMessage":
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        chat = str(body.get("chat_id"))
        text = str(body.get("text", ""))
        with self.lock:
            self.requests.append((time.monotonic(), chat))
            queued = self.script.get(chat)
            if queued:
                return queued.pop(0)
        if chat in self.blocked:
            return 403, {"ok": False, "error_code": 403,
                         "description": "Forbidden: bot was blocked by the user"}
        if chat in self.missing:
            return 400, {"ok": False, "error_code": 400,
                         "description": "Bad Request: chat not found"}
        if chat in self.migrated:
            return 400, {"ok": False, "error_code": 400,
                         "description": "Bad Request: group chat was upgraded to a supergroup chat",
                         "parameters": {"migrate_to_chat_id": self.migrated[chat]}}
        if not text or utf16_len(html.unescape(text)) > 4096:
            return 400, {"ok": False, "error_code": 400,
                         "description": "Bad Request: message is too long"}
        if body.get("parse_mode") == "HTML":
            error = telegram_html_error(text)
            if error:
                return 400, {"ok": False, "error_code": 400, "description": error}
        with self.lock:
            self.received.append(Received(time.monotonic(), chat, text, body.get("parse_mode")))
            n = len(self.received)
            self.changed.notify_all()
        return 200, {"ok": True, "result": {"message_id": n, "chat": {"id": int(chat)},
                                            "date": int(time.time()), "text": text}}


@contextlib.contextmanager
def serving(api: FakeBotApi) -> Iterator[FakeBotApi]:
    """Serve `api` on a loopback port the kernel picks (`api.api_base` says which)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            status, payload = api.reply(self.path, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.server = server
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield api
    finally:
        with api.changed:  # long polls in flight answer now, so the server can close
            api.closing = True
            api.changed.notify_all()
        server.shutdown()
        server.server_close()


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    with serving(FakeBotApi()) as api:
        yield api
