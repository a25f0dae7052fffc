"""opt_out, digest.kind and bot_offset: opt-outs that outlive config reloads, instant alerts,
and the Telegram poller's place in its updates

Revision ID: 0008
Revises: 0007
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opt_out",
        sa.Column("subscriber_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=512), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("subscriber_id", "channel", name=op.f("pk_opt_out")),
    )
    op.create_table(
        "bot_offset",
        sa.Column("bot", sa.String(length=64), nullable=False),
        sa.Column("next_offset", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bot", name=op.f("pk_bot_offset")),
    )
    with op.batch_alter_table("digest") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), server_default="digest", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("digest") as batch:
        batch.drop_column("kind")
    op.drop_table("bot_offset")
    op.drop_table("opt_out")
