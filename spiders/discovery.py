"""Feeds a page advertises: `<link rel="alternate" type="application/rss+xml" href=…>`.

Pangea zone feeds have obfuscated, regenerated tokens and WordPress and Drupal sections
advertise their own feeds, so a listing page is the most reliable place to learn a
section's current feed (docs/crawling.md, "Finding feeds").
"""

from __future__ import annotations

from scrapy.http import TextResponse

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})
MAX_FEEDS_PER_PAGE = 3
# rel may hold several tokens, in any case ("alternate", "Alternate home").
_ALTERNATE = (
    '//link[contains(concat(" ", normalize-space(translate(@rel, "ALTERNATE", "alternate")), " "),'
    ' " alternate ")][@href]'
)


def advertised_feeds(response: TextResponse) -> list[str]:
    """Absolute URLs of the RSS/Atom feeds in the page's <head> links, in page order.

    Comment feeds (WordPress' "Comments Feed", per-post comment feeds) are skipped: their
    entries are comments, not articles. At most MAX_FEEDS_PER_PAGE are returned.
    """
    found: list[str] = []
    for link in response.xpath(_ALTERNATE):
        kind = (link.attrib.get("type") or "").split(";")[0].strip().lower()
        if kind not in FEED_TYPES:
            continue
        href = (link.attrib.get("href") or "").strip()
        label = f"{link.attrib.get('title') or ''} {href}".lower()
        if not href or "comment" in label or "коммент" in label:
            continue
        url = response.urljoin(href)
        if url.startswith(("http://", "https://")) and url not in found:
            found.append(url)
    return found[:MAX_FEEDS_PER_PAGE]
