"""Canonical article URLs: the key that makes an article unique whatever link led to it."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Parameters that say how a reader arrived, never which article it is.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "yclid", "msclkid", "mc_cid", "mc_eid",
        "_ga", "_gl", "igshid", "ref", "ref_src", "cmpid", "ncid", "sr_share", "at_medium",
        "at_campaign", "utm",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "at_", "hsa_", "oly_")


# A crawl asks for the same URL's key several times (the link, the known-URL check, the row,
# its claim, its capture); a small cache makes the later asks free.
@lru_cache(maxsize=4096)
def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop default port, fragment, tracking params, trailing slash.

    http and https are one article: the key uses https.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "http":
        scheme = "https"
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path or "/"
    while "//" in path:
        path = path.replace("//", "/")
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query = untracked(parts.query)
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def untracked(query: str) -> list[tuple[str, str]]:
    """A query string's parameters, in order, without the tracking ones."""
    return [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]


@lru_cache(maxsize=4096)
def url_key(url: str) -> str:
    return hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()
