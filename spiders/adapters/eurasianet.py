"""Eurasianet (eurasianet.org): metadata from JSON-LD and og tags, the body from trafilatura.

Its article markup is not documented anywhere we could check (the Zotero translator of 2016
predates the current site), while its JSON-LD and og tags are complete (docs/crawling.md).
So this adapter reads title, date and authors from the metadata and lets trafilatura read
the body, pruning the chrome it would otherwise keep (newsletter box, share bar, related
stories); the fixture test checks that no chrome reaches the body.
"""

from __future__ import annotations

from spiders import metadata
from spiders.adapters.base import Adapter, Page, Parts, published

_SUFFIXES = (" | Eurasianet", " | Eurasianet.org", " - Eurasianet")


class EurasianetAdapter(Adapter):
    name = "eurasianet"
    hosts = ("eurasianet.org",)
    org_names = ("Eurasianet", "Eurasianet.org", "EurasiaNet", "Eurasianet staff")
    prune = (
        '//*[contains(@class, "newsletter")]',
        '//*[contains(@class, "share")]',
        '//*[contains(@class, "related")]',
        '//*[contains(@class, "author-bio")]',
        '//*[contains(@class, "tags")]',
    )

    def detect(self, page: Page) -> bool:
        return page.site_name.startswith("eurasianet") and bool(page.ld)

    def extract(self, page: Page) -> Parts:
        title = metadata.ld_text(page.ld.get("headline")) or page.meta.get("og:title")
        for suffix in _SUFFIXES:
            if title and title.endswith(suffix):
                title = title[: -len(suffix)]
        return Parts(
            title=title,
            paragraphs=None,  # trafilatura, with self.prune
            published=published(page),
        )
