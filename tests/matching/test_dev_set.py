"""The development set (copied from shared/eval): precision >= 0.98, recall >= 0.97 per language."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from matching import EntitySpec, compile_watchlist

DATA = Path(__file__).parent / "data"


def _read(path: Path) -> str:
    # The root .gitignore's "data/" also matches this folder: the files must be added with -f.
    assert path.exists(), f"{path} is missing (git add -f tests/matching/data/)"
    return path.read_text(encoding="utf-8")


def load_specs(path: Path) -> list[EntitySpec]:
    config = yaml.safe_load(_read(path))
    specs = []
    for watchlist in config["watchlists"]:
        for e in watchlist["entities"]:
            specs.append(
                EntitySpec(
                    id=e["id"],
                    kind=e["kind"],
                    name=e["name"],
                    aliases=tuple(e.get("aliases", ())),
                    match=e.get("match", "surname"),
                    exclude=tuple(e.get("exclude", ())),
                    groups=tuple(tuple(g) for g in e.get("groups", ())),
                )
            )
    return specs


def score() -> dict[str, tuple[float, float, int]]:
    wl = compile_watchlist(load_specs(DATA / "matching_dev_watchlist.yaml"))
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    lines = _read(DATA / "matching_dev.jsonl").splitlines()
    for line in filter(None, lines):
        case = json.loads(line)
        expected, got = set(case["expect"]), {m.entity_id for m in wl.match(case["text"])}
        for lang in ("all", case["lang"]):
            t = tally[lang]
            t[0] += len(expected & got)
            t[1] += len(got - expected)
            t[2] += len(expected - got)
    out = {}
    for lang, (tp, fp, fn) in tally.items():
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        out[lang] = (precision, recall, tp)
    return out


@pytest.mark.parametrize("lang", ["all", "kk", "ru", "en"])
def test_dev_set_thresholds(lang: str) -> None:
    precision, recall, tp = score()[lang]
    assert tp > 0
    assert precision >= 0.98, f"{lang} precision {precision:.3f}"
    assert recall >= 0.97, f"{lang} recall {recall:.3f}"
