"""Article extraction: the outlet's adapter where the layout is known, trafilatura elsewhere."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

from spiders import adapters, metadata
from spiders.adapters import pangea
from spiders.dates import first_datetime
from spiders.language import detect_language

# Control characters break lxml ("All strings must be XML compatible") and mean nothing.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_WS = re.compile(r"[ \t\r\f\v\xa0]+")


# Photo captions and credits read as body text to trafilatura; they are chrome to us.
_PRUNE = ["//figure", "//figcaption", '//*[contains(@class, "caption")]']


class ExtractionError(ValueError):
    """The page has no article we can read (no title or no body)."""


@dataclass(slots=True)
class Extracted:
    title: str
    body: str
    published_at: datetime | None
    author: str | None
    language: str | None
    method: str  # an adapter's name, "<adapter>+trafilatura" or "trafilatura"
    dated: bool = False  # the page's own markup dates it (not trafilatura's guess from a footer)


def parse_html(html: str) -> HtmlElement:
    """Parse once, tolerant of NUL bytes, XML declarations and broken markup."""
    text = _CONTROL.sub("", html)
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"unparseable HTML: {exc}") from exc
    return root


def _meta_date(meta: dict[str, str]) -> str | None:
    for key in (
        "article:published_time",
        "og:article:published_time",
        "datepublished",
        "pubdate",
        "publishdate",
        "date",
        "dc.date",
        "dcterms.created",
        "sailthru.date",
    ):
        if meta.get(key):
            return meta[key]
    return None


def _meta_authors(meta: dict[str, str]) -> list[str]:
    names = [meta.get("author"), meta.get("article:author"), meta.get("dc.creator")]
    return [n for n in names if n and "://" not in n]


def extract_article(html: str, url: str = "", fallback_language: str | None = None) -> Extracted:
    """Title, UTC publication time, real authors, body text and language of an article page.

    The outlet's adapter reads what it knows (spiders.adapters: chosen by host, then by
    markers in the page); trafilatura reads the body when there is no adapter, when the
    adapter leaves the body to it, or when the adapter's selectors find none. Whatever the
    adapter did not find comes from JSON-LD and meta tags. Raises ExtractionError when
    there is no title or no body.
    """
    root = parse_html(html)
    meta = metadata.meta_map(root)
    ld = metadata.json_ld_article(root)
    page = adapters.Page(url, html, root, meta, ld)
    adapter = adapters.select(page)
    parts = adapter.extract(page) if adapter is not None else adapters.Parts()
    paras = parts.paragraphs or []
    method = adapter.name if adapter is not None else "trafilatura"
    doc = None
    if not paras:
        if adapter is not None and parts.paragraphs is None:
            method = f"{adapter.name}+trafilatura"
        else:
            method = "trafilatura"
        doc = _trafilatura(html, url, adapter.prune if adapter is not None else ())
        paras = _lines(doc.text if doc is not None else "")
    ld_date = ld.get("datePublished") if isinstance(ld.get("datePublished"), str) else None
    title = (
        parts.title
        or meta.get("og:title")
        or metadata.ld_text(ld.get("headline"))
        or (doc.title if doc is not None else None)
        or pangea.title(root)
    )
    published = parts.published or first_datetime(
        ld_date, _meta_date(meta), pangea.time_datetime(root), doc.date if doc is not None else None
    )
    authors = parts.authors or metadata.ld_authors(ld) or _meta_authors(meta)
    if not authors and doc is not None and doc.author:
        authors = [doc.author]
    if adapter is not None:
        authors = adapter.people(authors)
    title = " ".join((title or "").split())
    body = "\n\n".join(paras)
    if not title:
        raise ExtractionError("no title")
    if not body:
        raise ExtractionError("no body text")
    language = detect_language(f"{title}\n{body}", fallback_language or _page_language(root))
    dated = parts.published is not None or first_datetime(
        ld_date, _meta_date(meta), pangea.time_datetime(root)) is not None
    return Extracted(
        title=title,
        body=body,
        published_at=published,
        author=metadata.real_authors(authors),
        language=language,
        method=method,
        dated=dated,
    )


def _page_language(root: HtmlElement) -> str | None:
    """kk, ru or en from <html lang>, for pages too short to tell by their letters."""
    lang = (root.get("lang") or "").split("-")[0].split("_")[0].lower()
    return lang if lang in ("kk", "ru", "en") else None


def _lines(text: str) -> list[str]:
    return [ln for ln in (_WS.sub(" ", line).strip() for line in text.splitlines()) if ln]


def _trafilatura(html: str, url: str, prune: tuple[str, ...] = ()) -> Any:
    """trafilatura's Document (title, text, author, date), or None."""
    import trafilatura

    # Precision over recall: a digest quoting a menu is worse than one missing a caption.
    return trafilatura.bare_extraction(
        html,
        url=url or None,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        favor_precision=True,
        deduplicate=False,
        prune_xpath=[*_PRUNE, *prune],
    )
