"""Article links as we request them: no fragment, no tracking parameters."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from storage.urls import untracked


def clean_link(url: str) -> str:
    """Drop the fragment and the parameters that only say how a reader arrived.

    Unlike storage.urls.canonical_url this keeps scheme, host, path and parameter order as
    the site wrote them: it is the URL we fetch, not a dedup key.
    """
    parts = urlsplit(url.strip())
    if not parts.query and not parts.fragment:
        return url.strip()
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(untracked(parts.query)), ""))
