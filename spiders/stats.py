"""The crawler's stats collector: Scrapy's, in memory, without the cost of its deprecation shim."""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector


class PlainStatsCollector(MemoryStatsCollector):
    """MemoryStatsCollector with plain attribute access.

    Scrapy's StatsCollector.__getattribute__ runs Python code on every attribute read, its
    own methods' reads of `_stats` included (an f-string and a caught AttributeError), only
    to warn about a `spider` argument that nothing of ours passes. A crawl reads the stats
    several times per page: the shim was ~3 % of the crawl child's reactor thread on the
    bench pages (py-spy). Counting works as it does in Scrapy.
    """

    __getattribute__ = object.__getattribute__
