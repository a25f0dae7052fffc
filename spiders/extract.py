"""Article extraction: the outlet's adapter where the layout is known, trafilatura elsewhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

from spiders import adapters, bylines, canonical, metadata
from spiders.adapters import pangea
from spiders.dates import choose_datetime, parse_datetime
from spiders.language import detect_language

# Control characters break lxml ("All strings must be XML compatible") and mean nothing.
# Deleted from the UTF-8 bytes with bytes.translate: a regex over the text cost ~2 ms a page.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_NONCHARACTERS = ("\ufffe", "\uffff")
# huge_tree: past 255 levels of nesting libxml2 otherwise drops the text, names and all.
# collect_ids off: nothing looks elements up by id (CSS #id compiles to an XPath test).
_PARSER = lxml.html.HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True, collect_ids=False
)
_WS = re.compile(r"[ \t\r\f\v\xa0]+")


# Photo captions and credits read as body text to trafilatura; they are chrome to us. Only
# inside <body>, and never an element holding the text: "caption" also occurs in classes of
# <body> ("wp-featherlight-captions") and of article containers, and pruning those empties
# the page.
# One expression, so the tree is walked once.
PRUNE = (
    '//body//*[self::figure or self::figcaption or contains(@class, "caption")]'
    "[not(self::body or self::main or self::article)][count(.//p) < 3]",
)
# Fewer characters of text than this, besides the title, is not a sentence, so no article:
# trafilatura's precision mode read a Pangea video page as "Uživo" and the title.
MIN_BODY_CHARS = 25


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
    canonical: str | None = None  # the URL the page declares its own, on the same site


def parse_html(html: str) -> HtmlElement:
    """Parse once, tolerant of NUL bytes, XML declarations and broken markup."""
    for ch in _NONCHARACTERS:
        if ch in html:
            html = html.replace(ch, "")
    data = html.encode("utf-8").translate(None, _CONTROL_BYTES)
    try:
        root = lxml.html.document_fromstring(data, parser=_PARSER)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"unparseable HTML: {exc}") from exc
    return root


def extract_article(
    html: str, url: str = "", fallback_language: str | None = None, zone: str | None = None
) -> Extracted:
    """Title, UTC publication time, authors, body text and language of an article page.

    The outlet's adapter reads what it knows (spiders.adapters: chosen by host, then by
    markers in the page); trafilatura reads the body when there is no adapter, when the
    adapter leaves the body to it, or when the adapter's selectors find none (then nothing
    else the adapter read counts either: its layout is not this page's). Whatever the adapter
    did not find comes from JSON-LD and meta tags, and last from trafilatura's metadata.
    `zone` is the source's time zone (IANA) for times written without an offset. Raises
    ExtractionError when there is no title, or no body worth the name.
    """
    root = parse_html(html)
    meta = metadata.meta_map(root)
    ld = metadata.json_ld_article(root)
    page = adapters.Page(url, html, root, meta, ld, zone or "UTC")
    adapter = adapters.select(page)
    if adapter is not None and zone is None and adapter.zone:
        page.zone = adapter.zone
    try:
        parts = adapter.extract(page) if adapter is not None else adapters.Parts()
    except adapters.NotAnArticle as exc:
        raise ExtractionError(str(exc)) from None
    method = adapter.name if adapter is not None else "trafilatura"
    paras = parts.paragraphs or []
    if not paras:
        if adapter is not None and parts.paragraphs is None:
            method = f"{adapter.name}+trafilatura"
        else:
            method, parts = "trafilatura", adapters.Parts()
        paras = _lines(_trafilatura_text(root, url, adapter.prune if adapter is not None else ()))
    late = _LateMetadata(root, url)
    title = (
        parts.title
        or meta.get("og:title")
        or metadata.ld_text(ld.get("headline"))
        or late.get("title")
        or pangea.title(root)
    )
    title = " ".join((title or "").split())
    body = "\n\n".join(paras)
    if not title:
        raise ExtractionError("no title")
    if not body:
        raise ExtractionError("no body text")
    content = len("".join(p for p in paras if p != title))
    if content < MIN_BODY_CHARS:
        raise ExtractionError(f"body too short to be an article ({content} characters)")
    # The page's own markup dates it (trafilatura's late guess does not count: it reads "© 2024"
    # in an error page's footer); the soft-error check needs to know which it was.
    own_date = parts.published or choose_datetime(
        metadata.date_candidates(root, meta, ld), page.zone
    )
    published = own_date or parse_datetime(late.get("date"), page.zone)
    outlet = bylines.Outlet.of(
        url, *metadata.outlet_names(meta, ld), *(adapter.org_names if adapter is not None else ())
    )
    names = bylines.authors(_author_sources(parts, page, late), outlet)
    language = detect_language(f"{title}\n{body}", fallback_language or _page_language(root))
    dated = own_date is not None
    return Extracted(
        title=title,
        body=body,
        published_at=published,
        author=", ".join(names) or None,
        language=language,
        method=method,
        dated=dated,
        canonical=canonical.declared(root, meta, url) if url else None,
    )


def _author_sources(parts: adapters.Parts, page: adapters.Page, late: _LateMetadata) -> Iterator[list[str]]:
    """Bylines, most trusted first; trafilatura's metadata is computed only if reached."""
    yield parts.authors
    yield metadata.ld_names(page.ld.get("author"))
    yield from metadata.meta_authors(page.root, page.meta)
    if parts.byline is not None:
        yield parts.byline()
    yield (late.get("author") or "").split(";")


def _page_language(root: HtmlElement) -> str | None:
    """kk, ru or en from <html lang>, for pages too short to tell by their letters."""
    lang = (root.get("lang") or "").split("-")[0].split("_")[0].lower()
    return lang if lang in ("kk", "ru", "en") else None


def _lines(text: str) -> list[str]:
    return [ln for ln in (_WS.sub(" ", line).strip() for line in text.splitlines()) if ln]


class _LateMetadata:
    """What trafilatura's metadata would add (title, the HTML byline, htmldate's date), each
    read only when asked for: JSON-LD and meta tags are read already, and htmldate's search
    alone costs about as much as the body extraction."""

    def __init__(self, root: HtmlElement, url: str) -> None:
        self.root, self.url = root, url

    def get(self, field: str) -> str | None:
        from trafilatura import metadata as tm

        if field == "title":
            value = tm.extract_title(self.root)
        elif field == "author":
            value = tm.extract_author(self.root)
        else:
            from htmldate import find_date
            from trafilatura.settings import set_date_params

            value = find_date(self.root, url=self.url or None, **set_date_params(True))
        return value if isinstance(value, str) and value else None


def _trafilatura_text(root: HtmlElement, url: str, prune: tuple[str, ...] = ()) -> str:
    """The body text trafilatura finds in the parsed page (it works on a copy of the tree)."""
    import trafilatura

    # trafilatura's balanced mode, tables kept: on the fundus pages, favor_precision kept as
    # few as 3 of 25 paragraphs, and favor_recall let more chrome in than plain trafilatura
    # (bench/extraction.py); the balanced mode retries short results with recall settings.
    doc = trafilatura.bare_extraction(
        root,
        url=url or None,
        with_metadata=False,
        include_comments=False,
        include_tables=True,
        include_images=False,
        deduplicate=False,
        prune_xpath=[*PRUNE, *prune],
    )
    text = getattr(doc, "text", None) if doc is not None else None
    return text if isinstance(text, str) else ""
