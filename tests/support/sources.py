"""The fixture sites' sources, in config.yaml's source shape, and what a crawl of them stores."""

from __future__ import annotations

from typing import Any

import yaml

from tests.support.fixture_site import ROOT

DEMO_SOURCES = ROOT / "scheduler" / "demo" / "sources.yaml"  # read as a file: the demo ships it


def demo_sources(base_url: str) -> list[dict[str, Any]]:
    """The demo's six sources (scheduler/demo/sources.yaml) on a server at base_url."""
    sources: list[dict[str, Any]] = yaml.safe_load(DEMO_SOURCES.read_text(encoding="utf-8"))
    b = base_url.rstrip("/")
    return [{**s, "urls": [u.replace("{base}", b) for u in s["urls"]]} for s in sources]


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


def outlet_sources(base_url: str) -> list[dict[str, Any]]:
    """The other outlets of the 2017 case, one source each, in the shape config.yaml uses.

    `hrw` is a listing whose country page advertises the news feed (feed discovery: the
    feed adds an article the listing lacks and a report link_pattern keeps out);
    `amnesty-ru`'s feed uses `amn:` fields without declaring the namespace.
    """
    b = base_url.rstrip("/")
    return [
        {"id": "hrw", "type": "listing", "urls": [f"{b}/hrw/europe/central-asia/kazakhstan"],
         "language": "auto", "link_pattern": r"/hrw/(?:ru/)?news/\d{4}/",
         "link_selector": "div.media-block__content > h3 > a",
         "next_selector": ".pager__item--next > a", "depth": 2},
        {"id": "amnesty-en", "type": "feed", "urls": [f"{b}/amnesty/en/feed/"], "language": "en",
         "link_pattern": r"/amnesty/en/latest/"},
        {"id": "amnesty-ru", "type": "feed", "urls": [f"{b}/amnesty/ru/feed/"], "language": "ru",
         "link_pattern": r"/amnesty/ru/latest/"},
        {"id": "industriall", "type": "feed", "urls": [f"{b}/industriall/rss.xml"], "language": "en"},
        {"id": "eurasianet", "type": "feed", "urls": [f"{b}/eurasianet/region/kazakhstan/feed"],
         "language": "en"},
        {"id": "vlast", "type": "feed", "urls": [f"{b}/vlast/feed/"], "language": "auto",
         "link_pattern": r"/vlast/(?:kz/)?[a-z-]+/\d+-[^/]+\.html$"},
        {"id": "vlast-kk", "type": "listing", "urls": [f"{b}/vlast/kz/novosti/"], "language": "kk",
         "link_selector": "a.item-title", "link_pattern": r"/vlast/kz/novosti/\d+-[^/]+\.html$"},
        {"id": "bureau", "type": "feed", "urls": [f"{b}/bureau/feed/"], "language": "ru",
         "link_pattern": r"/bureau/publ-all/"},
        {"id": "fergana", "type": "listing", "urls": [f"{b}/fergana/kazakhstan"], "language": "ru",
         "link_selector": "div.article h4 a", "link_pattern": r"/fergana/news/\d+$"},
    ]


# What a full crawl of outlet_sources() stores, whatever the route (listing, discovered feed).
OUTLET_ARTICLE_PATHS = (
    "/hrw/news/2017/05/16/kazakhstan-union-leader-sentenced-after-plea-deal",
    "/hrw/ru/news/2017/05/17/302145",
    "/hrw/news/2018/05/22/kazakhstan-union-leader-released-on-parole",
    "/hrw/news/2019/11/04/tajikistan-lawyers-face-reprisals",
    "/amnesty/en/latest/news/2017/04/kazakhstan-union-leader-jailed-after-unfair-trial/",
    "/amnesty/en/latest/news/2019/03/uzbekistan-cotton-harvest-monitoring-must-continue/",
    "/amnesty/ru/latest/news/2017/07/kazakhstan-larisa-kharkova-sentenced/",
    "/industriall/kazakhstan-oil-union-leaders-detained-after-hunger-strike",
    "/industriall/kazakh-union-leader-larisa-kharkova-convicted",
    "/industriall/mining-unions-demand-safety-action-after-colliery-explosion",
    "/eurasianet/kazakhstan-union-leader-gets-two-years-after-plea-bargain",
    "/eurasianet/kazakhstan-union-chief-kharkova-given-restricted-freedom",
    "/vlast/novosti/24101-sud-prigovoril-profsojuznogo-lidera-amina-eleusinova.html",
    "/vlast/kz/novosti/24186-kukyk-korgaushylar-harkovaga-arasha-tusti.html",
    "/bureau/publ-all/sobstvennaya_informaciya/chleny_zakrytoi_konfederacii_zayavili_o_presledovanii/",
    "/bureau/publ-all/sobstvennaya_informaciya/zayavlenie_v_svyazi_s_prigovorom_kushakbaevu/",
    "/bureau/publ-all/sobstvennaya_informaciya/doklad-o-mirnyh-sobraniyah/",
    "/fergana/news/26391",
    "/fergana/news/26902",
)
