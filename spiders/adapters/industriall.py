"""IndustriALL Global Union (industriall-union.org): Drupal; the date is plain text.

The page prints "24 January, 2017" and no machine-readable date (docs/crawling.md),
so the first such text in the article area is the date; it has no time, so it is stored as
midnight UTC of that day.
"""

from __future__ import annotations

import re
from datetime import datetime

from lxml.html import HtmlElement

from spiders.adapters.base import (
    Adapter,
    Page,
    Parts,
    body_blocks,
    first,
    first_text,
    norm,
    published,
)
from spiders.dates import text_datetime

_BODY = ".field-name-body .field-item"
_DROP = ".addthis_toolbox, .share, .field-name-field-image, .caption, .image-caption, .read-more"
_REGION = ("#content", "main", "article", ".node")
# The whole text of an element, not a date inside a sentence of the body.
_PLAIN_DATE = re.compile(r"^\d{1,2} [^\W\d_]+,? \d{4}$")


class IndustriallAdapter(Adapter):
    name = "industriall"
    hosts = ("industriall-union.org",)
    org_names = ("IndustriALL", "IndustriALL Global Union", "admin")

    def detect(self, page: Page) -> bool:
        return "industriall" in page.site_name and first(page.root, _BODY) is not None

    def extract(self, page: Page) -> Parts:
        root = page.root
        return Parts(
            title=first_text(root, "h1.page-title", "h1#page-title", ".node h1", "h1"),
            paragraphs=body_blocks(root, _BODY, _DROP) or [],
            published=published(page) or _plain_date(root),
        )


def _plain_date(root: HtmlElement) -> datetime | None:
    """The first element of the article area whose own text is a date and nothing else."""
    region = first(root, *_REGION)
    for el in (region if region is not None else root).iter():
        text = norm(el.text or "")
        if 8 <= len(text) <= 30 and _PLAIN_DATE.match(text):
            found = text_datetime(text)
            if found is not None:
                return found
    return None
