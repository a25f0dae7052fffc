"""Article metadata from any page: JSON-LD, meta tags, <time>; dates to UTC; real authors only."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from lxml.html import HtmlElement

_ISO = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ]+(\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?))?\s*"
    r"(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
_ARTICLE_TYPES = ("Article", "BlogPosting", "Report", "LiveBlogPosting")


def parse_datetime(value: str | None) -> datetime | None:
    """An aware UTC datetime from the forms news pages use, or None.

    Handles Pangea's space instead of 'T' ("2017-05-16 10:11:12Z"), entity-encoded offsets
    ("&#x2B;00:00"), offsets without a colon, RFC 822 dates of feeds. A time without an
    offset is taken as UTC: the sites we read publish UTC there, and guessing a local zone
    would be worse.
    """
    if not value:
        return None
    text = html.unescape(value).strip()
    m = _ISO.match(text)
    if m:
        day, clock, zone = m.groups()
        iso = day + "T" + _clock(clock)
        if zone:
            zone = zone.upper()
            if zone in ("Z", "UTC", "GMT"):
                zone = "+00:00"
            elif ":" not in zone:
                zone = zone[:3] + ":" + (zone[3:] or "00")
            iso += zone
        try:
            dt = datetime.fromisoformat(iso)
        except ValueError:
            return None
    else:
        try:
            dt = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _clock(clock: str | None) -> str:
    """HH:MM:SS.ffffff from H:MM, HH:MM:SS or HH:MM:SS,fff (fromisoformat is strict about it)."""
    if not clock:
        return "00:00:00"
    hours, rest = clock.replace(",", ".").split(":", 1)
    if rest.count(":") == 0:
        rest += ":00"
    if "." in rest:
        whole, frac = rest.split(".", 1)
        rest = f"{whole}.{frac[:6].ljust(6, '0')}"
    return f"{hours.zfill(2)}:{rest}"


def meta_map(root: HtmlElement) -> dict[str, str]:
    """<meta> content by lower-cased property/name/itemprop, attribute order irrelevant.

    Pangea writes content before property; a parser, unlike a regex, does not care.
    The first occurrence wins.
    """
    out: dict[str, str] = {}
    for el in root.iter("meta"):
        content = el.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop"):
            key = el.get(attr)
            if key:
                out.setdefault(key.strip().lower(), content.strip())
    return out


def _flatten(obj: Any) -> list[dict[str, Any]]:
    if isinstance(obj, list):
        return [d for item in obj for d in _flatten(item)]
    if isinstance(obj, dict):
        found = [obj]
        if "@graph" in obj:
            found += _flatten(obj["@graph"])
        return found
    return []


def _types(obj: dict[str, Any]) -> list[str]:
    t = obj.get("@type", [])
    return [t] if isinstance(t, str) else [x for x in t if isinstance(x, str)]


def json_ld_article(root: HtmlElement) -> dict[str, Any]:
    """The first JSON-LD object typed as an article (NewsArticle and kin), or {}."""
    for script in root.xpath('//script[@type="application/ld+json"]'):
        text = (script.text or "").strip()
        if not text:
            continue
        try:
            data = json.loads(text, strict=False)
        except ValueError:
            continue
        for obj in _flatten(data):
            if any(t.endswith(_ARTICLE_TYPES) for t in _types(obj)):
                return obj
    return {}


def ld_text(value: Any) -> str | None:
    """A JSON-LD string, HTML-unescaped (Pangea leaves `&amp;` inside the JSON)."""
    if isinstance(value, str):
        text = html.unescape(value).strip()
        return text or None
    return None


# Bylines that name an outlet, a service or an agency rather than a person.
_NOT_A_PERSON = re.compile(
    r"(?i)(\bservice\b|\bservices\b|\bstaff\b|\bdesk\b|\bnewsroom\b|\beditor(s|ial)?\b"
    r"|\bagenc(y|ies)\b|\bpress\b|\bnews\b|\bradio\b|\btv\b|\breuters\b|\bafp\b|\binterfax\b"
    r"|\btass\b|rfe/rl|\bvoa\b|\bbbc\b|\bcurrent time\b|\bazattyq\b|\bkazinform\b|\bbureau\b"
    r"|редакци|служб|радио|азаттық|азаттык|қызмет|агентств|пресс|тасс|интерфакс|новост"
    r"|жаңалық|настоящее время|қазақпарат)"
)
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’.-]*(?:[-'’][^\W\d_]+)*\.?$")


def is_person_name(name: str) -> bool:
    """Heuristic: 2-5 capitalised words, no digits, no outlet or agency words."""
    name = " ".join(name.split())
    if not name or len(name) > 80 or _NOT_A_PERSON.search(name):
        return False
    words = name.split(" ")
    if not 2 <= len(words) <= 5:
        return False
    return all(_NAME_WORD.match(w) and w[0].isupper() for w in words)


def ld_authors(article: dict[str, Any]) -> list[str]:
    """Person names from JSON-LD `author`; Organizations and pseudo-authors dropped."""
    raw = article.get("author")
    items = raw if isinstance(raw, list) else [raw]
    names: list[str] = []
    for item in items:
        if isinstance(item, str):
            name = ld_text(item)
        elif isinstance(item, dict) and "Organization" not in "".join(_types(item)):
            name = ld_text(item.get("name"))
        else:
            name = None
        if name:
            names.append(name)
    return names


def real_authors(names: list[str]) -> str | None:
    """Join the names that look like people (deduplicated, in order), or None."""
    seen: list[str] = []
    for name in names:
        for part in re.split(r"\s*(?:,|;|\band\b|\bи\b|\bжәне\b)\s*", name):
            part = " ".join(part.split())
            if is_person_name(part) and part not in seen:
                seen.append(part)
    return ", ".join(seen) or None
