"""Captures written as the capture writer writes them (warcio, SHA-256, one gzip member per
record, the response then its request), for tests that do not crawl."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter


class Sha256Writer(WARCWriter):
    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")


@dataclass(frozen=True)
class FakeCapture:
    id: int
    article_id: int | None
    url: str
    kind: str
    file: str
    offset: int
    length: int
    record_id: str
    payload_digest: str
    block_digest: str
    payload_length: int
    fetched_at: datetime
    ip: str | None
    status: int


def write_capture(evidence_dir: Path, file: str, capture_id: int, article_id: int, url: str, body: bytes,
                  fetched_at: datetime, *, ip: str = "127.0.0.1", status: int = 200,
                  kind: str = "crawl") -> FakeCapture:
    path = evidence_dir / file
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as fh:
        offset = fh.tell()
        writer = Sha256Writer(fh, gzip=True, warc_version="WARC/1.1")
        date = fetched_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        http = StatusAndHeaders(f"{status} OK", [("Content-Type", "text/html; charset=utf-8"),
                                                 ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
        resp = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                         warc_headers_dict={"WARC-Date": date, "WARC-IP-Address": ip})
        req_http = StatusAndHeaders(f"GET {url} HTTP/1.1", [("User-Agent", "unionwatch/0.1 (+https://example.org)"),
                                                         ("Accept", "text/html")], is_http_request=True)
        req = writer.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=req_http,
                                        warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To":
                                                           resp.rec_headers.get_header("WARC-Record-ID")})
        writer.write_record(resp)
        writer.write_record(req)
        end = fh.tell()
    h = resp.rec_headers
    return FakeCapture(capture_id, article_id, url, kind, file, offset, end - offset,
                       h.get_header("WARC-Record-ID"), h.get_header("WARC-Payload-Digest"),
                       h.get_header("WARC-Block-Digest"), len(body), fetched_at, ip, status)
