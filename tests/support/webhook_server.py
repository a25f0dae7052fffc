"""A loopback HTTP server that records POSTs and answers as scripted: a webhook's receiver, and
an Apprise target (json:// and form:// post to it)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every POST (`requests`), and the ones it answered 2xx (`accepted`)."""

    requests: list[Request] = field(default_factory=list)
    accepted: list[Request] = field(default_factory=list)
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # next answers
    lock: threading.Lock = field(default_factory=threading.Lock)
    got: threading.Condition = field(init=False)
    port: int = 0

    def __post_init__(self) -> None:
        self.got = threading.Condition(self.lock)

    def then(self, status: int, **headers: str) -> None:
        self.script.append((status, {k.replace("_", "-"): v for k, v in headers.items()}))

    def url(self, path: str = "/hook", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Request]:
        """The first n accepted requests, once they are in (bounded wait on a condition)."""
        with self.got:
            assert self.got.wait_for(lambda: len(self.accepted) >= n, timeout), \
                f"{len(self.accepted)} of {n} requests arrived"
            return self.accepted[:n]

    def _answer(self, req: Request) -> tuple[int, dict[str, str]]:
        with self.got:
            self.requests.append(req)
            status, headers = self.script.pop(0) if self.script else (200, {})
            if 200 <= status < 300:
                self.accepted.append(req)
            self.got.notify_all()
            return status, headers


@contextlib.contextmanager
def receiving() -> Iterator[Receiver]:
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            req = Request(self.path, {k.lower(): v for k, v in self.headers.items()},
                          self.rfile.read(length))
            status, headers = rec._answer(req)
            data = b'{"ok": true}' if status < 400 else b'{"error": "scripted"}'
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
