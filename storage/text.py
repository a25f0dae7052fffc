"""Text as unionwatch keeps and sends it: no NUL, no control characters, no lone surrogates.

Every string scraped from the web passes `clean_text` (bodies) or `clean_line` (titles,
authors, guids, header values) once, where it enters; the notifier applies the same rules
on the way out. PostgreSQL refuses NUL in text, UTF-8 cannot encode a lone surrogate, and
control characters in a mail header or a Telegram message are at best noise.
"""

from __future__ import annotations

import re
from typing import Any

# C0 and C1 controls but tab, newline and carriage return; noncharacters U+FFFE/U+FFFF.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_NEWLINES = re.compile("\r\n?")
_WHITESPACE = re.compile(r"\s+")
# Anything clean_text would change: one search, no copy, for the text that is already clean.
_DIRTY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff\r]")
REPLACEMENT = "\ufffd"


def clean_text(value: str) -> str:
    """Text with line breaks kept (as \\n): controls dropped, lone surrogates replaced by U+FFFD."""
    if (value.isascii() and value.isprintable()) or _DIRTY.search(value) is None:
        return value  # the common case: nothing to drop, replace or normalise
    value = _CONTROLS.sub("", value)
    value = _SURROGATES.sub(REPLACEMENT, value)
    return _NEWLINES.sub("\n", value)


def clean_line(value: str) -> str:
    """One line of text (a title, a name, a header value): cleaned, white space folded, trimmed."""
    return _WHITESPACE.sub(" ", clean_text(value)).strip()


def clean_tree(value: Any) -> Any:
    """Every string in a JSON-like tree (dicts, lists, strings, numbers) cleaned with clean_text."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k) if isinstance(k, str) else k: clean_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_tree(v) for v in value]
    return value


def fit(value: str, limit: int) -> str:
    """At most `limit` characters, cut on a character boundary (for bounded columns)."""
    return value if len(value) <= limit else value[:limit]
