"""What every outlet adapter shares: the parsed page, the parts it reads, selector and date helpers."""

from __future__ import annotations

import copy
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from spiders import metadata, pangea

_WS = re.compile(r"\s+")
# Chrome no outlet's body needs, dropped before any body is read.
GENERIC_DROP = "script, style, noscript, iframe, form, button, figure, figcaption, aside"


@dataclass(slots=True)
class Page:
    """An article page parsed once: the adapters and the generic path read the same tree."""

    url: str
    html: str
    root: HtmlElement
    meta: dict[str, str]
    ld: dict[str, Any]

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()

    @property
    def site_name(self) -> str:
        return self.meta.get("og:site_name", "").casefold()


@dataclass(slots=True)
class Parts:
    """What an adapter read. `paragraphs=None`: it leaves the body to trafilatura;
    `[]`: its selectors found nothing (a redesign), so the whole page goes to the fallback."""

    title: str | None = None
    paragraphs: list[str] | None = None
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)


class Adapter(ABC):
    """One outlet's layout: which hosts serve it, how to recognise it, how to read it."""

    name: ClassVar[str] = ""
    # Registrable domains; subdomains match too (hrw.org serves www.hrw.org).
    hosts: ClassVar[tuple[str, ...]] = ()
    # Bylines naming the outlet or a desk rather than a person (compared case-insensitively).
    org_names: ClassVar[tuple[str, ...]] = ()
    # Extra XPath chrome for trafilatura, for adapters that leave the body to it.
    prune: ClassVar[tuple[str, ...]] = ()

    def serves(self, host: str) -> bool:
        return any(host == h or host.endswith("." + h) for h in self.hosts)

    @abstractmethod
    def detect(self, page: Page) -> bool:
        """Markers of the layout in the page itself (for mirrors and loopback fixtures)."""

    @abstractmethod
    def extract(self, page: Page) -> Parts:
        """Title, paragraphs, date and bylines, as far as this layout tells them."""

    def people(self, names: list[str]) -> list[str]:
        """Names minus the outlet's own bylines (metadata.real_authors then keeps people)."""
        orgs = {o.casefold() for o in self.org_names}
        return [n for n in names if " ".join(n.split()).casefold() not in orgs]


# ---- selectors ------------------------------------------------------------------------


@lru_cache(maxsize=256)
def css(selector: str) -> CSSSelector:
    # Compiled once per selector: translating CSS to XPath costs more than matching.
    return CSSSelector(selector, translator="html")


def norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


def first(root: HtmlElement, *selectors: str) -> HtmlElement | None:
    for sel in selectors:
        found = css(sel)(root)
        if found:
            return found[0]
    return None


def first_text(root: HtmlElement, *selectors: str) -> str | None:
    for sel in selectors:
        for el in css(sel)(root):
            text = norm(el.text_content())
            if text:
                return text
    return None


def all_texts(root: HtmlElement, selector: str) -> list[str]:
    return [t for t in (norm(el.text_content()) for el in css(selector)(root)) if t]


def pruned(el: HtmlElement, drop: str) -> HtmlElement:
    """A copy of `el` without the chrome matched by `drop` (and the generic chrome)."""
    out = copy.deepcopy(el)
    selector = f"{GENERIC_DROP}, {drop}" if drop else GENERIC_DROP
    for node in css(selector)(out):
        if node.getparent() is not None:  # not gone already with a dropped ancestor
            node.drop_tree()  # keeps the tail text, which belongs to the body
    return out


def body_blocks(root: HtmlElement, container: str, drop: str = "") -> list[str] | None:
    """Text blocks of the first element matching `container`, walked as Pangea bodies are
    (<p> and other blocks, bare text between <br>s); None when there is no such element."""
    el = first(root, container)
    if el is None:
        return None
    return pangea.paragraphs(pruned(el, drop))


def item_blocks(root: HtmlElement, items: str, drop: str = "") -> list[str]:
    """The texts of the elements matching `items` (document order), after dropping chrome."""
    return all_texts(pruned(root, drop), items)


# ---- dates ----------------------------------------------------------------------------

iso_datetime = metadata.parse_datetime

# Month stems (first three letters, lower case): English, Russian (nominative and genitive)
# and Kazakh. No stem is shared between two months.
_MONTHS: dict[str, int] = {}
for _n, _stems in enumerate(
    (
        ("jan", "янв", "қаң"), ("feb", "фев", "ақп"), ("mar", "мар", "нау"),
        ("apr", "апр", "сәу"), ("may", "мая", "май", "мам"), ("jun", "июн", "мау"),
        ("jul", "июл", "шіл"), ("aug", "авг", "там"), ("sep", "сен", "қыр"),
        ("oct", "окт", "қаз"), ("nov", "ноя", "қар"), ("dec", "дек", "жел"),
    ),
    start=1,
):
    for _stem in _stems:
        _MONTHS[_stem] = _n

_DAY_MONTH_YEAR = re.compile(
    r"(?<!\d)(\d{1,2})\s+([^\W\d_]{3,})\.?,?\s+(\d{4})(?:\s*(?:г\.|года|ж\.|жыл[ы]?)?\s*,?\s*"
    r"(?:в\s+)?(\d{1,2}):(\d{2}))?"
)
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s*,?\s*(\d{1,2}):(\d{2}))?")


def month_number(word: str) -> int | None:
    return _MONTHS.get(word[:3].casefold())


def local_datetime(
    year: int, month: int, day: int, hour: int | None, minute: int | None, zone: str
) -> datetime | None:
    """UTC from a wall-clock time in `zone` (zoneinfo knows the historical offsets: Moscow
    was UTC+4 until October 2014, Almaty UTC+6 until March 2024). A date without a time is
    midnight UTC of that day, so the printed day survives the conversion."""
    try:
        if hour is None or minute is None:
            return datetime(year, month, day, tzinfo=UTC)
        return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    except ValueError:
        return None


def text_datetime(text: str | None, zone: str = "UTC") -> datetime | None:
    """A printed date, "24 January, 2017", "16 мая 2017, 17:45", "25 шілде 2017",
    or "16.05.2017 17:45", read as wall-clock time in `zone`."""
    if not text:
        return None
    m = _DAY_MONTH_YEAR.search(text)
    if m:
        month = month_number(m.group(2))
        if month is not None:
            hour, minute = m.group(4), m.group(5)
            return local_datetime(int(m.group(3)), month, int(m.group(1)),
                                  int(hour) if hour else None, int(minute) if minute else None, zone)
    m = _NUMERIC.search(text)
    if m:
        hour, minute = m.group(4), m.group(5)
        return local_datetime(int(m.group(3)), int(m.group(2)), int(m.group(1)),
                              int(hour) if hour else None, int(minute) if minute else None, zone)
    return None


def ld_date(page: Page) -> datetime | None:
    value = page.ld.get("datePublished")
    return iso_datetime(value) if isinstance(value, str) else None


def meta_date(page: Page) -> datetime | None:
    for key in ("article:published_time", "og:article:published_time", "datepublished"):
        found = iso_datetime(page.meta.get(key))
        if found is not None:
            return found
    return None


def ld_people(page: Page) -> list[str]:
    return metadata.ld_authors(page.ld)
