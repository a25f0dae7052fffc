"""`unionwatch web`: the case workspace, server-rendered on the same database."""

from web.app import create_app
from web.settings import EntityView, ReaderView, WebSettings

__all__ = ["EntityView", "ReaderView", "WebSettings", "create_app"]
