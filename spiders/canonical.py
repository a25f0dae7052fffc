"""The URL a page declares its own (<link rel=canonical>, og:url), when it is on the same site."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

# Host labels that name another rendering of one site, not another site.
_RENDERINGS = ("www.", "m.", "mobile.", "amp.")


def site(host: str) -> str:
    """The host without the labels of the site's renderings: m.azattyq.org -> azattyq.org."""
    host = host.lower().rstrip(".")
    stripped = True
    while stripped:
        stripped = False
        for label in _RENDERINGS:
            if host.startswith(label) and host.count(".") > 1:
                host, stripped = host[len(label):], True
    return host


def declared(root: HtmlElement, meta: dict[str, str], page_url: str) -> str | None:
    """The canonical URL the page declares, resolved against its own URL; None when it
    declares none, another site's (a syndicated copy is the other site's article, and a
    hostile page must not claim it), or a page above it: the home page or the section, which
    some CMSs name on every page."""
    candidates = [el.get("href") or "" for el in root.iter("link")
                  if "canonical" in (el.get("rel") or "").lower().split()]
    candidates.append(meta.get("og:url", ""))
    page = urlsplit(page_url)
    for raw in candidates:
        raw = str(raw).strip()
        if not raw:
            continue
        try:
            url = urljoin(page_url, raw)
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError:
            continue
        if parts.scheme not in ("http", "https") or not host:
            continue
        if site(host) != site(page.hostname or "") or parts.port != page.port:
            continue
        if _above(parts.path, page.path):
            continue
        return str(url).split("#", 1)[0]
    return None


def _above(path: str, page_path: str) -> bool:
    """Whether `path` is the page's folder or one above it: /news/ for /news/2017/item."""
    folder = path.rstrip("/") + "/"
    return page_path.startswith(folder) and page_path.rstrip("/") != path.rstrip("/")
