"""Loopback fixture web server and fixture sites, for `unionwatch demo` and the tests."""

from scheduler.demosite.server import DemoSite
from scheduler.demosite.sources import (
    DEMO_ARTICLE_PATHS,
    OUTLET_ARTICLE_PATHS,
    demo_sources,
    outlet_sources,
)

__all__ = ["DEMO_ARTICLE_PATHS", "OUTLET_ARTICLE_PATHS", "DemoSite", "demo_sources", "outlet_sources"]
