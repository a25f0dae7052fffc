"""digest_run and heartbeat: which digest times were served, and when the service was up

A digest missed while the service was down used to be found from the last digest row, which a
run with nothing to send does not write and a subscriber who never had a digest lacks.

Revision ID: 0005
Revises: 0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_run",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subscriber_id", sa.String(length=128), nullable=False),
        sa.Column("due_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ran_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("digest_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(["digest_id"], ["digest.id"], name=op.f("fk_digest_run_digest_id_digest"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_run")),
    )
    op.create_index(op.f("ix_digest_run_subscriber_id"), "digest_run", ["subscriber_id"], unique=False)
    op.create_index(op.f("ix_digest_run_due_at"), "digest_run", ["due_at"], unique=False)
    op.create_table(
        "heartbeat",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("beat_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_heartbeat")),
    )


def downgrade() -> None:
    op.drop_table("heartbeat")
    op.drop_index(op.f("ix_digest_run_due_at"), table_name="digest_run")
    op.drop_index(op.f("ix_digest_run_subscriber_id"), table_name="digest_run")
    op.drop_table("digest_run")
