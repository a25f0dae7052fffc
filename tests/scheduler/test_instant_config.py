"""subscribers[].instant: watchlist or entity ids of the subscriber's own watchlists, named at file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.config import Config, ConfigError, load_config
from scheduler.wiring import subscriber_spec

TEXT = """watchlists:
  - id: union
    entities: [{id: eleusinov, name: Amin Eleusinov}, {id: kushakbayev, name: Nurbek Kushakbayev}]
  - id: other
    entities: [{id: kharkova, name: Larisa Kharkova}]
subscribers:
  - id: desk
    watchlists: [union]
    instant: INSTANT
    channels: [{type: file, path: x}]
"""


def _load(tmp_path: Path, instant: str) -> Config:
    path = tmp_path / "config.yaml"
    path.write_text(TEXT.replace("INSTANT", instant), encoding="utf-8")
    return load_config(path)


def test_instant_takes_a_watchlist_or_an_entity_and_resolves_to_entities(tmp_path: Path) -> None:
    cfg = _load(tmp_path, "[kushakbayev]")
    assert subscriber_spec(cfg, cfg.subscribers[0]).instant_ids == ("kushakbayev",)
    cfg = _load(tmp_path, "[union, eleusinov]")
    spec = subscriber_spec(cfg, cfg.subscribers[0])
    assert spec.instant_ids == ("eleusinov", "kushakbayev")
    assert spec.entity_ids == ("eleusinov", "kushakbayev")


@pytest.mark.parametrize(("instant", "needle"), [
    ("[kharkova]", "'kharkova' is an entity of a watchlist this subscriber does not follow"),
    ("[other]", "'other' is a watchlist this subscriber does not follow"),
    ("[nobody]", "'nobody' is neither a watchlist nor an entity id"),
])
def test_instant_ids_outside_the_subscribers_watchlists_are_refused(
    tmp_path: Path, instant: str, needle: str
) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, instant)
    [problem] = err.value.problems
    assert problem.startswith(f"{tmp_path / 'config.yaml'}:9:") and "subscribers[0].instant[0]" in problem
    assert needle in problem
