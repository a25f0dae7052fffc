"""check, match, search, status and demo as a person (or a script) runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import unionwatch

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "tests" / "matching" / "data"


def test_check_accepts_the_shipped_config_and_names_bad_lines(tmp_path: Path) -> None:
    ok = unionwatch("check", "--config", str(ROOT / "config.yaml"), cwd=tmp_path,
                    env={"PYTHONPATH": str(ROOT)})
    assert ok.code == 0, ok.stderr
    assert "valid" in ok.stdout and "does not exist yet" in ok.stdout
    assert list(tmp_path.iterdir()) == [], "checking leaves no database file behind"
    bad = tmp_path / "config.yaml"
    bad.write_text((ROOT / "config.yaml").read_text(encoding="utf-8").replace(
        "timezone: Asia/Almaty", "timezone: Asia/Almati"), encoding="utf-8")
    run = unionwatch("check", "--config", str(bad), "--json")
    assert run.code == 2
    [problem] = run.json()["problems"]
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "Asia/Almati" in t)
    assert problem == f"{bad}:{line}: subscribers[0].timezone: unknown time zone 'Asia/Almati'"


def test_commands_refuse_a_bad_config_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("watchlists: []\nsurprise: 1\n", encoding="utf-8")
    run = unionwatch("crawl", "--config", str(bad))
    assert run.code == 2
    assert f"{bad}:2: surprise: unknown key" in run.stderr


def test_match_jsonl_meets_the_dev_set_targets(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    run = unionwatch("match", "--config", str(DEV / "matching_dev_watchlist.yaml"),
                     "--jsonl", str(DEV / "matching_dev.jsonl"), "--out", str(out))
    assert run.code == 0, run.stderr
    cases = [json.loads(line) for line in (DEV / "matching_dev.jsonl").read_text().splitlines()]
    got = {r["id"]: set(r["entities"]) for r in map(json.loads, out.read_text().splitlines())}
    assert set(got) == {c["id"] for c in cases}
    tp = sum(len(set(c["expect"]) & got[c["id"]]) for c in cases)
    fp = sum(len(got[c["id"]] - set(c["expect"])) for c in cases)
    fn = sum(len(set(c["expect"]) - got[c["id"]]) for c in cases)
    assert tp / (tp + fp) >= 0.98 and tp / (tp + fn) >= 0.97


def test_match_text_shows_the_form_and_ending(tmp_path: Path) -> None:
    run = unionwatch("match", "--config", str(ROOT / "config.yaml"), "--json",
                     "Сот Елеусіновке екі жыл жаза тағайындады. Он вернулся из Харькова.")
    assert run.code == 0, run.stderr
    res = run.json()
    assert res["entities"] == ["eleusinov"]
    [m] = res["mentions"]
    assert m["surface"] == "Елеусіновке" and "-ке" in m["explanation"]


def test_match_jsonl_bad_line_is_named(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "ok"}\n{"id": 2}\n', encoding="utf-8")
    run = unionwatch("match", "--config", str(ROOT / "config.yaml"), "--jsonl", str(src))
    assert run.code == 1
    assert f"{src}:2:" in run.stderr


@pytest.mark.slow
def test_demo_runs_offline_and_writes_the_digest(tmp_path: Path) -> None:
    work = tmp_path / "demo"
    run = unionwatch("demo", "--workdir", str(work), "--json")
    assert run.code == 0, run.stderr
    res = run.json()
    assert res["articles"] == 14
    assert set(res["languages"]) == {"kk", "ru", "en"}
    assert all(res["entities"][e] > 0 for e in ("eleusinov", "kushakbayev", "kharkova", "knprk"))
    files = [Path(f) for f in res["digests"]]
    assert sorted(f.suffix for f in files) == [".eml", ".html"]
    html = next(f for f in files if f.suffix == ".html").read_text(encoding="utf-8")
    assert "Әмин Елеусінов" in html and "<mark" in html
    # The written config works with the other commands on the demo data.
    cfg = res["config"]
    status = unionwatch("status", "--config", cfg, "--json")
    assert status.code == 0 and {s["source"] for s in status.json()["sources"]} >= {"azattyq", "rferl"}
    found = unionwatch("search", "--config", cfg, "--json", "--days", "100000", "Құшақбаев")
    assert found.code == 0 and found.json(), found.stderr
    shutil.rmtree(work)
