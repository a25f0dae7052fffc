"""The commands `unionwatch demo` suggests run as printed, even from a narrow terminal, and find
the demo's articles (which are from 2017-2019)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # PATH: the `unionwatch` the demo names when it runs outside a checkout with .venv.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "COLUMNS": "80", "PATH": path}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8",
                          timeout=240)


@pytest.mark.slow
def test_the_demo_hints_run_as_printed_and_find_the_demo_articles(tmp_path: Path) -> None:
    work = tmp_path / "my demo"  # a space in the path, to be quoted in the hints
    demo = _run([sys.executable, "-m", "scheduler.cli", "demo", "--workdir", str(work)], tmp_path)
    assert demo.returncode == 0, demo.stderr
    lines = demo.stdout.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("try: "))
    hints = [ln.removeprefix("try:").strip() for ln in lines[start:start + 2]]
    assert [shlex.split(h)[1] for h in hints] == ["status", "search"], lines[start:]
    status, search = (_run(shlex.split(h), tmp_path) for h in hints)
    assert status.returncode == 0 and "azattyq" in status.stdout, status.stderr
    assert search.returncode == 0, search.stderr
    assert "no articles found" not in search.stdout
    assert "Амина Елеусинова" in search.stdout and "Елеусінов" in search.stdout
