"""What every outlet adapter shares: the parsed page, the parts it reads, selector helpers."""

from __future__ import annotations

import copy
import itertools
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar
from urllib.parse import urlsplit

from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from spiders import blocks, metadata
from spiders.dates import choose_datetime

_WS = re.compile(r"\s+")
# Chrome no outlet's body needs, dropped before any body is read.
GENERIC_DROP = "script, style, noscript, iframe, form, button, figure, figcaption, aside"


@dataclass(slots=True)
class Page:
    """An article page parsed once: the adapters and the generic path read the same tree."""

    url: str
    html: str
    root: HtmlElement
    meta: dict[str, str]
    ld: dict[str, Any]
    zone: str = "UTC"  # the wall clock of times written without an offset (IANA name)
    _classes: frozenset[str] | None = None
    # What an adapter found while detecting its layout, kept for its extract (by its name).
    found: dict[str, Any] = field(default_factory=dict)

    def has_class(self, name: str) -> bool:
        """Whether any element has this class: one walk of the tree for every adapter's
        markers, cheaper than a CSS search or a scan of the text per marker."""
        if name not in self.html:  # a class the text does not spell is on no element
            return False
        if self._classes is None:
            # Every class attribute of the tree, gathered by libxml2 in one XPath walk (a
            # Python loop over the elements cost ~0.5 ms a page).
            self._classes = frozenset(" ".join(self.root.xpath("//@class")).split())
        return name in self._classes

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()

    @property
    def site_name(self) -> str:
        return self.meta.get("og:site_name", "").casefold()


class NotAnArticle(ValueError):
    """The layout says this page is no article (a Pangea video page, say): a `parse` error."""


@dataclass(slots=True)
class Parts:
    """What an adapter read. `paragraphs=None`: it leaves the body to trafilatura;
    `[]`: its selectors found nothing (a redesign, or not the layout at all), so the whole
    page goes to the fallback and nothing else the adapter read counts."""

    title: str | None = None
    paragraphs: list[str] | None = None
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)
    # The layout's byline when it is to be read only if JSON-LD and the meta tags credit
    # no one (Pangea's, whose metadata is complete): tried after them, before trafilatura's.
    byline: Callable[[], list[str]] | None = None


class Adapter(ABC):
    """One outlet's layout: which hosts serve it, how to recognise it, how to read it."""

    name: ClassVar[str] = ""
    # Registrable domains; subdomains match too (hrw.org serves www.hrw.org).
    hosts: ClassVar[tuple[str, ...]] = ()
    # The outlet's own names in bylines (spiders.bylines drops them, as it drops the site name).
    org_names: ClassVar[tuple[str, ...]] = ()
    # Extra XPath chrome for trafilatura, for adapters that leave the body to it.
    prune: ClassVar[tuple[str, ...]] = ()
    # Where the outlet's times without an offset are wall-clock times, unless the source says.
    zone: ClassVar[str | None] = None

    def serves(self, host: str) -> bool:
        return any(host == h or host.endswith("." + h) for h in self.hosts)

    @abstractmethod
    def detect(self, page: Page) -> bool:
        """Markers of the layout in the page itself (for mirrors and loopback fixtures)."""

    @abstractmethod
    def extract(self, page: Page) -> Parts:
        """Title, paragraphs, date and bylines, as far as this layout tells them."""


# ---- selectors ------------------------------------------------------------------------


@lru_cache(maxsize=256)
def css(selector: str) -> CSSSelector:
    # Compiled once per selector: translating CSS to XPath costs more than matching.
    return CSSSelector(selector, translator="html")


def norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


def first(root: HtmlElement, *selectors: str) -> HtmlElement | None:
    for sel in selectors:
        found = css(sel)(root)
        if found:
            return found[0]
    return None


def first_text(root: HtmlElement, *selectors: str) -> str | None:
    for sel in selectors:
        for el in css(sel)(root):
            text = norm(el.text_content())
            if text:
                return text
    return None


def all_texts(root: HtmlElement, selector: str) -> list[str]:
    return [t for t in (norm(el.text_content()) for el in css(selector)(root)) if t]


def pruned(el: HtmlElement, drop: str) -> HtmlElement:
    """A copy of `el` without the chrome matched by `drop` (and the generic chrome)."""
    out = copy.deepcopy(el)
    selector = f"{GENERIC_DROP}, {drop}" if drop else GENERIC_DROP
    for node in css(selector)(out):
        if node.getparent() is not None:  # not gone already with a dropped ancestor
            node.drop_tree()  # keeps the tail text, which belongs to the body
    return out


def body_blocks(root: HtmlElement, container: str, drop: str = "") -> list[str] | None:
    """Text blocks (spiders.blocks) of the first element matching `container`, chrome
    dropped; None when there is no such element."""
    el = first(root, container)
    if el is None:
        return None
    return blocks.paragraphs(pruned(el, drop))


def item_blocks(root: HtmlElement, items: str, drop: str = "") -> list[str]:
    """The texts of the elements matching `items` (document order), after dropping chrome."""
    return all_texts(pruned(root, drop), items)


# ---- dates ----------------------------------------------------------------------------


def published(page: Page, *first: str | None) -> datetime | None:
    """The publication time from the layout's own candidates, then the page's metadata
    (spiders.dates.choose_datetime: a value with an offset is preferred)."""
    candidates = itertools.chain(first, metadata.date_candidates(page.root, page.meta, page.ld))
    return choose_datetime(candidates, page.zone)
