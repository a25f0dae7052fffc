"""config.yaml to the crawl child's job: every setting arrives, robots overrides are loud."""

from __future__ import annotations

import logging

import pytest

from scheduler.config import Config
from scheduler.crawling import crawl_job
from spiders.jobspec import CrawlJob

CFG = Config.model_validate({
    "database": {"url": "sqlite:///x.db"},
    "crawl": {"user_agent": "uw-test/9", "contact_url": "https://example.org/contact",
              "obey_robots": True, "per_host_concurrency": 3, "per_host_delay": 2.5,
              "timeout": 12, "max_page_bytes": 2048, "allow_private_networks": True,
              "max_run_seconds": 600},
    "sources": [
        {"id": "a", "type": "listing", "url": "https://example.org/news", "language": "kk",
         "link_pattern": "/a/\\d+", "max_age_days": 4, "obey_robots": False,
         "link_selector": "a.item", "next_selector": "a.next", "depth": 3},
        {"id": "b", "type": "feed", "urls": ["https://example.org/rss", "https://example.org/atom"]},
        {"id": "off", "type": "feed", "url": "https://example.org/x", "enabled": False},
    ],
    "watchlists": [{"id": "w", "entities": [{"id": "e", "name": "Amin Eleusinov"}]}],
})


def test_every_setting_reaches_the_child_and_survives_json(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        job = crawl_job(CFG)
    assert [s.id for s in job.sources] == ["a", "b"], "disabled sources are left out"
    st = job.settings
    assert (st.user_agent, st.contact_url, st.per_host_concurrency, st.per_host_delay, st.timeout,
            st.max_page_bytes, st.allow_private_networks) == (
        "uw-test/9", "https://example.org/contact", 3, 2.5, 12.0, 2048, True)
    assert 0 < st.max_source_seconds < 600
    a, b = job.sources
    assert (a.type, a.urls, a.language, a.link_pattern, a.max_age_days, a.obey_robots,
            a.link_selector, a.next_selector, a.depth) == (
        "listing", ["https://example.org/news"], "kk", "/a/\\d+", 4, False, "a.item", "a.next", 3)
    assert b.urls == ["https://example.org/rss", "https://example.org/atom"] and b.language == "auto"
    assert CrawlJob.from_json(job.to_json()) == job
    assert "source a ignores robots.txt" in caplog.text


def test_named_sources_include_disabled_ones_and_unknown_ids_are_named() -> None:
    assert [s.id for s in crawl_job(CFG, ["off"]).sources] == ["off"]
    with pytest.raises(KeyError, match="nope"):
        crawl_job(CFG, ["a", "nope"])


def test_unknown_sources_are_an_error_of_their_own() -> None:
    from scheduler.config import UnknownSource

    with pytest.raises(UnknownSource) as exc:
        crawl_job(CFG, ["a", "nope", "gone"])
    assert exc.value.ids == ["nope", "gone"] and str(exc.value) == "unknown source nope, gone"
    with pytest.raises(UnknownSource):
        CFG.source("nope")


def test_the_job_carries_the_config_sources_as_spiders_take_them() -> None:
    from spiders.jobspec import SourceSpec

    job = crawl_job(CFG)
    assert all(type(s) is SourceSpec for s in job.sources), "no scheduler fields reach the child"
    assert "schedule" not in job.to_json() and "enabled" not in job.to_json()
    assert "max_run_seconds" not in job.to_json()
