"""Fergana news agency (fergananews.com in 2017-2018; now fergana.agency): times are Moscow time.

The 2018 pages print "17.03.2018 01:05 msk" in `p.time` (confirmed on an archived homepage);
the article page is read with the same classes: `h1`, `p.time`, the text in `div.text`.
The current site's markup is unknown: on it the selectors find no body, and extraction
falls back to trafilatura (spiders/extract.py).
"""

from __future__ import annotations

import re
from datetime import datetime

from spiders.adapters.base import (
    Adapter,
    Page,
    Parts,
    all_texts,
    body_blocks,
    first,
    first_text,
    norm,
    published,
)
from spiders.dates import local_datetime

_MSK = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(\d{1,2}):(\d{2})\s*(?:msk|мск)\b", re.I)
_DROP = ".share, .social, .photo, .photo-caption, .related, .banner, .subscribe"


def moscow_time(text: str | None) -> datetime | None:
    """UTC from "17.03.2018 01:05 msk" (Moscow: UTC+3 now, UTC+4 from 2011 to October 2014)."""
    m = _MSK.search(text or "")
    if not m:
        return None
    day, month, year, hour, minute = (int(g) for g in m.groups())
    return local_datetime(year, month, day, hour, minute, "Europe/Moscow")


class FerganaAdapter(Adapter):
    name = "fergana"
    hosts = ("fergananews.com", "fergana.agency", "fergana.media", "fergana.ru", "ferghana.ru")
    org_names = ("Фергана", "Fergana", "ИА Фергана", "Fergana News Agency")
    zone = "Europe/Moscow"

    def detect(self, page: Page) -> bool:
        if not page.has_class("time"):  # cheap before the tree is searched
            return False
        stamped = any(_MSK.search(text) for text in all_texts(page.root, "p.time"))
        return stamped and first(page.root, "td#content div.text, div.article div.text") is not None

    def extract(self, page: Page) -> Parts:
        root = page.root
        stamp = first(root, "td#content p.time", "p.time")
        return Parts(
            title=first_text(root, "td#content h1", "div.article h1", "h1"),
            paragraphs=body_blocks(root, "td#content div.text", _DROP)
            or body_blocks(root, "div.article div.text", _DROP) or [],
            published=moscow_time(norm(stamp.text_content()) if stamp is not None else None)
            or published(page),
        )
