"""The demo's server and the tests' fixture server serve the demo's sites byte for byte alike,
so that what the spiders' tests crawl is what `unionwatch demo` crawls."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.request import urlopen

import pytest

from scheduler.demo import DemoServer, demo_sources
from scheduler.demo.server import SITES
from spiders.jobspec import SourceSpec
from tests.support.fixture_site import DEMO_SITES, FixtureSite
from tests.support.sources import demo_sources as fixture_demo_sources

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
BASE = "http://demo.test"


def url_paths() -> list[tuple[str, dict[str, list[str]]]]:
    """A path (and query) for every demo file, in each form a crawler asks for it."""
    out: list[tuple[str, dict[str, list[str]]]] = []
    for file in sorted(SITES.rglob("*")):
        if not file.is_file() or file.name == "site.json":
            continue
        rel = "/" + file.relative_to(SITES).as_posix()
        out.append((rel, {}))
        stem = rel.removesuffix(".html").removesuffix(".xml")
        if stem != rel:
            out += [(stem, {}), (stem + "/", {})]
        if rel.endswith(".xml"):
            out.append((rel + ".gz", {}))
        if "_p" in rel:
            base, _, n = stem.rpartition("_p")
            out.append((base, {"p": [n]}))
    return out


def test_both_servers_serve_the_same_bytes_and_types() -> None:
    assert DEMO_SITES.resolve() == SITES.resolve()
    demo = DemoServer(now=NOW)
    demo.files.base_url = BASE
    fixture = FixtureSite(now=NOW)
    fixture.base_url = BASE
    paths = url_paths()
    assert len(paths) > 100
    for path, query in paths:
        served = demo.files.content(path, query)
        assert served is not None, path
        assert served == fixture.content(path, query), path
    assert demo.files.content("/nope", {}) is None


def test_the_demo_sources_are_one_list_and_valid_sources() -> None:
    assert demo_sources(BASE) == fixture_demo_sources(BASE)
    assert [SourceSpec.model_validate(s).id for s in demo_sources(BASE)] == [
        "azattyq", "rus-azattyq", "rus-azattyq-sitemap", "rferl", "rightswatch", "vestnik"]


@pytest.mark.parametrize("path", ["/azattyq/api/zivqrkrvil", "/vestnik/doc/7715101", "/robots.txt"])
def test_the_demo_server_answers_on_a_port_it_chose(path: str) -> None:
    with DemoServer() as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        with urlopen(server.base_url + path, timeout=10) as reply:
            body = reply.read()
            assert reply.status == 200 and body
        assert server.base_url in body.decode(reply.headers.get_content_charset() or "cp1251")
