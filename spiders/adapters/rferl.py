"""RFE/RL, Radio Azattyq (kk, ru) and their Pangea CMS siblings: the selectors of spiders.pangea."""

from __future__ import annotations

from spiders import pangea
from spiders.adapters.base import Adapter, Page, Parts, iso_datetime, ld_date, ld_people, meta_date


class PangeaAdapter(Adapter):
    name = "pangea"
    hosts = (
        "rferl.org", "azattyq.org", "radioazattyq.org", "voanews.com", "currenttime.tv",
        "svoboda.org", "rfe.pangea-cms.com",
        # Official CloudFront mirrors (shared/notes/sources.md; "verify before use").
        "d1sugjw44vshqd.cloudfront.net", "d3h442fwe0so5h.cloudfront.net",
        "dbscbnspz9ye.cloudfront.net", "d1len9mmddvt3u.cloudfront.net",
        "dw3quz74bsnlp.cloudfront.net",
    )
    # Pseudo-authors such as "RFE/RL's Kazakh Service" and "Азаттық радиосы" are caught by
    # metadata.is_person_name's outlet words; nothing outlet-specific is needed here.

    def detect(self, page: Page) -> bool:
        return pangea.body_element(page.root) is not None

    def extract(self, page: Page) -> Parts:
        body = pangea.body_element(page.root)
        return Parts(
            title=pangea.title(page.root),
            paragraphs=pangea.paragraphs(body) if body is not None else [],
            published=ld_date(page) or iso_datetime(pangea.time_datetime(page.root)) or meta_date(page),
            authors=ld_people(page) or _meta_authors(page) or pangea.byline(page.root),
        )


def _meta_authors(page: Page) -> list[str]:
    name = page.meta.get("author")
    return [name] if name and "://" not in name else []
