"""Human Rights Watch (hrw.org, English and /ru/): Drupal, `.article-body`, offsets like -0400.

News releases carry no personal byline, only the organisation (sometimes as a JSON-LD
"Person"); dispatches name their author in the byline, followed by the author's job title.
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

# Inside `.article-body`: image captions and credits, inline "related" boxes, donation and
# newsletter prompts, the share bar some templates repeat at the end.
_DROP = (
    ".image-caption, .article-figure, .caption, .credit, .related-content, .inline-related, "
    ".donate-block, .newsletter-block, .share-links, .tag-block"
)


class HrwAdapter(Adapter):
    name = "hrw"
    hosts = ("hrw.org",)
    org_names = ("Human Rights Watch", "Хьюман Райтс Вотч", "HRW")

    def detect(self, page: Page) -> bool:
        return page.site_name == "human rights watch" and first(page.root, ".article-body") is not None

    def extract(self, page: Page) -> Parts:
        root = page.root
        time_el = first(root, ".news-header__dateline time[datetime]", "article time[datetime]")
        return Parts(
            title=first_text(root, "h1.chapter-title", "h1.news-header__title", "article h1"),
            paragraphs=body_blocks(root, ".article-body", _DROP) or [],
            published=published(page, time_el.get("datetime") if time_el is not None else None),
            # The byline link holds the name; the job title next to it is not a name.
            authors=all_texts(root, ".byline__name"),
        )
