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

What each adapter rests on (shared/notes/sources.md; "confirmed" = seen on a real or
archived page by someone, "inferred" = not checked):
- pangea (RFE/RL, Azattyq kk/ru): confirmed from a real VOA page (tests/spiders/data) and
  several scrapers; trafilatura returned menus and button labels on this layout.
- hrw: `.article-body`, the dateline `<time datetime="…-0400">`, `.byline__name` (the
  byline class is inferred). The org "Human Rights Watch" is never an author.
- amnesty: `.entry-content > p` (confirmed in a scraper); Yoast metadata (inferred).
- industriall: Drupal 7 body field (inferred); the plain-text date "24 January, 2017"
  (confirmed), stored as midnight UTC of that day.
- vlast: title, time and body selectors seen in public scrapers; the author item and the
  date text format are inferred (read as Asia/Almaty wall-clock time).
- kibhr: WordPress (notes), theme unknown: the WordPress-wide classes only.
- fergana: the 2018 "dd.mm.yyyy hh:mm msk" stamp (confirmed, Moscow time → UTC); the
  article page's body container is inferred; the current fergana.agency layout is unknown
  and falls back to trafilatura by the rule above.
- eurasianet: justified fallback for the body. Its markup is unknown and the notes say to
  use og/JSON-LD, so the adapter reads only title, date and authors from the metadata and
  trafilatura reads the body with the newsletter/share/related chrome pruned
  (method "eurasianet+trafilatura").
Every adapter is tested on fixture pages in scheduler/demosite/sites/<outlet>/
(tests/spiders/test_outlets.py).
"""

from __future__ import annotations

from spiders.adapters.amnesty import AmnestyAdapter
from spiders.adapters.base import Adapter, Page, Parts
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


__all__ = ["ADAPTERS", "BY_NAME", "Adapter", "Page", "Parts", "by_markers", "for_host", "select"]
