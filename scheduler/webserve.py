"""`unionwatch web`: the web app wired to config.yaml, served by uvicorn."""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import socket
import sys

from scheduler.archived import copy_finder
from scheduler.config import Config
from scheduler.output import Failed
from scheduler.wiring import open_database, source_names, watchlist
from web import EntityView, ReaderView, WebSettings
from web.tokens import ADMIN, Signer

log = logging.getLogger(__name__)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def web_secret(cfg: Config, host: str) -> tuple[bytes, bool]:
    """The signing key from the environment; on loopback without one, a key for this run only."""
    value = os.environ.get(cfg.web.secret_env, "")
    if value:
        if len(value) < 32:
            raise Failed(
                [
                    f"{cfg.web.secret_env} is too short to sign links: give at least 32 characters "
                    "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                ],
                2,
            )
        return value.encode(), False
    if not _loopback(host):
        raise Failed(
            [
                f"{cfg.web.secret_env} is not set: serving beyond 127.0.0.1 needs a signing key "
                "in that environment variable (web.secret_env)"
            ],
            2,
        )
    return secrets.token_bytes(32), True


def settings(cfg: Config, *, host: str, port: int) -> tuple[WebSettings, bool]:
    secret, ephemeral = web_secret(cfg, host)
    base = cfg.web.base_url or f"http://{host}:{port}"
    entities = {
        e.id: EntityView(e.id, e.name, e.kind, tuple(e.aliases), tuple(getattr(e, "exclude", ()) or ()))
        for e in cfg.entities
    }
    readers = {
        sub.id: ReaderView(
            sub.id,
            sub.name or sub.id,
            frozenset(e.id for e in cfg.entities_of(sub)),
            tuple(str(c.key) for c in sub.channels),
            tuple(sub.watchlists),
        )
        for sub in cfg.subscribers
    }
    db = open_database(cfg)
    ws = WebSettings(
        db=db,
        archived=copy_finder(cfg, db),
        source_names=source_names(cfg),
        base_url=base,
        secret=secret,
        admin_password_hash=os.environ.get(cfg.web.admin_password_hash_env) or None,
        entities=entities,
        watchlists={w.id: tuple(e.id for e in w.entities) for w in cfg.watchlists},
        readers=readers,
        sources=tuple(s.id for s in cfg.sources),
        names=watchlist(cfg),
        cookie_secure=base.startswith("https://"),
        session_hours=cfg.web.session_hours,
        login_attempts=cfg.web.login_attempts,
        unsubscribe_mailto=cfg.delivery.unsubscribe_mailto,
    )
    return ws, ephemeral


def listening_socket(host: str, port: int, backlog: int = 128) -> socket.socket:
    """A bound, listening TCP socket for uvicorn (port 0: any free one).

    Made with proto IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on
    connections of a socket that says it is TCP. With Nagle on, a response written in two
    parts (headers, then body) on a kept-alive connection waits for the client's delayed
    ACK: ~40 ms on every request after a connection's first.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


def serve(cfg: Config, *, host: str, port: int) -> int:
    import uvicorn

    from web import create_app

    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        raise Failed([f"cannot listen on {host}:{port}: {exc.strerror}"], 1) from None
    port = sock.getsockname()[1]
    ws, ephemeral = settings(cfg, host=host, port=port)
    app = create_app(ws)
    signer = Signer(ws.secret)
    print(f"unionwatch web: listening on http://{host}:{port} (links say {ws.base_url})", flush=True)
    if ephemeral:
        print(
            f"  no {cfg.web.secret_env} set: links signed now stop working when this server stops",
            file=sys.stderr,
            flush=True,
        )
    if ws.admin_password_hash is None:
        link = f"{ws.base_url}/l/{signer.make(ADMIN, 'login', days=1)}"
        print(
            f"  no admin password ({cfg.web.admin_password_hash_env}); sign in as admin with this link "
            f"(valid 24 h):\n  {link}",
            flush=True,
        )
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            proxy_headers=True,
            forwarded_allow_ips="127.0.0.1",
            server_header=False,
            access_log=False,
        )
    )
    server.run(sockets=[sock])
    ws.db.dispose()
    return 0


def make_link(cfg: Config, *, who: str, scope: str, target: str, days: float) -> str:
    secret = os.environ.get(cfg.web.secret_env, "")
    if not secret:
        raise Failed([f"{cfg.web.secret_env} is not set: a link signed without it would not open"], 2)
    if who != ADMIN and who not in {s.id for s in cfg.subscribers}:
        raise Failed([f"no subscriber '{who}' in the config"], 2)
    base = cfg.web.base_url or "http://127.0.0.1:8080"
    token = Signer(secret.encode()).make(who, scope, target, days=days)
    prefix = {"login": "/l/", "feed": "/feeds/", "digest": "/d/", "unsubscribe": "/u/", "mark": "/m/"}
    return base + prefix.get(scope, "/api/docs?token=") + token


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)
