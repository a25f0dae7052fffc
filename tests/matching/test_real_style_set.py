"""Issue 11's classes on real-style text: invented people and bodies, other sentences than the
issue's, and a hard negative for every rule (data/real_style.jsonl, one "class" per case)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from matching import compile_watchlist
from tests.matching.test_dev_set import load_specs

DATA = Path(__file__).parent / "data"
CASES = [json.loads(line) for line in (DATA / "real_style.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def found():  # type: ignore[no-untyped-def]
    wl = compile_watchlist(load_specs(DATA / "real_style_watchlist.yaml"))
    return lambda text: sorted({m.entity_id for m in wl.match(text)})


def test_every_class_has_a_hard_negative() -> None:
    classes = {c["class"] for c in CASES}
    negatives = {c["class"] for c in CASES if not c["expect"]}
    for cls in ("org-short", "variant-suffix", "variant-vowel", "org-cut"):
        assert f"{cls}-negative" in classes
    assert {"org-negative", "org-short-negative"} <= negatives


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_precision_and_recall_per_language(found, lang: str) -> None:  # type: ignore[no-untyped-def]
    tally = defaultdict(int)
    for case in (c for c in CASES if c["lang"] == lang):
        expected, got = set(case["expect"]), set(found(case["text"]))
        tally["tp"] += len(expected & got)
        tally["fp"] += len(got - expected)
        tally["fn"] += len(expected - got)
    precision = tally["tp"] / ((tally["tp"] + tally["fp"]) or 1)
    recall = tally["tp"] / ((tally["tp"] + tally["fn"]) or 1)
    assert precision >= 0.98 and recall >= 0.97, dict(tally)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['id']}-{c['class']}" for c in CASES])
def test_case(found, case: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    assert found(case["text"]) == sorted(case["expect"]), case.get("note", "")
