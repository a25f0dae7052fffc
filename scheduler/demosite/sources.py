"""The demo sources, in config.yaml's source shape, for `unionwatch demo` and the tests."""

from __future__ import annotations

from typing import Any

# Pangea article URLs: /a/<id>.html, optionally /a/<slug>/<id>.html.
PANGEA_ARTICLE = r"/a/(?:[^/]+/)?\d+\.html"


def demo_sources(base_url: str) -> list[dict[str, Any]]:
    """Six sources over five fixture sites: feeds, sitemaps and a paginated listing.

    `rus-azattyq` (feed) and `rus-azattyq-sitemap` link one article under two URL
    variants (utm parameters, trailing slash): it must be stored once.
    """
    b = base_url.rstrip("/")
    return [
        {"id": "azattyq", "type": "feed", "urls": [f"{b}/azattyq/api/zivqrkrvil"],
         "language": "kk", "link_pattern": PANGEA_ARTICLE},
        {"id": "rus-azattyq", "type": "feed", "urls": [f"{b}/rus-azattyq/api/zrqiteuuir"],
         "language": "ru", "link_pattern": PANGEA_ARTICLE},
        {"id": "rus-azattyq-sitemap", "type": "sitemap", "urls": [f"{b}/rus-azattyq/sitemap.xml"],
         "language": "ru", "link_pattern": PANGEA_ARTICLE},
        {"id": "rferl", "type": "listing", "urls": [f"{b}/rferl/z/5567"], "language": "en",
         "link_pattern": PANGEA_ARTICLE, "link_selector": ".media-block__content > a",
         "next_selector": "a.link-showMore", "depth": 2},
        {"id": "rightswatch", "type": "feed", "urls": [f"{b}/rightswatch/rss/news"],
         "language": "en", "link_pattern": r"/rightswatch/news/"},
        {"id": "vestnik", "type": "sitemap", "urls": [f"{b}/vestnik/sitemap.xml"],
         "language": "ru", "link_pattern": r"/vestnik/doc/\d+"},
    ]


# What a full crawl of demo_sources() stores: one row per article, whatever the route.
DEMO_ARTICLE_PATHS = (
    "/azattyq/a/28491234.html",
    "/azattyq/a/28652001.html",
    "/azattyq/a/33100001.html",
    "/rus-azattyq/a/28503666.html",
    "/rus-azattyq/a/29700843.html",
    "/rus-azattyq/a/33100002.html",
    "/rferl/a/28490992.html",
    "/rferl/a/29220970.html",
    "/rferl/a/33100004.html",
    "/rightswatch/news/2017/05/17/kazakhstan-trade-union-leader-jailed",
    "/rightswatch/news/2018/06/06/trade-union-leaders-freed-kazakhstan",
    "/rightswatch/news/latest/uzbekistan-cotton-harvest-monitoring",
    "/vestnik/doc/7715101",
    "/vestnik/doc/7715102",
)
