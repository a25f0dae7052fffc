"""Article links as we request them: no fragment, no tracking parameters."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from storage.urls import TRACKING_PARAMS, TRACKING_PREFIXES


def clean_link(url: str) -> str:
    """Drop the fragment and the parameters that only say how a reader arrived.

    Unlike storage.urls.canonical_url this keeps scheme, host, path and parameter order as
    the site wrote them: it is the URL we fetch, not a dedup key.
    """
    parts = urlsplit(url.strip())
    if not parts.query and not parts.fragment:
        return url.strip()
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
