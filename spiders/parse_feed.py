"""RSS/Atom from bytes Scrapy fetched: safe against XML entity tricks, honest about damage.

feedparser is only ever handed a file-like object: given a str it may fetch a URL itself,
and given a path-like string it opens the file (feedparser api._open_resource).
"""

from __future__ import annotations

import codecs
import io
import re
import xml.sax
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import feedparser

from spiders.dates import from_struct_time
from spiders.decoding import canonical_codec, detect_encoding

_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>", re.DOTALL)
_DECL_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(\[.*?\]\s*)?>", re.DOTALL | re.IGNORECASE)
_ROOT = re.compile(rb"<(rss|feed|rdf:RDF|RDF)[\s>]", re.IGNORECASE)
_ROOT_TAG = re.compile(rb"<(?:rss|feed|rdf:RDF|RDF)(?=[\s>/])", re.IGNORECASE)
_PREFIXED_TAG = re.compile(rb"</?([A-Za-z_][\w.-]*):[A-Za-z_]")
_DECLARED = re.compile(rb"""xmlns:([A-Za-z_][\w.-]*)\s*=""")
_CHARREF = re.compile(rb"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
_REPLACEMENT_REF = b"&#xFFFD;"


class FeedError(ValueError):
    """The body is not a usable feed; `kind` is the error kind recorded for the URL."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    def __reduce__(self) -> tuple[type[FeedError], tuple[str, str]]:
        # Raised in an extraction worker, it reaches the crawl child pickled.
        return type(self), (self.kind, str(self))


@dataclass(slots=True)
class FeedEntry:
    url: str
    guid: str | None = None
    title: str | None = None
    published: datetime | None = None


@dataclass(slots=True)
class FeedResult:
    entries: list[FeedEntry] = field(default_factory=list)
    problem: str | None = None  # set when the feed was damaged but entries were recovered


def _decode(body: bytes, header_charset: str | None) -> str:
    """Decode by BOM, XML declaration, then header; re-detect when the label is wrong
    (a feed declaring utf-8 but written in cp1251)."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return body.decode(name, errors="replace").lstrip("\ufeff")
    decl = _XML_DECL.match(body)
    m = _DECL_ENCODING.search(decl.group(0)) if decl else None
    label = canonical_codec(m.group(1).decode("ascii") if m else None)
    label = label or canonical_codec(header_charset) or "utf-8"
    better = detect_encoding(body, label)
    return body.decode(better or label, errors="replace")


def check_xml_safety(body: bytes) -> None:
    """Refuse any feed declaring entities (billion laughs, XXE to files or local URLs)."""
    if b"<!ENTITY" in body or b"<!entity" in body:
        raise FeedError("xml_entities", "feed declares XML entities (DTD); refused")


def _xml_char(code: int) -> bool:
    """Whether XML 1.0 allows this character (tab, LF, CR, and the rest but surrogates)."""
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or (
        0x10000 <= code <= 0x10FFFF)


def replace_invalid_charrefs(data: bytes) -> bytes:
    """Turn character references XML forbids (`&#xD800;`, `&#0;`, `&#x110000;`) into U+FFFD.

    The strict parser refuses the whole feed for one of them, and feedparser's loose
    fallback then raises on it (chr() of a surrogate cannot be encoded), so one bad guid
    would cost every entry of the feed.
    """
    def fix(m: re.Match[bytes]) -> bytes:
        digits = (m[1] or m[2]).lstrip(b"0") or b"0"
        code = int(digits, 16 if m[1] else 10) if len(digits) <= 8 else -1  # no huge int()
        return m[0] if _xml_char(code) else _REPLACEMENT_REF

    return _CHARREF.sub(fix, data) if b"&#" in data else data


def declare_unbound_prefixes(data: bytes) -> bytes:
    """Declare on the root element any namespace prefix the feed uses but never declares.

    Publishers add their own fields (Amnesty's `amn:countries`, `amn:topics`…); an
    undeclared prefix makes the XML ill-formed, and every run would then report the feed
    as damaged although its items are fine. Declared, the fields are simply unknown
    elements, which feedparser ignores.
    """
    used = set(_PREFIXED_TAG.findall(data)) - {b"xml", b"xmlns"}
    missing = sorted(used - set(_DECLARED.findall(data)))
    if not missing:
        return data
    root = _ROOT_TAG.search(data)
    if root is None:
        return data
    decls = b"".join(b' xmlns:%s="urn:unionwatch:undeclared:%s"' % (p, p) for p in missing)
    return data[: root.end()] + decls + data[root.end():]


def parse_feed(body: bytes, url: str, header_charset: str | None = None) -> FeedResult:
    stripped = body.strip()
    if not stripped.startswith((b"<", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Pangea answers a stale feed token with HTTP 200 and the 11 bytes "Invalid url".
        preview = stripped[:40].decode("utf-8", errors="replace")
        raise FeedError("invalid_feed", f"not a feed (body starts {preview!r})")
    check_xml_safety(body)
    head = body[:2048]
    if not _ROOT.search(body[:65536]) and b"<html" in head.lower():
        raise FeedError("invalid_feed", "an HTML page, not a feed")
    text = _decode(body, header_charset)
    # An external DTD is never needed to read a feed; drop the declaration so no parser
    # is ever tempted to fetch it.
    data = _DOCTYPE.sub(b"", text.encode("utf-8"), count=1)
    data = _XML_DECL.sub(b'<?xml version="1.0" encoding="utf-8"?>', data, count=1)
    data = replace_invalid_charrefs(declare_unbound_prefixes(data))
    try:
        parsed = feedparser.parse(
            io.BytesIO(data),
            response_headers={"content-type": "application/xml; charset=utf-8"},
            resolve_relative_uris=False,
            sanitize_html=False,
        )
    except Exception as crash:  # feedparser's loose parser has more ways to fail than it wraps
        raise FeedError("feed_parse", f"feed could not be parsed: {type(crash).__name__}: {crash}") from crash
    result = FeedResult()
    skipped: list[str] = []
    for entry in parsed.entries:
        link = entry.get("link") or ""
        guid = entry.get("id") or None
        try:
            if not link and guid and urlsplit(guid).scheme in ("http", "https"):
                link = guid
            absolute = urljoin(url, link.strip()) if link else ""
        except ValueError as bad:  # "Invalid IPv6 URL": this entry only
            skipped.append(f"{(link or guid or '')[:200]!r}: {bad}")
            continue
        if not link:
            continue
        result.entries.append(
            FeedEntry(
                url=absolute,
                guid=guid,
                title=entry.get("title"),
                published=from_struct_time(entry.get("published_parsed") or entry.get("updated_parsed")),
            )
        )
    exc = parsed.get("bozo_exception")
    if parsed.get("bozo") and isinstance(exc, xml.sax.SAXException):
        # Truncated or malformed XML: feedparser's loose parser recovers what it can.
        result.problem = f"malformed feed: {exc}"
        if not result.entries:
            raise FeedError("feed_parse", result.problem)
    elif not parsed.get("version") and not result.entries and not skipped:
        raise FeedError("invalid_feed", "no RSS or Atom structure found")
    if skipped:
        unreadable = f"{len(skipped)} entries with an unusable link skipped: {'; '.join(skipped[:3])}"
        result.problem = f"{result.problem}; {unreadable}" if result.problem else unreadable
    return result
