"""delivery: the send deadline, and the claim that must outlast it."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.config import ConfigError, load_config
from scheduler.wiring import delivery_settings

MINIMAL = """\
watchlists:
  - id: w
    entities:
      - {id: eleusinov, name: Amin Eleusinov}
"""


def test_send_timeout_defaults_to_two_minutes_and_reaches_the_senders(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, ""))
    assert cfg.delivery.send_timeout == 120
    assert delivery_settings(cfg).send_timeout == 120
    cfg = load_config(_write(tmp_path, "delivery: {send_timeout: 20, claim_timeout: 60}\n"))
    assert delivery_settings(cfg).send_timeout == 20


def test_a_claim_shorter_than_two_sends_is_refused_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "delivery:\n  claim_timeout: 100\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    [problem] = exc.value.problems
    assert problem.startswith(f"{path}:")
    assert "claim_timeout (100 s) must be at least twice send_timeout (120 s)" in problem


def _write(tmp_path: Path, delivery: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(MINIMAL + delivery, encoding="utf-8")
    return path
