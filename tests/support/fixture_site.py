"""The tests' web server on 127.0.0.1: the demo's sites, the outlet fixture sites and the
fault routes, with a log of every request (what a crawler fetched, when, how politely).

    with FixtureSite() as site:
        feed = f"{site.base_url}/azattyq/api/zivqrkrvil"
        ...
        assert site.hits("/private/a/1.html") == 0

It serves files by the rules of the demo's own server (scheduler/demo/server.py: the
placeholders `{{base}}` and `{{date:N:FORMAT}}`, path variants, gzip, site.json), which
tests/scheduler/test_demo_sites.py holds it to; it cannot import that server, since the
spiders' tests use it and must not import scheduler. README.md lists every site and route.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.support import faults

ROOT = Path(__file__).resolve().parents[2]
DEMO_SITES = ROOT / "scheduler" / "demo" / "sites"  # read as files: the demo ships them
OUTLET_SITES = Path(__file__).with_name("sites")
_DATE = re.compile(r"\{\{date:(\d+):(iso|space|naive|day|rfc822)\}\}")
_XML_ENCODING = re.compile(r"""^<\?xml[^>]*encoding=["']([A-Za-z0-9_-]+)["']""")
# Pangea's old article URLs (/content/article/<id>.html) redirect to /a/<id>.html.
_OLD_PANGEA = re.compile(r"^/([a-z-]+)/content/(?:article|news)/(\d+)\.html$")
_FORMATS = {"iso": "%Y-%m-%dT%H:%M:%SZ", "space": "%Y-%m-%d %H:%M:%SZ", "naive": "%Y-%m-%dT%H:%M:%S",
            "day": "%Y-%m-%d"}


@dataclass(slots=True)
class Hit:
    at: float  # time.monotonic() when the request arrived
    method: str
    path: str
    query: str
    user_agent: str
    conditional: bool = False  # sent If-None-Match or If-Modified-Since
    status: int = 0  # what we answered (0: nothing yet)


class FixtureSite:
    """The fixture web server. `start()` returns the base URL; `stop()` shuts it down."""

    def __init__(self, roots: tuple[Path, ...] = (DEMO_SITES, OUTLET_SITES),
                 now: datetime | None = None) -> None:
        self.roots = roots
        # Whole minutes: a page rendered twice is byte-identical (stable ETags).
        self.now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._log: list[Hit] = []
        self.in_flight = 0
        self.max_in_flight = 0  # most requests being answered at once, over all paths
        self.stopping = threading.Event()
        self.base_url = ""
        # path -> (status, headers): answered instead of the file (a 503 outage, a redirect).
        self.answers: dict[str, tuple[int, dict[str, str]]] = {}

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> str:
        if self._server is not None:
            return self.base_url
        handler = type("Handler", (_Handler,), {"site": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # the port is the server's pick
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FixtureSite:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- what the crawler did ----------------------------------------------------------
    def record(self, hit: Hit) -> None:
        with self._lock:
            self._log.append(hit)

    @property
    def log(self) -> list[Hit]:
        with self._lock:
            return list(self._log)

    def hits(self, path: str) -> int:
        """How many requests reached this path (query ignored)."""
        with self._lock:
            return sum(1 for h in self._log if h.path == path)

    def hit_counts(self) -> Counter[str]:
        with self._lock:
            return Counter(h.path for h in self._log)

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()
            self.max_in_flight = self.in_flight

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    # -- content -----------------------------------------------------------------------
    def render(self, text: str) -> str:
        def date(m: re.Match[str]) -> str:
            when = self.now - timedelta(days=int(m[1]))
            return format_datetime(when, usegmt=True) if m[2] == "rfc822" else when.strftime(_FORMATS[m[2]])

        return _DATE.sub(date, text.replace("{{base}}", self.base_url))

    def file_for(self, path: str, query: dict[str, list[str]]) -> tuple[Path, Path, bool] | None:
        """(root, file, gzip it?) for a URL path: as written, or + .html, .xml, /index.html;
        `?p=N`/`?page=N` is `<path>_pN.html`; `.xml.gz` is the `.xml` gzipped."""
        rel = unquote(path).strip("/")
        gz = rel.endswith(".gz")
        rel = rel.removesuffix(".gz")
        page = (query.get("p") or query.get("page") or ["0"])[0]
        names = [f"{rel}_p{int(page)}.html"] if page.isdigit() and int(page) > 0 else []
        names += [rel, f"{rel}.html", f"{rel}.xml", f"{rel}/index.html"]
        for root in self.roots:
            for name in names:
                file = (root / name).resolve()
                if root.resolve() in file.parents and file.is_file():
                    return root, file, gz
        return None

    def content(self, path: str, query: dict[str, list[str]] | None = None) -> tuple[bytes, str] | None:
        """The bytes and Content-Type this server sends for a path (None: 404).

        Usable without a running server (tests extract from exactly what is served).
        """
        found = self.file_for(path, query or {})
        if found is None:
            return None
        root, file, gz = found
        site_json = root / file.relative_to(root.resolve()).parts[0] / "site.json"
        options: dict[str, Any] = (json.loads(site_json.read_text(encoding="utf-8"))
                                   if site_json.is_file() else {})
        text = self.render(file.read_text(encoding="utf-8"))
        xml = _XML_ENCODING.match(text)
        if file.suffix == ".html":
            encoding = options.get("html_encoding", "utf-8")
        else:
            encoding = xml[1] if xml else "utf-8"
        body = text.encode(encoding)
        if gz:
            return gzip.compress(body, mtime=0), "application/x-gzip"
        charset = f"; charset={encoding}" if options.get("declare_charset", True) else ""
        kind = {".html": f"text/html{charset}", ".txt": "text/plain; charset=utf-8"}.get(file.suffix)
        if kind is None:
            feed = "/api/" in str(file) or "/rss/" in str(file)
            kind = f"application/{'rss+xml' if feed else 'xml'}{charset}"
        return body, kind


class _Handler(BaseHTTPRequestHandler):
    site: FixtureSite
    hit: Hit
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    disable_nagle_algorithm = True  # else each response waits ~40 ms for a delayed ACK
    server_version = "fixturesite/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the hit log is the record; stderr noise helps nobody

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def send_response(self, code: int, message: str | None = None) -> None:
        self.hit.status = code
        super().send_response(code, message)

    def do_GET(self, head: bool = False) -> None:
        parts = urlsplit(self.path)
        conditional = bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))
        # Recorded on arrival: a stalled or streaming answer may never finish.
        self.hit = Hit(time.monotonic(), self.command, parts.path, parts.query,
                       self.headers.get("User-Agent", ""), conditional)
        self.site.record(self.hit)
        self.site.enter()
        try:
            self.dispatch(parts.path, parse_qs(parts.query), head)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (a timeout test, a size cap): nothing to do
        finally:
            self.site.leave()

    def dispatch(self, path: str, query: dict[str, list[str]], head: bool) -> None:
        if path.startswith("/faults/"):
            faults.handle(self, path, query)
            return
        answer = self.site.answers.get(path)
        if answer is not None:
            self.send_bytes(answer[0], b"<html><body>answered by the test</body></html>", "text/html",
                            answer[1])
            return
        old = _OLD_PANGEA.match(path)
        if old:
            self.send_bytes(301, b"", "text/html", {"Location": f"/{old[1]}/a/{old[2]}.html"})
            return
        found = self.site.content(path, query)
        if found is None:
            self.send_bytes(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")
            return
        body, content_type = found
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": format_datetime(self.site.now, usegmt=True)}
        if self.headers.get("If-None-Match") == etag or (
            not self.headers.get("If-None-Match")
            and self.headers.get("If-Modified-Since") == headers["Last-Modified"]
        ):
            self.send_bytes(304, b"", None, headers)
            return
        self.send_bytes(200, b"" if head else body, content_type, headers, length=len(body))

    def send_bytes(self, status: int, body: bytes, content_type: str | None,
                   headers: dict[str, str] | None = None, length: int | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if body:
            self.wfile.write(body)
