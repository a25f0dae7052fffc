"""Alembic environment: runs against the connection or URL that storage.migrate hands in."""

from __future__ import annotations

import warnings

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.exc import SAWarning

from storage.database import make_engine
from storage.models import Base

config = context.config
target_metadata = Base.metadata


# The full-text index (0006) lives outside the models: SQLite's FTS5 tables, PostgreSQL's
# generated tsvector column and its GIN index; and the expression index on an article's date
# (coalesce(published_at, fetched_at)), which the models cannot declare. storage.fulltext reads them.
_FULLTEXT_TABLES = ("article_fts",)
_FULLTEXT_OBJECTS = {"search_vector", "ix_article_search_vector", "ix_article_dated"}


# ix_article_dated is an expression index: SQLAlchemy cannot reflect it, and says so each time.
warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index",
                        category=SAWarning)


def _include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    if not reflected or name is None:
        return True
    if type_ == "table" and name.startswith(_FULLTEXT_TABLES):
        return False
    return name not in _FULLTEXT_OBJECTS


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copy-and-move
        compare_type=True,
        include_object=_include,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
