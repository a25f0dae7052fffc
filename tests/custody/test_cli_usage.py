"""The evidence commands' usage errors: one line, exit 2, naming what is wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml


def unionwatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scheduler.cli", *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=120, env={**os.environ, "COLUMNS": "200"})


def _config(tmp_path: Path, **timestamp: object) -> Path:
    data = {"database": {"url": f"sqlite:///{tmp_path / 'db.sqlite'}"},
            "watchlists": [{"id": "w", "entities": [{"id": "eleusinov", "name": "Amin Eleusinov"}]}],
            "evidence": {"timestamp": timestamp}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_export_and_verify_refuse_bad_arguments_in_one_line(tmp_path: Path) -> None:
    cfg = str(_config(tmp_path))
    for args, said in (
        (["export", "--out", "x.wacz", "--config", cfg], "give --article ID or --entity ID"),
        (["export", "--article", "1", "--entity", "eleusinov", "--out", "x.wacz", "--config", cfg],
         "give --article ID or --entity ID"),
        (["export", "--entity", "nobody", "--out", "x.wacz", "--config", cfg], "unknown entity nobody"),
        (["export", "--article", "1", "--since", "2026-01-01", "--out", "x.wacz", "--config", cfg],
         "--since goes with --entity"),
        (["export", "--article", "999", "--out", "x.wacz", "--config", cfg], "no article 999"),
        (["verify", str(tmp_path / "missing.wacz")], "no such file"),
        (["stamp", "--config", cfg], "no time-stamping authority configured"),
    ):
        run = unionwatch("evidence", *args)
        assert run.returncode == 2, (args, run.stdout, run.stderr)
        assert said in run.stderr and "Traceback" not in run.stderr, (args, run.stderr)
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    junk = tmp_path / "junk.pem"
    junk.write_text("junk")
    run = unionwatch("evidence", "verify", str(junk), "--ca", str(junk), "--json")
    assert run.returncode == 1 and not json.loads(run.stdout)["ok"]


def test_a_wrong_certificate_file_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("not a certificate")
    cfg = _config(tmp_path, tsa_url="https://tsa.example.org/tsr", ca_file="ca.pem")
    run = unionwatch("check", "--config", str(cfg))
    assert run.returncode == 2
    assert "evidence.timestamp.ca_file" in run.stderr and "no X.509 certificate" in run.stderr, run.stderr
    bad_url = _config(tmp_path, tsa_url="ftp://tsa.example.org/")
    run = unionwatch("check", "--config", str(bad_url))
    assert run.returncode == 2 and "evidence.timestamp.tsa_url" in run.stderr, run.stderr
