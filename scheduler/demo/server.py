"""The demo's web server: its five sites on 127.0.0.1, at a port the server picks itself.

    with DemoServer() as server:
        feed = f"{server.base_url}/azattyq/api/zivqrkrvil"

Site files may hold two placeholders, filled in when served: `{{base}}` (this server's base
URL) and `{{date:N:FORMAT}}` (N days before the server started; FORMAT is iso, space,
naive, day or rfc822), so that "recent" articles stay recent. A URL path finds its file
as written, or with .html, .xml or /index.html added; `?p=N` (or `?page=N`) finds
`<path>_pN.html`; `.xml.gz` is the `.xml` file gzipped. A site's `site.json` may set
`html_encoding` and `declare_charset: false` (a site that names no charset).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

SITES = Path(__file__).with_name("sites")
_DATE = re.compile(r"\{\{date:(\d+):(iso|space|naive|day|rfc822)\}\}")
_XML_ENCODING = re.compile(r"""^<\?xml[^>]*encoding=["']([A-Za-z0-9_-]+)["']""")
DATE_FORMATS = {"iso": "%Y-%m-%dT%H:%M:%SZ", "space": "%Y-%m-%d %H:%M:%SZ",  # space: Pangea's JSON-LD
                "naive": "%Y-%m-%dT%H:%M:%S", "day": "%Y-%m-%d"}


def format_date(when: datetime, fmt: str) -> str:
    return format_datetime(when, usegmt=True) if fmt == "rfc822" else when.strftime(DATE_FORMATS[fmt])


def find_file(roots: list[Path], path: str, query: dict[str, list[str]]) -> tuple[Path, bool] | None:
    """The file under one of the roots that a URL path names, and whether to gzip it."""
    rel = unquote(path).strip("/")  # a trailing slash is the same page
    gz = rel.endswith(".gz")
    rel = rel.removesuffix(".gz")
    page = (query.get("p") or query.get("page") or ["0"])[0]
    names = [f"{rel}_p{int(page)}.html"] if page.isdigit() and int(page) > 0 else []
    names += [rel, f"{rel}.html", f"{rel}.xml", f"{rel}/index.html"]
    for root in roots:
        top = root.resolve()
        for name in names:
            candidate = (root / name).resolve()
            if top in candidate.parents and candidate.is_file():
                return candidate, gz
    return None


class SiteFiles:
    """What the server sends for a URL path: the rendered file and its Content-Type."""

    def __init__(self, roots: list[Path], now: datetime | None = None) -> None:
        self.roots = roots
        # Whole minutes: a page rendered twice is byte-identical (stable ETags).
        self.now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
        self.base_url = ""

    def render(self, text: str) -> str:
        text = text.replace("{{base}}", self.base_url)
        return _DATE.sub(lambda m: format_date(self.now - timedelta(days=int(m[1])), m[2]), text)

    def options(self, file: Path) -> dict[str, Any]:
        for root in self.roots:
            if root.resolve() in file.parents:
                site = file.relative_to(root.resolve()).parts[0]
                found = root / site / "site.json"
                if found.is_file():
                    data: dict[str, Any] = json.loads(found.read_text(encoding="utf-8"))
                    return data
        return {}

    def content(self, path: str, query: dict[str, list[str]] | None = None) -> tuple[bytes, str] | None:
        """The bytes and Content-Type sent for a path (None: 404); needs no running server."""
        found = find_file(self.roots, path, query or {})
        if found is None:
            return None
        file, gz = found
        options = self.options(file)
        text = self.render(file.read_text(encoding="utf-8"))
        if file.suffix == ".html":
            encoding = options.get("html_encoding", "utf-8")
        else:
            declared = _XML_ENCODING.match(text)
            encoding = declared[1] if declared else "utf-8"
        body = text.encode(encoding)
        if gz:
            return gzip.compress(body, mtime=0), "application/x-gzip"
        charset = f"; charset={encoding}" if options.get("declare_charset", True) else ""
        if file.suffix == ".html":
            return body, f"text/html{charset}"
        if file.suffix == ".txt":
            return body, "text/plain; charset=utf-8"
        if "/api/" in str(file) or "/rss/" in str(file):
            return body, f"application/rss+xml{charset}"
        return body, f"application/xml{charset}"

    def validators(self, body: bytes) -> dict[str, str]:
        """ETag and Last-Modified of a body, for conditional GET."""
        return {"ETag": '"' + hashlib.sha1(body).hexdigest()[:16] + '"',  # noqa: S324 - not security
                "Last-Modified": format_datetime(self.now, usegmt=True)}


class FileHandler(BaseHTTPRequestHandler):
    """Serves `files`; answers a matching conditional GET with 304."""

    files: SiteFiles
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    # Headers and body go out in separate writes; with Nagle on, each response waits
    # for the client's delayed ACK (~40 ms on Linux).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:
        parts = urlsplit(self.path)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client went away
            self.serve_file(parts.path, parse_qs(parts.query), head)

    def serve_file(self, path: str, query: dict[str, list[str]], head: bool) -> None:
        found = self.files.content(path, query)
        if found is None:
            self.send_bytes(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")
            return
        body, content_type = found
        headers = self.files.validators(body)
        if self.headers.get("If-None-Match") == headers["ETag"] or (
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


class DemoServer:
    """A threaded HTTP server on 127.0.0.1; `start()` returns its base URL."""

    handler: type[FileHandler] = FileHandler

    def __init__(self, roots: list[Path] | None = None, now: datetime | None = None,
                 port: int = 0) -> None:
        self.files = SiteFiles(roots or [SITES], now)
        self.port = port  # 0: the kernel picks a free one when the server binds
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return self.files.base_url

    def handler_class(self) -> type[FileHandler]:
        return type("Handler", (self.handler,), {"files": self.files})

    def start(self) -> str:
        if self._server is None:
            self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler_class())
            self._server.daemon_threads = True
            self.files.base_url = f"http://127.0.0.1:{self._server.server_port}"
            self._thread = threading.Thread(target=self._server.serve_forever,
                                            kwargs={"poll_interval": 0.05}, daemon=True)
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DemoServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
