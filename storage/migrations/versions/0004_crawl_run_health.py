"""crawl_run.already_known, not_modified and reason: a source's signs of health

Without the first two, three runs with nothing new (every link known, or the feed answering
304) read as a source whose layout changed; without the reason, `status` showed a failed
source with no word of why.

Revision ID: 0004
Revises: 0003
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_run") as batch:
        batch.add_column(sa.Column("already_known", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("not_modified", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("reason", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_run") as batch:
        batch.drop_column("reason")
        batch.drop_column("not_modified")
        batch.drop_column("already_known")
