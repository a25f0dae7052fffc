"""The demo's sources (sources.yaml), in config.yaml's source shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SOURCES = Path(__file__).with_name("sources.yaml")


def demo_sources(base_url: str) -> list[dict[str, Any]]:
    """The six sources over the demo's five sites, served at base_url."""
    sources: list[dict[str, Any]] = yaml.safe_load(SOURCES.read_text(encoding="utf-8"))
    b = base_url.rstrip("/")
    return [{**s, "urls": [u.replace("{base}", b) for u in s["urls"]]} for s in sources]
