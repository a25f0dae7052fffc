"""Scrapy settings from a job's CrawlSettings: polite, bounded, no local-file handlers."""

from __future__ import annotations

from typing import Any

from spiders.context import SETTING, SOURCE_ID, CrawlContext
from spiders.jobspec import CrawlSettings, SourceSpec

REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
REDIRECT_MAX_TIMES = 5

DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt (100): a refused host does not get its robots.txt fetched either.
    "spiders.ssrf.SsrfGuardMiddleware": 40,
    # Above RetryMiddleware (550): sees a 429/503 with Retry-After before it is retried
    # at once, and holds requests to a host that asked us to wait.
    "spiders.politeness.RetryAfterMiddleware": 555,
    # Adds validators after RetryMiddleware built any retry, reads them off the answer.
    "spiders.conditional.ConditionalGetMiddleware": 560,
    # After decompression (590), before meta-refresh (580) reads the text.
    "spiders.decoding.EncodingFixMiddleware": 585,
    # Below decompression, redirects and retries: every answer as the server sent it.
    "spiders.capture.CaptureMiddleware": 950,
}


def base_settings(cs: CrawlSettings) -> dict[str, Any]:
    delay = max(cs.per_host_delay, 0.0)
    return {
        "BOT_NAME": "unionwatch",
        "USER_AGENT": cs.user_agent_header(),
        "ROBOTSTXT_OBEY": cs.obey_robots,
        # A source's requests nearly always go to one host (sources are grouped by host),
        # so the global cap equals the per-host one. It also bounds what sits in the
        # downloader queue, which a graceful stop (SIGTERM) still fetches: the parent
        # SIGKILLs 10 s later.
        "CONCURRENT_REQUESTS": cs.per_host_concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": cs.per_host_concurrency,
        "DOWNLOAD_DELAY": delay,
        # Jitter would go down to 0.5 x delay; the delay is a promise to the site.
        "DOWNLOAD_DELAY_JITTER": 0.0,
        "AUTOTHROTTLE_ENABLED": True,
        # AutoThrottle starts at 5 s by default whatever DOWNLOAD_DELAY says; it never goes
        # below DOWNLOAD_DELAY, so starting there is safe.
        "AUTOTHROTTLE_START_DELAY": delay,
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, delay),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(cs.per_host_concurrency),
        "DOWNLOAD_TIMEOUT": cs.timeout,
        "DNS_TIMEOUT": min(cs.timeout, 60.0),
        "DOWNLOAD_MAXSIZE": cs.max_page_bytes,
        "DOWNLOAD_WARNSIZE": max(cs.max_page_bytes // 2, 1),
        "REDIRECT_MAX_TIMES": REDIRECT_MAX_TIMES,
        "COOKIES_ENABLED": False,
        # Both listen on local ports and accept commands: nothing a crawl child needs.
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        # No file:, data:, ftp: or s3: fetching at all, whatever a feed or redirect says.
        "DOWNLOAD_HANDLERS": {"file": None, "data": None, "ftp": None, "s3": None},
        "TWISTED_REACTOR": REACTOR,
        "TWISTED_DNS_RESOLVER": "spiders.ssrf.GuardedResolver",
        "DOWNLOADER_MIDDLEWARES": DOWNLOADER_MIDDLEWARES,
        "ITEM_PIPELINES": {"spiders.pipeline.StoragePipeline": 300},
        "STATS_CLASS": "spiders.stats.PlainStatsCollector",
        # Each spider middleware is an async generator step for every request and item a
        # callback yields. No DEPTH_LIMIT is set (a listing's depth is counted in uw_page), and
        # the meta-copy check warns about a mistake only a spider's author makes: like
        # WARN_ON_GENERATOR_RETURN_VALUE, checks for development, not for every page.
        "SPIDER_MIDDLEWARES": {"scrapy.spidermiddlewares.depth.DepthMiddleware": None,
                               "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None},
        "EXTENSIONS": {"spiders.recorder.RunRecorder": 500},
        "CLOSESPIDER_TIMEOUT": cs.max_source_seconds,
        # Scrapy re-reads and re-parses a generator callback's source on every response to
        # warn about `return value` (its cache is keyed by bound methods, new each time):
        # ~1-2 ms CPU per page for a check that matters only while writing a spider.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        # On the asyncio reactor Scrapy starts CONCURRENT_ITEMS worker tasks for every callback
        # result, whatever its size: the default 100 costs ~100 tasks per article page, which
        # yields one item. Our callbacks yield one item, or a feed's links, which are cheap.
        "CONCURRENT_ITEMS": 8,
        "URLLENGTH_LIMIT": 0,  # off: spiders/base.py reports what is too long (MAX_URL_LENGTH)
        "LOG_LEVEL": "INFO",
        "LOG_STDOUT": False,
        "LOG_INSTALL_ROOT_HANDLER": True,
        "SPIDER_LOADER_WARN_ONLY": True,
        "UNIONWATCH_ALLOW_PRIVATE_NETWORKS": cs.allow_private_networks,
        "UNIONWATCH_CONDITIONAL_GET": cs.conditional_get,
    }


def source_settings(cs: CrawlSettings, source: SourceSpec,
                    context: CrawlContext | None = None) -> dict[str, Any]:
    """The settings of one source's crawler; `context` is what the child's crawlers share."""
    settings = base_settings(cs)
    settings[SOURCE_ID] = source.id
    if context is not None:
        settings[SETTING] = context
    if source.obey_robots is not None:
        settings["ROBOTSTXT_OBEY"] = source.obey_robots
    return settings
