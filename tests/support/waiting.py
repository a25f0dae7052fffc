"""Waiting for something another process does: poll a condition until it holds or time runs out."""

from __future__ import annotations

import time
from collections.abc import Callable

POLL_S = 0.1


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> None:
    """Return as soon as predicate() is true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(POLL_S)  # a poll interval: the condition, not the sleep, is what is waited for
