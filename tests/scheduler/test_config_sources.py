"""The shipped config.yaml against the spiders: a source for every outlet of the case, and
an extraction adapter for every source (moved from tests/spiders: it reads scheduler's config)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from scheduler.config import load_config
from spiders import adapters

ROOT = Path(__file__).resolve().parents[2]
OUTLET_HOSTS = {
    "www.rferl.org", "www.azattyq.org", "rus.azattyq.org", "www.hrw.org", "www.amnesty.org",
    "www.industriall-union.org", "eurasianet.org", "vlast.kz", "bureau.kz", "fergana.agency",
}


def test_config_has_a_source_for_every_outlet_and_an_adapter_for_every_source() -> None:
    cfg = load_config(ROOT / "config.yaml")
    hosts = {urlsplit(u).hostname for s in cfg.sources for u in s.urls}
    assert hosts >= OUTLET_HOSTS
    for s in cfg.sources:
        for u in s.urls:
            assert adapters.for_host(urlsplit(u).hostname or "") is not None, (s.id, u)
    languages = {(urlsplit(u).hostname, s.language) for s in cfg.sources for u in s.urls}
    assert {("www.hrw.org", "ru"), ("www.amnesty.org", "ru"), ("vlast.kz", "kk"),
            ("www.azattyq.org", "kk"), ("rus.azattyq.org", "ru")} <= languages
