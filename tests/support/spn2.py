"""A Save Page Now 2 stand-in on loopback, speaking SPN2's JSON replies.

    with Spn2StandIn(access="k", secret="s") as spn2:
        spn2.save_replies.append(Reply.too_many_requests(retry_after=0))  # the next POST /save
        spn2.pending_polls = 2  # each job answers "pending" twice, then "success"
        ... api_base = spn2.base_url

POST /save (form: url=...) with "Authorization: LOW <access>:<secret>" answers
{"url": ..., "job_id": "spn2-<40 hex>"}, or the next scripted reply from `save_replies`.
GET /save/status/<job_id> answers {"status": "pending", ...} `pending_polls` times, then
{"status": "success", "timestamp": ..., "original_url": ...}, or the job's scripted final
reply (`job_outcomes[url]`: e.g. Reply.error("error:too-many-daily-captures")). A wrong key
is answered 401 with SPN2's {"message": "You need to be logged in to use Save Page Now."}.
Every request is logged (`saves`: the URLs posted, `polls`: the job ids polled).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def too_many_requests(cls, retry_after: int | None = None) -> Reply:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        return cls(429, {"message": "Too Many Requests"}, headers)

    @classmethod
    def error(cls, status_ext: str, message: str = "", http: int = 200) -> Reply:
        return cls(http, {"status": "error", "status_ext": status_ext, "message": message or status_ext})


class Spn2StandIn:
    def __init__(self, access: str = "access", secret: str = "secret") -> None:
        self.auth = f"LOW {access}:{secret}"
        self.save_replies: list[Reply] = []
        self.job_outcomes: dict[str, Reply] = {}  # original URL -> the job's final status reply
        self.pending_polls = 1
        self.saves: list[str] = []
        self.polls: Counter[str] = Counter()
        self.jobs: dict[str, str] = {}  # job id -> URL
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.base_url = ""

    def start(self) -> str:
        handler = type("Handler", (_Handler,), {"spn2": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Spn2StandIn:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @staticmethod
    def timestamp_of(url: str) -> str:
        """The capture timestamp the stand-in gives a URL (stable, so tests can expect it)."""
        return "2026" + str(int(hashlib.sha1(url.encode()).hexdigest()[:8], 16) % 10**10).zfill(10)


class _Handler(BaseHTTPRequestHandler):
    spn2: Spn2StandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def reply(self, r: Reply) -> None:
        body = json.dumps(r.body).encode()
        self.send_response(r.status)
        self.send_header("Content-Type", "application/json")
        for k, v in r.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def authorised(self) -> bool:
        if self.headers.get("Authorization") == self.spn2.auth:
            return True
        self.reply(Reply(401, {"message": "You need to be logged in to use Save Page Now."}))
        return False

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        if self.path.rstrip("/") != "/save" or not self.authorised():
            if self.path.rstrip("/") != "/save":
                self.reply(Reply(404, {"message": "not found"}))
            return
        url = (form.get("url") or [""])[0]
        s = self.spn2
        with s.lock:
            s.saves.append(url)
            scripted = s.save_replies.pop(0) if s.save_replies else None
            if scripted is None:
                job_id = "spn2-" + hashlib.sha1(f"{url}{len(s.saves)}".encode()).hexdigest()
                s.jobs[job_id] = url
        if scripted is not None:
            self.reply(scripted)
            return
        self.reply(Reply(200, {"url": url, "job_id": job_id}))

    def do_GET(self) -> None:
        prefix = "/save/status/"
        if not self.path.startswith(prefix):
            self.reply(Reply(404, {"message": "not found"}))
            return
        if not self.authorised():
            return
        job_id = self.path[len(prefix):]
        s = self.spn2
        with s.lock:
            url = s.jobs.get(job_id)
            s.polls[job_id] += 1
            n = s.polls[job_id]
            outcome = s.job_outcomes.get(url or "")
        if url is None:
            self.reply(Reply.error("error:not-found", f"job {job_id} not found"))
        elif n <= s.pending_polls:
            self.reply(Reply(200, {"status": "pending", "job_id": job_id, "resources": []}))
        elif outcome is not None:
            self.reply(Reply(outcome.status, {**outcome.body, "job_id": job_id}, outcome.headers))
        else:
            self.reply(Reply(200, {"status": "success", "job_id": job_id, "original_url": url,
                                   "timestamp": s.timestamp_of(url), "duration_sec": 1.2,
                                   "resources": [url]}))
