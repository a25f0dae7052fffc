"""Small SQL helpers shared by the digest writer and the outbox."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from storage.articles import dialect_insert as _storage_insert


def dialect_insert(session: Session, model: Any) -> Any:
    """INSERT with ON CONFLICT support for the session's dialect (SQLite or PostgreSQL).

    Typed Any: the dialect constructs' on_conflict_* methods are not on the generic Insert.
    """
    return _storage_insert(session)(model)


def table(model: type[Any]) -> Table:
    """A model's Table, for Core statements (cheaper than the ORM on hot paths)."""
    return cast(Table, model.__table__)
