"""Kazakhstan International Bureau for Human Rights (bureau.kz): WordPress.

The site is known to run WordPress, but not which theme, so this adapter reads the markup
every WordPress theme keeps (`h1.entry-title`, `time.entry-date[datetime]`,
`.entry-content`) and drops what WordPress plugins add inside the content (Jetpack share
and related posts, AddToAny, caption boxes).
"""

from __future__ import annotations

from spiders.adapters.base import (
    Adapter,
    Page,
    Parts,
    all_texts,
    body_blocks,
    first,
    first_text,
    published,
)

_DROP = (
    ".sharedaddy, .jp-relatedposts, .addtoany_share_save_container, .a2a_kit, .wp-caption-text, "
    ".wp-caption, .wp-block-buttons, .post-views, .yarpp-related"
)


class KibhrAdapter(Adapter):
    name = "kibhr"
    hosts = ("bureau.kz",)
    org_names = (
        "admin", "Бюро", "КМБПЧиСЗ", "KIBHR", "Редакция",
        "Казахстанское международное бюро по правам человека и соблюдению законности",
    )

    def detect(self, page: Page) -> bool:
        name = page.site_name
        return ("бюро по правам человека" in name or "bureau for human rights" in name) and (
            first(page.root, ".entry-content") is not None
        )

    def extract(self, page: Page) -> Parts:
        root = page.root
        time_el = first(root, "time.entry-date.published[datetime]", "time.entry-date[datetime]")
        return Parts(
            title=first_text(root, "h1.entry-title", "article h1"),
            paragraphs=body_blocks(root, ".entry-content", _DROP) or [],
            published=published(page, time_el.get("datetime") if time_el is not None else None),
            authors=all_texts(root, ".entry-meta .author a, .byline .author a"),
        )
