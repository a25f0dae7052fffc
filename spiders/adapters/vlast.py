"""Vlast.kz (Russian and Kazakh, /kz/): selectors seen in public scrapers of the site.

Title `li.has-title h1`; date in `ul.meta.item-expand-meta li time`, printed in Almaty
local time when the element has no `datetime` attribute; body `<p>`s of
`div.default-item-in.js-editor … js-mediator-article`.
"""

from __future__ import annotations

from spiders.adapters.base import (
    Adapter,
    Page,
    Parts,
    all_texts,
    first,
    first_text,
    item_blocks,
    norm,
    published,
)
from spiders.dates import text_datetime

_BODY = "div.default-item-in.js-mediator-article"
_DROP = (
    f"{_BODY} .read-also, {_BODY} .adv, {_BODY} .photo-caption, {_BODY} .social, "
    f"{_BODY} .subscribe, {_BODY} .tags"
)
_TIME = "ul.meta.item-expand-meta li time"
ZONE = "Asia/Almaty"


class VlastAdapter(Adapter):
    name = "vlast"
    hosts = ("vlast.kz",)
    org_names = ("Vlast.kz", "Власть", "Редакция Vlast.kz", "Vlast")
    zone = ZONE

    def detect(self, page: Page) -> bool:
        if not page.has_class("js-mediator-article"):  # cheap before the tree is searched
            return False
        return first(page.root, "li.has-title h1") is not None and first(page.root, _BODY) is not None

    def extract(self, page: Page) -> Parts:
        root = page.root
        time_el = first(root, _TIME)
        when = None
        if time_el is not None:
            when = published(page, time_el.get("datetime")) if time_el.get("datetime") else None
            when = when or text_datetime(norm(time_el.text_content()), ZONE)
        return Parts(
            title=first_text(root, "li.has-title h1"),
            paragraphs=item_blocks(root, f"{_BODY} p, {_BODY} h2, {_BODY} h3", _DROP),
            published=when or published(page),
            authors=all_texts(root, "ul.meta.item-expand-meta li.author a"),
        )
