"""End-to-end fixtures: the loopback fixture sites and the `unionwatch` command as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scheduler.demo import demo_config
from tests.support.fixture_site import FixtureSite

# A config with one watched name, one file-channel subscriber (its folder: OUT) and one source
# on a loopback port nothing listens on; the database section is the test's to add.
SMALL_CONFIG = """watchlists:
  - id: w
    entities:
      - {id: eleusinov, name: Amin Eleusinov}
subscribers:
  - id: desk
    watchlists: [w]
    channels:
      - {type: file, path: OUT}
sources:
  - {id: vestnik, type: feed, url: "http://127.0.0.1:9/feed.xml"}
"""


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def unionwatch(*args: str, timeout: float = 240, env: dict[str, str] | None = None,
               cwd: Path | None = None) -> Run:
    proc = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", *args],
        capture_output=True, text=True, encoding="utf-8", timeout=timeout, cwd=cwd,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    with FixtureSite() as s:
        yield s


@pytest.fixture
def config_path(tmp_path: Path, db_url: str, site: FixtureSite) -> Path:
    """The demo's config, pointed at the test database and a temp digest folder."""
    return demo_config(tmp_path, site.base_url, database_url=db_url)
