"""capture: the index of the WARC records of every article fetch (evidence, issue 13)

Revision ID: 0006
Revises: 0005
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "capture",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file", sa.String(length=512), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("payload_digest", sa.String(length=80), nullable=False),
        sa.Column("block_digest", sa.String(length=80), nullable=False),
        sa.Column("payload_length", sa.BigInteger(), nullable=False),
        sa.Column("fetched_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], name=op.f("fk_capture_article_id_article"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capture")),
    )
    op.create_index(op.f("ix_capture_article_id"), "capture", ["article_id"], unique=False)
    op.create_index(op.f("ix_capture_url_key"), "capture", ["url_key"], unique=False)
    op.create_index(op.f("ix_capture_fetched_at"), "capture", ["fetched_at"], unique=False)
    op.create_index("ix_capture_file_offset", "capture", ["file", "offset"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_capture_file_offset", table_name="capture")
    op.drop_index(op.f("ix_capture_fetched_at"), table_name="capture")
    op.drop_index(op.f("ix_capture_url_key"), table_name="capture")
    op.drop_index(op.f("ix_capture_article_id"), table_name="capture")
    op.drop_table("capture")
