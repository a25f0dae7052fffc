"""`unionwatch web` as a newcomer runs it: it prints where it listens and a signed admin link."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from tests.e2e.conftest import unionwatch

pytestmark = pytest.mark.slow


def _lines(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    q: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            q.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return q


def test_web_prints_a_signed_admin_link_that_opens_the_admin_page(config_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UNIONWATCH_WEB_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "web", "--config", str(config_path), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        q = _lines(proc)
        seen = ""
        while "/l/" not in seen:
            seen += q.get(timeout=60)
        base = re.search(r"listening on (http://127\.0\.0\.1:\d+)", seen).group(1)  # type: ignore[union-attr]
        link = re.search(r"(http://\S+/l/\S+)", seen).group(1)  # type: ignore[union-attr]
        with httpx.Client(timeout=10) as c:
            assert c.get(base + "/admin").status_code == 403
            r = c.get(link, follow_redirects=True)
            assert r.status_code == 200 and "<h1>Admin</h1>" in r.text
            r = c.get(base + "/search", params={"q": "Елеусинов"})
            assert r.status_code == 200 and "Amin Eleusinov" in r.text
    finally:
        proc.terminate()
        proc.wait(20)


def test_web_refuses_to_serve_beyond_loopback_without_a_signing_key(config_path: Path) -> None:
    env = {"UNIONWATCH_WEB_SECRET": ""}
    run = unionwatch(
        "web", "--config", str(config_path), "--host", "0.0.0.0", "--port", "0", env=env, timeout=60
    )
    assert run.code == 2
    assert "UNIONWATCH_WEB_SECRET is not set" in run.stderr and "Traceback" not in run.stderr


def test_hash_password_makes_an_argon2_hash() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "web", "hash-password", "--stdin"],
        input="a long admin password\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert PasswordHasher().verify(proc.stdout.strip(), "a long admin password")
    short = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "web", "hash-password", "--stdin"],
        input="short\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert short.returncode == 2
