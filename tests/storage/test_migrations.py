from __future__ import annotations

from sqlalchemy import inspect

from storage import migrate
from storage.database import Database
from storage.models import Base


def test_upgrade_from_empty_matches_the_models_and_downgrade_round_trips(db_url: str) -> None:
    db = Database(db_url)
    try:
        assert migrate.is_current(db)
        migrate.check(db)  # raises if models and migrations drift apart
        tables = set(inspect(db.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        migrate.downgrade(db, "base")
        assert not set(Base.metadata.tables) & set(inspect(db.engine).get_table_names())
        migrate.upgrade(db)
        assert migrate.is_current(db)
    finally:
        db.dispose()
