"""A threaded HTTP server on 127.0.0.1 serving the bundled fixture sites and fault routes.

    with DemoSite() as site:
        feed = f"{site.base_url}/azattyq/api/zivqrkrvil"
        ...
        assert site.hits("/private/a/1.html") == 0

Fixture files may hold two placeholders, filled in when served: `{{base}}` (this server's
base URL) and `{{date:N:FORMAT}}` (N days before the server started; FORMAT is iso, space,
naive, day or rfc822), so "recent" articles stay recent whenever the tests run.
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

from scheduler.demosite import faults

SITES_DIR = Path(__file__).with_name("sites")
_DATE = re.compile(r"\{\{date:(\d+):(iso|space|naive|day|rfc822)\}\}")
_XML_ENCODING = re.compile(r"""^<\?xml[^>]*encoding=["']([A-Za-z0-9_-]+)["']""")
# Pangea's old article URLs redirect to /a/<id>.html (shared/notes/sources.md).
_OLD_PANGEA = re.compile(r"^/([a-z-]+)/content/(?:article|news)/(\d+)\.html$")


@dataclass(slots=True)
class Hit:
    at: float  # time.monotonic() when the request arrived
    method: str
    path: str
    query: str
    user_agent: str
    conditional: bool = False  # sent If-None-Match or If-Modified-Since
    status: int = 0  # what we answered (0: nothing yet)


def format_date(when: datetime, fmt: str) -> str:
    if fmt == "iso":
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if fmt == "space":
        return when.strftime("%Y-%m-%d %H:%M:%SZ")  # Pangea's JSON-LD form
    if fmt == "naive":
        return when.strftime("%Y-%m-%dT%H:%M:%S")
    if fmt == "day":
        return when.strftime("%Y-%m-%d")
    return format_datetime(when, usegmt=True)


class DemoSite:
    """The fixture web server. `start()` returns the base URL; `stop()` shuts it down."""

    def __init__(self, sites_dir: Path = SITES_DIR, now: datetime | None = None) -> None:
        self.sites_dir = sites_dir
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

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> str:
        if self._server is not None:
            return self.base_url
        handler = type("Handler", (_Handler,), {"site": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
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

    def __enter__(self) -> DemoSite:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
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
        text = text.replace("{{base}}", self.base_url)
        return _DATE.sub(
            lambda m: format_date(self.now - timedelta(days=int(m.group(1))), m.group(2)), text
        )

    def site_options(self, path: str) -> dict[str, Any]:
        site = path.strip("/").split("/", 1)[0]
        options = self.sites_dir / site / "site.json"
        if site and options.is_file():
            data: dict[str, Any] = json.loads(options.read_text(encoding="utf-8"))
            return data
        return {}

    def content(
        self, path: str, query: dict[str, list[str]] | None = None
    ) -> tuple[bytes, str] | None:
        """The bytes and Content-Type this server sends for a path (None: 404).

        Usable without a running server (tests extract from exactly what is served).
        """
        found = self.resolve(path, query or {})
        if found is None:
            return None
        file, gz = found
        options = self.site_options(path)
        text = self.render(file.read_text(encoding="utf-8"))
        if file.suffix == ".html":
            encoding = options.get("html_encoding", "utf-8")
        else:
            declared = _XML_ENCODING.match(text)
            encoding = declared.group(1) if declared else "utf-8"
        body = text.encode(encoding)
        if gz:
            body = gzip.compress(body, mtime=0)
        return body, _content_type(file, gz, options, encoding)

    def resolve(self, path: str, query: dict[str, list[str]]) -> tuple[Path, bool] | None:
        """The fixture file for a URL path, and whether to gzip it (for `.xml.gz`)."""
        rel = unquote(path).lstrip("/")
        if rel.endswith("/") and rel != "":
            rel = rel.rstrip("/")  # URL variants: a trailing slash is the same page
        gz = rel.endswith(".gz")
        if gz:
            rel = rel[:-3]
        page = (query.get("p") or query.get("page") or ["0"])[0]
        names = []
        if page.isdigit() and int(page) > 0:
            names.append(f"{rel}_p{int(page)}.html")
        names += [rel, f"{rel}.html", f"{rel}.xml", f"{rel}/index.html"]
        root = self.sites_dir.resolve()
        for name in names:
            candidate = (self.sites_dir / name).resolve()
            if root in candidate.parents and candidate.is_file():
                return candidate, gz
        return None


def _content_type(file: Path, gz: bool, options: dict[str, Any], encoding: str) -> str:
    if gz:
        return "application/x-gzip"
    declare = options.get("declare_charset", True)
    charset = f"; charset={encoding}" if declare else ""
    if file.suffix == ".html":
        return f"text/html{charset}"
    if file.suffix == ".txt":
        return "text/plain; charset=utf-8"
    if "/api/" in str(file) or "/rss/" in str(file):
        return f"application/rss+xml{charset}"
    return f"application/xml{charset}"


class _Handler(BaseHTTPRequestHandler):
    site: DemoSite
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    # Headers and body go out in separate writes; with Nagle on, each response waits
    # for the client's delayed ACK (~40 ms on Linux).
    disable_nagle_algorithm = True
    server_version = "demosite/1.0"

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
            self.dispatch(parts.path, parts.query, head)
        finally:
            self.site.leave()

    def dispatch(self, path: str, raw_query: str, head: bool) -> None:
        query = parse_qs(raw_query)
        try:
            if path.startswith("/faults/"):
                faults.handle(self, path, query)
                return
            old = _OLD_PANGEA.match(path)
            if old:
                self.send_bytes(301, b"", "text/html", {"Location": f"/{old[1]}/a/{old[2]}.html"})
                return
            self.serve_file(path, query, head)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (a timeout test, a size cap): nothing to do

    def serve_file(self, path: str, query: dict[str, list[str]], head: bool) -> None:
        found = self.site.content(path, query)
        if found is None:
            self.send_bytes(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")
            return
        body, content_type = found
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'  # noqa: S324 - not security
        last_modified = format_datetime(self.site.now, usegmt=True)
        headers = {"ETag": etag, "Last-Modified": last_modified}
        if self.headers.get("If-None-Match") == etag or (
            not self.headers.get("If-None-Match")
            and self.headers.get("If-Modified-Since") == last_modified
        ):
            self.send_bytes(304, b"", None, headers)
            return
        self.send_bytes(200, b"" if head else body, content_type, headers, length=len(body))

    def send_bytes(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if body:
            self.wfile.write(body)
