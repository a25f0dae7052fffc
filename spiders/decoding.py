"""Fixing the text encodings Scrapy guesses wrong on Cyrillic pages.

Scrapy trusts BOM, then the Content-Type charset, then <meta>, then tries ascii/utf-8/cp1252
(docs/crawling.md, "Text encodings"). So a cp1251 or KOI8-R page with no charset becomes cp1252
mojibake, a cp1251 page labelled utf-8 becomes U+FFFD, a utf-8 Kazakh page labelled
windows-1251 becomes mojibake. Generic detectors mislabel short Cyrillic (charset-normalizer
says mac_cyrillic for cp1251). The candidates here are few, so we score each decoding by
how much it looks like Cyrillic words and keep the best one.
"""

from __future__ import annotations

import codecs
import logging
import re

from scrapy import Request
from scrapy.http import HtmlResponse, Response
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

logger = logging.getLogger(__name__)

# Single-byte Cyrillic encodings seen on Russian and Kazakh sites, most likely first (ties).
CYRILLIC_CANDIDATES = ("cp1251", "koi8_r", "kz1048", "koi8_u", "mac_cyrillic", "iso8859_5", "cp866")
_LOWER = "а-яёәғқңөұүһіїєў"
_UPPER = "А-ЯЁӘҒҚҢӨҰҮҺІЇЄЎ"
_WORD_LOWER = re.compile(f"[{_LOWER}]{{2,}}")
_CAPITALISED = re.compile(f"(?<![{_LOWER}{_UPPER}])[{_UPPER}][{_LOWER}]+")
_MIXED = re.compile(f"[{_LOWER}][{_UPPER}]")
# Latin and Cyrillic letters inside one word: accented Latin read as a Cyrillic code page.
_MIXED_SCRIPT = re.compile(f"[A-Za-z][{_LOWER}{_UPPER}]|[{_LOWER}{_UPPER}][A-Za-z]")
# Characters that real Russian/Kazakh prose almost never contains but wrong decodings do:
# box drawing, Serbian/Macedonian letters, Latin-1 letters between Cyrillic, U+FFFD, C1.
_ODD = re.compile("[\u2500-\u259f\u0402\u0403\u0409\u040a\u040c\u040b\u040f\u0452\u0453"
                  "\u0459\u045a\u045c\u045b\u045f\ufffd\u0080-\u009f\u00c0-\u00ff\u2320\u2321]")
SAMPLE_BYTES = 64 * 1024


def canonical_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def cyrillic_score(text: str) -> int:
    """Higher when the text reads as Cyrillic words: lowercase runs, capitalised words."""
    good = sum(len(m) for m in _WORD_LOWER.findall(text)) + 3 * len(_CAPITALISED.findall(text))
    bad = (4 * len(_MIXED.findall(text)) + 6 * len(_ODD.findall(text))
           + 6 * len(_MIXED_SCRIPT.findall(text)))
    return good - bad


def _mostly_cyrillic(text: str) -> bool:
    """Accented Latin decoded as cp1251 also yields Cyrillic letters, but few of them."""
    letters = [c for c in text if c.isalpha() and not c.isascii()]
    cyr = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
    return bool(letters) and cyr >= 0.8 * len(letters)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte sequence cut by the sample boundary is still UTF-8.
        return exc.start >= len(data) - 3 and exc.reason == "unexpected end of data"
    return True


def detect_encoding(body: bytes, declared: str | None) -> str | None:
    """The encoding to decode this HTML with, when it should differ from `declared`; else None.

    `declared` is what Scrapy used (header, then meta; None if it inferred).
    """
    if body.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None  # a BOM is authoritative and Scrapy already honours it
    sample = body[:SAMPLE_BYTES]
    if sample.isascii():
        return None
    declared = canonical_codec(declared)
    if _is_utf8(sample):
        # Non-ASCII text that is valid UTF-8 is UTF-8 whatever the label says: the chance
        # that cp1251/KOI8 prose forms valid UTF-8 sequences throughout is negligible.
        return None if declared == "utf-8" else "utf-8"
    candidates = [declared] if declared and declared not in ("utf-8", "ascii") else []
    candidates += [c for c in CYRILLIC_CANDIDATES if c not in candidates]
    scored = []
    for pos, name in enumerate(candidates):
        text = sample.decode(name, errors="replace")
        # The declared one wins ties: a label is evidence too.
        scored.append((cyrillic_score(text), -pos, name))
    best_score, _, best = max(scored)
    if best_score <= 0 or not _mostly_cyrillic(sample.decode(best, errors="replace")):
        return None  # not Cyrillic prose: leave it to the label or Scrapy's inference
    return None if best == declared else best


def declared_encoding(headers_content_type: bytes | None, body: bytes) -> str | None:
    """What the response claims: the Content-Type charset, else <meta charset>."""
    if headers_content_type:
        enc = http_content_type_encoding(headers_content_type.decode("latin-1"))
        if enc:
            return enc
    return html_body_declared_encoding(body)


class EncodingFixMiddleware:
    """Downloader middleware (order 585: after decompression at 590, before meta-refresh at
    580, which reads the text) that re-decodes HTML responses with the detected encoding."""

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, HtmlResponse):
            return response
        body = response.body
        declared = declared_encoding(response.headers.get(b"Content-Type"), body)
        better = detect_encoding(body, declared)
        if better is None:
            return response
        logger.info("re-decoding %s as %s (declared %s)", response.url, better, declared)
        return response.replace(encoding=better)
