"""check, match, search, status and demo as a person (or a script) runs them."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any

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
    assert sorted(f.suffix for f in files) == [".eml", ".eml", ".eml", ".html", ".html", ".html"]
    pages = {f.stem: f.read_text(encoding="utf-8") for f in files if f.suffix == ".html"}
    # Three readers, three languages of chrome, the same sections by subject.
    en, ru, kk = (next(p for name, p in pages.items() if name.endswith(who))
                  for who in ("kibhr-desk", "almaty-bureau-ru", "aqtau-union-kk"))
    assert '<html lang="en">' in en and "You follow:" in en and "also reported by" in en
    assert '<html lang="ru">' in ru and "Вы следите за:" in ru and "также сообщили:" in ru
    assert '<html lang="kk">' in kk and "Сіз бақылайтындар:" in kk and "сондай-ақ хабарлағандар:" in kk
    for page in (en, ru, kk):
        assert "Әмин Елеусінов</mark>" in page and "Харькова" in page
        assert "Radio Azattyq (kk)" in page  # sources by name
    # The written config works with the other commands on the demo data.
    cfg = res["config"]
    status = unionwatch("status", "--config", cfg, "--json")
    assert status.code == 0 and {s["source"] for s in status.json()["sources"]} >= {"azattyq", "rferl"}
    found = unionwatch("search", "--config", cfg, "--json", "Құшақбаев")
    assert found.code == 0 and found.json()["articles"], found.stderr
    shutil.rmtree(work)


def _serve_demo(work: Path, *args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Start `unionwatch demo --serve --json`; return it once it serves, with its summary."""
    proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "demo", "--workdir", str(work),
                             "--serve", "--json", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    assert proc.stdout is not None
    watchdog = threading.Timer(240, proc.kill)  # a hung demo fails the test instead of hanging it
    watchdog.start()
    decoder, buf, docs = json.JSONDecoder(), "", []
    while len(docs) < 2:
        line = proc.stdout.readline()
        assert line, f"the demo ended early: {proc.stderr.read() if proc.stderr else ''}"
        buf += line
        with contextlib.suppress(json.JSONDecodeError):
            doc, _ = decoder.raw_decode(buf.strip())
            docs.append(doc)
            buf = ""
    watchdog.cancel()
    summary, serving = docs
    assert serving["serving"] == summary["sites"]
    return proc, summary


@pytest.mark.slow
def test_demo_serve_keeps_the_sites_up_for_the_written_config(tmp_path: Path) -> None:
    work = tmp_path / "demo"
    proc, summary = _serve_demo(work, "--port", "0")
    try:
        base = summary["sites"]
        assert base.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{base}/azattyq/api/zivqrkrvil", timeout=30) as resp:
            assert resp.status == 200 and b"<rss" in resp.read()
        # After the demo itself, its config crawls again against the same sites.
        again = unionwatch("crawl", "--config", summary["config"], "--json")
        assert again.code == 0, again.stderr
        assert all(s["status"] == "ok" for s in again.json()["sources"])
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, "SIGTERM stops the demo server cleanly"


def test_demo_serve_on_a_busy_port_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = unionwatch("demo", "--workdir", str(tmp_path / "demo"), "--serve", "--port", str(port))
    assert run.code == 1
    assert f"127.0.0.1:{port}" in run.stderr and run.stderr.strip().count("\n") == 0
