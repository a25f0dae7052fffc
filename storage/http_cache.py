"""Validators for conditional GET of feeds and sitemaps (ETag, Last-Modified), per URL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from storage.database import Database, dialect_insert
from storage.models import HttpCache
from storage.text import clean_line
from storage.types import utcnow

MAX_URL = 2048  # HttpCache.url length: longer URLs are never cached


@dataclass(frozen=True, slots=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


def lookup(db: Database, url: str) -> Validators | None:
    if len(url) > MAX_URL:
        return None
    with db.read() as s:
        row = s.execute(
            select(HttpCache.etag, HttpCache.last_modified).where(HttpCache.url == url)
        ).first()
    return Validators(row[0], row[1]) if row else None


def save(db: Database, validators: Mapping[str, Validators], *, now: datetime | None = None) -> None:
    """Store these validators, replacing what each URL had."""
    if not validators:
        return
    checked = now or utcnow()
    with db.write() as s:
        for url, v in validators.items():
            if len(url) <= MAX_URL:
                # An upsert: two sources may share a feed URL and finish at the same moment.
                # Header values as a server sent them: NUL would fail PostgreSQL's insert.
                values = {"etag": clean_line(v.etag) if v.etag else None,
                          "last_modified": clean_line(v.last_modified) if v.last_modified else None,
                          "checked_at": checked}
                s.execute(dialect_insert(s)(HttpCache).values(url=url, **values)
                          .on_conflict_do_update(index_elements=[HttpCache.url], set_=values))
