"""The crawl job: JSON round trip, validation errors that name the field."""

from __future__ import annotations

import json

import pytest

from spiders.jobspec import CrawlJob, CrawlSettings, JobError, SourceSpec, SourceType
from spiders.run import host_groups
from spiders.settings import source_settings
from tests.support.sources import demo_sources


def job() -> CrawlJob:
    return CrawlJob.from_dict(
        {
            "database_url": "sqlite:////tmp/x.db",
            "settings": {"user_agent": "unionwatch/0.1", "contact_url": "https://ex.org/c",
                         "per_host_delay": 2, "allow_private_networks": True},
            "sources": demo_sources("http://127.0.0.1:9"),
        }
    )


def test_round_trip_and_demo_sources_are_valid() -> None:
    j = job()
    assert CrawlJob.from_json(j.to_json()) == j
    assert j.settings.per_host_delay == 2.0
    assert [s.type for s in j.sources] == ["feed", "feed", "sitemap", "listing", "feed", "sitemap"]
    assert j.settings.user_agent_header() == "unionwatch/0.1 (+https://ex.org/c)"


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.pop("database_url"), "database_url"),
        (lambda d: d["sources"][0].update(type="rss"), "sources[0].type"),
        (lambda d: d["sources"][1].update(urls=[]), "sources[1].urls"),
        (lambda d: d["sources"][0].update(link_pattern="(unclosed"), "link_pattern"),
        (lambda d: d["sources"][0].update(language="de"), "language"),
        (lambda d: d["sources"][0].update(depth=0), "depth"),
        (lambda d: d["sources"][0].update(timezone="Asia/Almati"), "unknown time zone 'Asia/Almati'"),
        (lambda d: d["sources"][0].update(colour="red"), "unknown keys"),
        (lambda d: d["settings"].update(per_host_concurrency=0), "per_host_concurrency"),
        (lambda d: d["settings"].update(obey_robots="yes"), "obey_robots"),
        (lambda d: d["settings"].update(timeout=True), "timeout"),
        (lambda d: d["sources"].append(dict(d["sources"][0])), "duplicate source ids"),
        (lambda d: d["sources"][0].update(id="bad id!"), "sources[0].id"),
    ],
)
def test_invalid_jobs_name_the_field(mutate: object, fragment: str) -> None:
    data = json.loads(job().to_json())
    mutate(data)  # type: ignore[operator]
    with pytest.raises(JobError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        CrawlJob.from_dict(data)


def test_not_json() -> None:
    with pytest.raises(JobError, match="not valid JSON"):
        CrawlJob.from_json("{nope")


def test_sources_of_one_host_share_a_group() -> None:
    a = SourceSpec(id="a", type="feed", urls=["https://www.rferl.org/api/x"])
    b = SourceSpec(id="b", type="sitemap", urls=["https://rferl.org/sitemap.xml"])
    c = SourceSpec(id="c", type="feed", urls=["https://rus.azattyq.org/api/y"])
    assert host_groups([a, c, b]) == [[a, b], [c]]


def test_per_source_robots_override() -> None:
    cs = CrawlSettings(obey_robots=True)
    src = SourceSpec(id="a", type="feed", urls=["https://x.org/f"], obey_robots=False)
    assert source_settings(cs, src)["ROBOTSTXT_OBEY"] is False
    b = SourceSpec(id="b", type="feed", urls=["https://x.org/f"])
    assert source_settings(cs, b)["ROBOTSTXT_OBEY"] is True
    s = source_settings(cs, src)
    assert s["DOWNLOAD_HANDLERS"]["file"] is None and s["DOWNLOAD_HANDLERS"]["data"] is None
    assert s["TELNETCONSOLE_ENABLED"] is False and s["REMOTE_CONTROL_ENABLED"] is False
    assert s["REDIRECT_MAX_TIMES"] <= 5


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        # The rules config.yaml states, now stated once for the job too.
        (lambda d: d["sources"][0].update(id="crawl:x"), "job.sources[0].id: 'crawl:x' is not a valid id"),
        (lambda d: d["sources"][0].update(max_age_days=0),
         "job.sources[0].max_age_days: Input should be greater than or equal to 1"),
        (lambda d: d["settings"].update(per_host_concurrency=17),
         "job.settings.per_host_concurrency: Input should be less than or equal to 16"),
        (lambda d: d["sources"][3].update(link_selector=None),
         "job.sources[3]: a listing source needs link_selector (CSS for article links)"),
        (lambda d: d["sources"][0].update(urls=["ftp://x.org/feed"]),
         "job.sources[0]: 'ftp://x.org/feed' is not an http(s) URL"),
        (lambda d: d["sources"][0].update(type="rss"),
         "job.sources[0].type: Input should be 'feed', 'sitemap' or 'listing' (got 'rss')"),
        (lambda d: d["sources"][0].update(colour="red", size=2),
         "job.sources[0]: unknown keys ['colour', 'size']"),
        (lambda d: d.pop("database_url"), "job.database_url: required key is missing"),
    ],
)
def test_job_errors_read_as_the_rule(mutate: object, message: str) -> None:
    data = json.loads(job().to_json())
    mutate(data)  # type: ignore[operator]
    with pytest.raises(JobError) as exc:
        CrawlJob.from_dict(data)
    assert message in str(exc.value)


def test_the_job_is_the_sources_and_settings_as_spiders_take_them() -> None:
    j = job()
    data = json.loads(j.to_json())
    assert set(data) == {"database_url", "settings", "sources", "evidence", "rechecks"}
    assert data["evidence"] is None  # no capture unless the parent names a folder
    assert data["sources"][0] == {"id": "azattyq", "name": "Radio Azattyq (kk)", "type": "feed",
                                  "urls": ["http://127.0.0.1:9/azattyq/api/zivqrkrvil"],
                                  "language": "kk", "link_pattern": r"/a/(?:[^/]+/)?\d+\.html",
                                  "max_age_days": None, "obey_robots": None, "link_selector": None,
                                  "next_selector": None, "depth": 1, "timezone": None}
    assert data["settings"]["conditional_get"] is True and data["settings"]["max_source_seconds"] == 0.0
    assert isinstance(j.sources[0].type, SourceType) and j.sources[3].type == SourceType.LISTING
    assert CrawlJob.from_dict(data) == j
