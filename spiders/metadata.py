"""Article metadata from any page: JSON-LD, meta tags (dates: spiders.dates; names: spiders.bylines)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
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
        for key in ("@graph", "mainEntity"):  # WebPage.mainEntity is the article on many sites
            if key in obj:
                found += _flatten(obj[key])
        return found
    return []


def _types(obj: dict[str, Any]) -> list[str]:
    t = obj.get("@type", [])
    return [t] if isinstance(t, str) else [x for x in t if isinstance(x, str)]


# Some CMSs wrap the JSON in a CDATA section or an HTML comment, as for old inline scripts.
_WRAPPER = re.compile(r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)|(?://\s*)?(?:\]\]>|-->)\s*$")


def json_ld_article(root: HtmlElement) -> dict[str, Any]:
    """The first JSON-LD object typed as an article (NewsArticle and kin), or {}."""
    for script in root.xpath('//script[@type="application/ld+json"]'):
        text = _WRAPPER.sub("", script.text or "").strip()
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


def ld_names(value: Any) -> list[str]:
    """The names in a JSON-LD `author` or `publisher`: strings, Persons, Organizations, lists."""
    if isinstance(value, list):
        return [n for item in value for n in ld_names(item)]
    if isinstance(value, dict):
        if value.get("name"):
            return ld_names(value.get("name"))
        given, family = ld_text(value.get("givenName")), ld_text(value.get("familyName"))
        return [" ".join(n for n in (given, family) if n)] if given or family else []
    name = ld_text(value)
    return [name] if name else []


# Meta tags that name an article's author, most specific first. One source each: the first
# that credits someone wins (spiders.bylines.authors).
AUTHOR_META = (
    "article:author", "og:article:author", "article:author_name", "parsely-author",
    "sailthru.author", "cxenseparse:author", "dcsext.author", "articleauthor", "author",
    "og:author", "byl",
)
# Dublin Core and Highwire list one author per tag, surname first ("You, Xiaoying").
_CITATION_META = ("dc.creator", "dcterms.creator", "citation_author")


def meta_authors(root: HtmlElement, meta: dict[str, str]) -> list[list[str]]:
    """Author sources from the meta tags, in order of trust (see AUTHOR_META)."""
    # Every value: a page may name the site in its first <meta name="author"> and the
    # reporter in the second.
    sources = [meta_values(root, key) for key in AUTHOR_META if meta.get(key)]
    for key in _CITATION_META:
        values = [v for v in meta_values(root, key) if v]
        if values:
            sources.append([_given_first(v) for v in values])
    return sources


def _given_first(name: str) -> str:
    surname, sep, given = name.partition(",")
    if sep and given.strip() and "," not in given and len(surname.split()) <= 3:
        return f"{given.strip()} {surname.strip()}"
    return name


def meta_values(root: HtmlElement, key: str) -> list[str]:
    """Every <meta> content under this (lower-case) name, in document order."""
    out = []
    for el in root.iter("meta"):
        name = el.get("name") or el.get("property") or el.get("itemprop") or ""
        content = el.get("content")
        if content is not None and name.strip().lower() == key:
            out.append(content.strip())
    return out


def outlet_names(meta: dict[str, str], article: dict[str, Any]) -> list[str]:
    """What the page calls its own outlet: og:site_name, application-name, the publisher, the
    Twitter handle."""
    names = [meta.get("og:site_name"), meta.get("application-name"), meta.get("twitter:site")]
    names += ld_names(article.get("publisher"))
    return [n.lstrip("@") for n in names if n and "://" not in n]


# Meta tags with a publication time, most trusted first (property names vary in spelling:
# `article:published:time` with a colon is BörsenZeitung's).
DATE_META = (
    "article:published_time", "article:published:time", "og:article:published_time",
    "og:published_time", "datepublished", "pubdate", "publishdate", "publish-date",
    "parsely-pub-date", "sailthru.date", "date", "dc.date", "dc.date.issued", "dcterms.issued",
    "dcterms.created",
)


def date_candidates(root: HtmlElement, meta: dict[str, str], article: dict[str, Any]) -> Iterator[str]:
    """The publication times a page states, most trusted first: JSON-LD, meta tags, then the
    <time> marked as the publication's, else the first <time datetime>. Lazily: the tree is
    searched only if JSON-LD and the meta tags gave no time with an offset."""
    value = article.get("datePublished")
    if isinstance(value, str):
        yield value
    yield from (meta[key] for key in DATE_META if meta.get(key))
    times = [el for el in root.iter("time") if el.get("datetime")]  # one walk of the tree
    marked = [el for el in times if el.get("itemprop") == "datePublished"]
    marked += [el for el in times if el.get("pubdate") is not None and el not in marked]
    yield from (str(el.get("datetime")) for el in (marked or times[:1]))
