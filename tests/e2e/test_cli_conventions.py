"""The command line's conventions: an expected error is one line (no markup, no traceback), exit 2
for bad arguments and unknown names, `match` as grep (stdin with -, exit 1 on no match),
--version, and boolean options shown as flags."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.e2e.conftest import SMALL_CONFIG, Run, unionwatch

COMMANDS = [["check"], ["crawl"], ["digest"], ["run"], ["match", "x"], ["search", "x"], ["status"],
            ["db", "upgrade"], ["db", "current"], ["db", "downgrade", "0001"]]
DATABASE_COMMANDS = [["crawl"], ["digest"], ["run"], ["search", "x"], ["status"], ["db", "upgrade"],
                     ["db", "current"]]


def _config(tmp_path: Path, database_url: str | None = None) -> str:
    path = tmp_path / "config.yaml"
    head = f"database: {{url: '{database_url}'}}\n" if database_url else ""
    path.write_text(head + SMALL_CONFIG.replace("OUT", str(tmp_path / "out")), encoding="utf-8")
    return str(path)


def _line(run: Run) -> str:
    assert "Traceback" not in run.stderr and "[red]" not in run.stderr and "[/]" not in run.stderr
    [line] = run.stderr.strip().splitlines()
    return line


@pytest.mark.parametrize("command", COMMANDS)
def test_without_a_config_every_command_says_so_in_one_line(tmp_path: Path, command: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "UNIONWATCH_CONFIG"}
    proc = subprocess.run([sys.executable, "-m", "scheduler.cli", *command], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    line = _line(Run(proc.returncode, proc.stdout, proc.stderr))
    assert line in ("error: config.yaml: file not found", "✗ config.yaml: file not found")
    assert list(tmp_path.iterdir()) == [], "nothing was created"


@pytest.mark.parametrize("command", DATABASE_COMMANDS)
@pytest.mark.parametrize("url", ["not-a-url", "mysql://unionwatch@127.0.0.1/unionwatch"])
def test_a_database_url_we_cannot_use_is_a_config_error(tmp_path: Path, command: list[str], url: str) -> None:
    config = _config(tmp_path, url)
    run = unionwatch(*command, "--config", config)
    assert run.code == 2
    assert _line(run).startswith(f"error: {config}:1: database.url: ")


@pytest.mark.parametrize("command", DATABASE_COMMANDS)
def test_a_sqlite_folder_that_cannot_be_made_is_one_line(tmp_path: Path, command: list[str]) -> None:
    run = unionwatch(*command, "--config", _config(tmp_path, "sqlite:////proc/unionwatch/u.db"))
    assert run.code == 1
    line = _line(run)
    assert line.startswith("error: database ") and "/proc/unionwatch" in line


@pytest.mark.parametrize(("args", "named"), [
    (["crawl", "nope"], "unknown source nope"),
    (["digest", "--subscriber", "nobody"], "unknown subscriber 'nobody'"),
    (["search", "--entity", "nobody"], "unknown entity 'nobody'"),
    (["match"], "give exactly one of TEXT"),
    (["search"], "give a QUERY or --entity"),
])
def test_bad_arguments_and_unknown_names_exit_2(tmp_path: Path, args: list[str], named: str) -> None:
    config = _config(tmp_path, f"sqlite:///{tmp_path / 'u.db'}")
    run = unionwatch(*args, "--config", config)
    assert run.code == 2
    assert named in _line(run)
    as_json = unionwatch(*args, "--config", config, "--json")
    assert as_json.code == 2 and named in as_json.json()["error"]


def _match(tmp_path: Path, *args: str, stdin: str | None = None) -> Run:
    command = [sys.executable, "-m", "scheduler.cli", "match", "--config", _config(tmp_path), *args]
    proc = subprocess.run(command, input=stdin, capture_output=True, text=True, encoding="utf-8",
                          timeout=120)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def test_match_reads_stdin_and_exits_1_when_nothing_matched(tmp_path: Path) -> None:
    found = _match(tmp_path, "-", "--json", stdin="Суд над Амином Елеусиновым продолжился.")
    assert found.code == 0 and found.json()["entities"] == ["eleusinov"], found.stderr
    assert _match(tmp_path, "-", stdin="Nothing to see here.").code == 1
    assert _match(tmp_path, "Nothing to see here.", "--json").code == 1
    lines = tmp_path / "in.jsonl"
    lines.write_text(json.dumps({"id": 1, "text": "Nothing here."}) + "\n", encoding="utf-8")
    assert _match(tmp_path, "--jsonl", str(lines)).code == 1
    lines.write_text(json.dumps({"id": 1, "text": "Amin Eleusinov spoke."}) + "\n", encoding="utf-8")
    assert _match(tmp_path, "--jsonl", str(lines)).code == 0


def test_version_and_flags_in_the_help() -> None:
    run = unionwatch("--version")
    assert (run.code, run.stdout.strip()) == (0, f"unionwatch {version('unionwatch')}")
    helped = unionwatch("search", "--help")
    assert helped.code == 0
    [json_line] = [ln for ln in helped.stdout.splitlines() if ln.strip().startswith("--json")]
    assert json_line.split()[:2] == ["--json", "Print"], json_line
    assert "<bool>" not in helped.stdout
