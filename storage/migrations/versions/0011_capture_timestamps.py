"""capture_timestamp: the RFC 3161 token of each matched capture, or when to ask again (issue 13)

Revision ID: 0011
Revises: 0010
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "capture_timestamp",
        sa.Column("capture_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("imprint", sa.String(length=64), nullable=True),
        sa.Column("tsa_url", sa.Text(), nullable=True),
        sa.Column("token", sa.LargeBinary(), nullable=True),
        sa.Column("gen_time", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("serial", sa.String(length=128), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("queued_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stamped_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["capture_id"], ["capture.id"], name=op.f("fk_capture_timestamp_capture_id_capture"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("capture_id", name=op.f("pk_capture_timestamp")),
    )
    op.create_index("ix_capture_timestamp_state_next", "capture_timestamp", ["state", "next_attempt_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_capture_timestamp_state_next", table_name="capture_timestamp")
    op.drop_table("capture_timestamp")
