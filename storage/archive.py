"""How much the archive holds: what a downgrade or a restore would lose."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, inspect, select

from storage.database import Database
from storage.models import Article, Delivery, Digest, Mention


@dataclass(frozen=True, slots=True)
class ArchiveSize:
    articles: int
    mentions: int
    digests: int
    deliveries: int

    def describe(self) -> str:
        return (f"{self.articles} articles, {self.mentions} mentions, {self.digests} digests, "
                f"{self.deliveries} deliveries")


def size(db: Database) -> ArchiveSize:
    """Row counts of the archive's tables (0 where a table does not exist yet)."""
    present = set(inspect(db.engine).get_table_names())
    counts = []
    with db.read() as s:
        for model in (Article, Mention, Digest, Delivery):
            n = s.scalar(select(func.count()).select_from(model)) if model.__tablename__ in present else 0
            counts.append(int(n or 0))
    return ArchiveSize(*counts)
