"""Amnesty International (amnesty.org, /en/ and /ru/): WordPress, body `.entry-content > p`.

Yoast-style metadata: `article:published_time` with an offset and a JSON-LD graph whose
"author" is the site's WordPress user, i.e. the organisation, typed as a Person.
"""

from __future__ import annotations

from spiders.adapters.base import (
    Adapter,
    Page,
    Parts,
    first,
    first_text,
    item_blocks,
    published,
)

# Direct children only: the share bar, "take action" boxes, embedded related articles and
# image captions are divs and figures inside .entry-content, never its own <p>s.
_ITEMS = (
    ".entry-content > p, .entry-content > h2, .entry-content > h3, "
    ".entry-content > ul > li, .entry-content > ol > li, .entry-content > blockquote > p"
)


class AmnestyAdapter(Adapter):
    name = "amnesty"
    hosts = ("amnesty.org",)  # national sections (amnesty.nl, …) have their own layouts
    org_names = ("Amnesty International", "Amnesty", "Международная амнистия", "Amnesty Editorial")

    def detect(self, page: Page) -> bool:
        return page.site_name.startswith("amnesty international") and (
            first(page.root, ".entry-content") is not None
        )

    def extract(self, page: Page) -> Parts:
        root = page.root
        time_el = first(root, ".article-meta time[datetime]", "article time[datetime]")
        return Parts(
            title=first_text(root, "h1.article-title", "article h1", "main h1"),
            paragraphs=item_blocks(root, _ITEMS),
            published=published(page, time_el.get("datetime") if time_el is not None else None),
        )
