"""Async helpers for tests that call a spider's callbacks directly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

T = TypeVar("T")


async def collect(items: AsyncIterator[T]) -> list[T]:
    """Everything an async generator (a Scrapy callback) yields."""
    return [item async for item in items]
