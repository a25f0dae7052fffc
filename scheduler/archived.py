"""The web's archived copy of an article: its newest capture in the evidence store, as text."""

from __future__ import annotations

import zlib

from scheduler.config import Config
from scheduler.evidencing import evidence_settings
from spiders.decoding import declared_encoding, detect_encoding
from storage import captures, evidence
from storage.database import Database
from web.archived import ArchivedCopy, CopyFinder


def payload_text(payload: bytes, content_encoding: str | None, content_type: str | None) -> str:
    """The page's HTML from a payload as the server sent it: content-coding undone, then decoded
    by the same rules as the crawl (header, <meta>, then what Cyrillic prose reads as)."""
    body = payload
    for coding in reversed([c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]):
        if coding in ("gzip", "x-gzip"):
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            try:
                body = zlib.decompress(body)
            except zlib.error:  # raw deflate, as some servers send it
                body = zlib.decompress(body, -zlib.MAX_WBITS)
        elif coding == "br":
            import brotli

            body = brotli.decompress(body)
        elif coding != "identity":
            raise ValueError(f"content-coding {coding!r} cannot be undone")
    declared = declared_encoding(content_type.encode("latin-1") if content_type else None, body)
    encoding = detect_encoding(body, declared) or declared or "utf-8"
    try:
        return body.decode(encoding, errors="replace")
    except LookupError:  # a label Python does not know
        return body.decode("utf-8", errors="replace")


def copy_finder(cfg: Config, db: Database) -> CopyFinder | None:
    """article id -> its newest successful capture, or None when evidence capture is off."""
    settings = evidence_settings(cfg)
    if settings is None:
        return None
    root = settings.root

    def find(article_id: int) -> ArchivedCopy | None:
        with db.read() as s:
            row = captures.latest_for_article(s, article_id)
        if row is None:
            return None
        try:
            record = evidence.read(root, row)
            html = payload_text(record.payload, record.http_header("Content-Encoding"),
                                record.http_header("Content-Type"))
        except (evidence.CaptureGone, ValueError, zlib.error):
            return None  # `status` and `evidence verify` name a capture that is gone or altered
        return ArchivedCopy(html, row.url, row.fetched_at, row.payload_digest)

    return find
