"""Article metadata from any page: JSON-LD, meta tags; real authors only (dates: spiders.dates)."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from lxml.html import HtmlElement

_ARTICLE_TYPES = ("Article", "BlogPosting", "Report", "LiveBlogPosting")


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
