"""An archived copy of an article page, made safe to show: nh3 keeps text and structure only.

No script, no style, no form, no frame, and nothing that loads: images, media and every other
element that would fetch from the original site are dropped, and links keep only http(s) targets
(followed by a click, never by the page itself). The answer's own CSP forbids the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import nh3

# nh3's defaults less what would load something (img, area/map); a, for links, stays.
TAGS = set(nh3.ALLOWED_TAGS) - {"img", "area", "map"}
DROP_WITH_CONTENT = {
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "video",
    "audio",
    "picture",
    "canvas",
    "form",
    "head",
    "title",
}
ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "hreflang"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'none'; media-src 'none'; font-src 'none'; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'; sandbox allow-popups "
    "allow-popups-to-escape-sandbox"
)


@dataclass(frozen=True)
class ArchivedCopy:
    """What the evidence store kept of a page: its HTML as text, where and when it was fetched."""

    html: str
    url: str
    fetched_at: datetime | None
    digest: str = ""  # the record's payload digest, to cite


# article id -> its newest archived copy (None: nothing kept); wired by the scheduler.
CopyFinder = Callable[[int], ArchivedCopy | None]


def _only_web_links(tag: str, attr: str, value: str) -> str | None:
    if attr == "href":
        return value if value.strip().lower().startswith(("http://", "https://")) else None
    return value


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags=DROP_WITH_CONTENT,
        attributes=ATTRIBUTES,
        attribute_filter=_only_web_links,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
