"""The labelled story set (tests/fixtures/stories/groups.yaml) and its pairwise scoring.

Each report goes through the real matcher (the demo watchlist) for its watched entities and
the names as written, and through matching.stories for its features, as a digest does it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from matching import EntitySpec, compile_watchlist
from matching.stories import Report, group_reports, name_stems, pairs, story_features

ROOT = Path(__file__).resolve().parents[2]
GROUPS = ROOT / "tests" / "fixtures" / "stories" / "groups.yaml"
HELD_OUT = ROOT / "tests" / "fixtures" / "stories" / "heldout.yaml"  # never tuned on
DEMO_CONFIG = ROOT / "scheduler" / "demo" / "config.yaml"


@dataclass(frozen=True)
class Labelled:
    report: Report
    group: str
    listed: frozenset[str]  # the entities the fixture says the report names
    title: str


def _watchlist() -> Any:
    cfg = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    specs = [EntitySpec(**e) for w in cfg["watchlists"] for e in w["entities"]]
    return compile_watchlist(specs)


def load(path: Path = GROUPS) -> list[Labelled]:
    wl = _watchlist()
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: list[Labelled] = []
    n = 0
    for g in data["groups"]:
        for r in g["reports"]:
            n += 1
            title, body, lang = r["title"], r["body"], r["lang"]
            found = wl.match(f"{title}\n{body}")
            when = r["published"]
            if isinstance(when, str):
                when = dt.datetime.fromisoformat(when)
            report = Report(
                id=n, when=when, language=lang,
                entities=frozenset(m.entity_id for m in found),
                features=story_features(title, body, lang),
                names=name_stems(m.surface for m in found),
            )
            out.append(Labelled(report, g["id"], frozenset(r["entities"]), title))
    return out


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    true_pairs: int
    found_pairs: int
    correct_pairs: int
    wrong: list[tuple[str, str]]  # titles of pairs merged that are not one story
    missed: list[tuple[str, str]]


def evaluate(items: list[Labelled]) -> Scores:
    by_group: dict[str, list[int]] = {}
    for it in items:
        by_group.setdefault(it.group, []).append(it.report.id)
    truth = pairs(by_group.values())
    found = pairs(group_reports([it.report for it in items]))
    correct = truth & found
    title = {it.report.id: it.title for it in items}
    return Scores(
        precision=len(correct) / len(found) if found else 1.0,
        recall=len(correct) / len(truth) if truth else 1.0,
        true_pairs=len(truth), found_pairs=len(found), correct_pairs=len(correct),
        wrong=sorted((title[a], title[b]) for a, b in found - truth),
        missed=sorted((title[a], title[b]) for a, b in truth - found),
    )
