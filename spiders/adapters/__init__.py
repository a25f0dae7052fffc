"""Per-outlet extraction adapters, chosen by host or by page markers; trafilatura for the rest.

Dispatch (`select`):
1. **By host.** The article URL's host, or a parent domain of it, is one an adapter lists
   (www.hrw.org → hrw, rus.azattyq.org → pangea). This is what production crawls use.
2. **By markers.** Otherwise the first adapter whose `detect` recognises the page: Pangea's
   `#article-content div.wsw`; og:site_name plus the CMS container for HRW, Amnesty,
   IndustriALL, Eurasianet and KIBHR; `li.has-title h1` + `js-mediator-article` for Vlast;
   a "… msk" `p.time` for Fergana. This serves the fixture copies on 127.0.0.1/<outlet>/…,
   Pangea's CloudFront mirrors and preview hosts. The markers are specific on purpose: an
   HRW-like Drupal page of another site (the demo's `rightswatch`) stays with trafilatura.
3. Neither: trafilatura (spiders/extract.py).
A host match whose selectors find no body (the outlet changed its templates) is read by
trafilatura too, rather than failing: `Parts.paragraphs == []`.

What each adapter rests on (seen on real pages, read in scrapers, or guessed) and where its
fixture pages are: docs/crawling.md.
"""

from __future__ import annotations

from spiders.adapters.amnesty import AmnestyAdapter
from spiders.adapters.base import Adapter, NotAnArticle, Page, Parts
from spiders.adapters.eurasianet import EurasianetAdapter
from spiders.adapters.fergana import FerganaAdapter
from spiders.adapters.hrw import HrwAdapter
from spiders.adapters.industriall import IndustriallAdapter
from spiders.adapters.kibhr import KibhrAdapter
from spiders.adapters.pangea import PangeaAdapter
from spiders.adapters.vlast import VlastAdapter

# Marker order matters only where two layouts could both match; Pangea's body container
# is the most specific, so it goes first.
ADAPTERS: tuple[Adapter, ...] = (
    PangeaAdapter(),
    HrwAdapter(),
    AmnestyAdapter(),
    IndustriallAdapter(),
    VlastAdapter(),
    KibhrAdapter(),
    FerganaAdapter(),
    EurasianetAdapter(),
)
BY_NAME = {a.name: a for a in ADAPTERS}


def for_host(host: str) -> Adapter | None:
    host = host.lower().rstrip(".")
    return next((a for a in ADAPTERS if a.serves(host)), None)


def by_markers(page: Page) -> Adapter | None:
    return next((a for a in ADAPTERS if a.detect(page)), None)


def select(page: Page) -> Adapter | None:
    """The adapter for this page: by host first, then by markers; None means trafilatura."""
    return for_host(page.host) or by_markers(page)


__all__ = [
    "ADAPTERS", "BY_NAME", "Adapter", "NotAnArticle", "Page", "Parts", "by_markers", "for_host", "select",
]
