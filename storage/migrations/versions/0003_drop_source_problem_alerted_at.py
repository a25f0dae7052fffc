"""drop source_problem.alerted_at: written by nothing, read by nothing

An open problem is alerted when it opens (storage.source_problems.update reports it as
a change), so a second timestamp had no use.

Revision ID: 0003
Revises: 0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("source_problem") as batch:
        batch.drop_column("alerted_at")


def downgrade() -> None:
    with op.batch_alter_table("source_problem") as batch:
        batch.add_column(sa.Column("alerted_at", storage.types.UTCDateTime(timezone=True), nullable=True))
