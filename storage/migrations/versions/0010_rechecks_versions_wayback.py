"""Re-checks of matched articles, their versions, updates shown in digests, Wayback submissions

Revision ID: 0010
Revises: 0009
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "article_version",
        sa.Column("id", ID, nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("fetched_at", WHEN, nullable=False),
        sa.Column("capture_id", ID, nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"],
                                name=op.f("fk_article_version_article_id_article"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["capture_id"], ["capture.id"],
                                name=op.f("fk_article_version_capture_id_capture"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_version")),
        sa.UniqueConstraint("article_id", "version", name="uq_article_version_article_version"),
    )
    op.create_table(
        "recheck",
        sa.Column("id", ID, nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("version_id", ID, nullable=True),
        sa.Column("is_update", sa.Boolean(), nullable=False),
        sa.Column("alerted_at", WHEN, nullable=True),
        sa.Column("capture_id", ID, nullable=True),
        sa.ForeignKeyConstraint(["capture_id"], ["capture.id"],
                                name=op.f("fk_recheck_capture_id_capture"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"],
                                name=op.f("fk_recheck_article_id_article"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["article_version.id"],
                                name=op.f("fk_recheck_version_id_article_version"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recheck")),
    )
    op.create_index("ix_recheck_article_at", "recheck", ["article_id", "at"], unique=False)
    op.create_index("ix_recheck_update_alerted", "recheck", ["is_update", "alerted_at"], unique=False)
    op.create_table(
        "digest_update",
        sa.Column("id", ID, nullable=False),
        sa.Column("digest_id", ID, nullable=False),
        sa.Column("subscriber_id", sa.String(length=128), nullable=False),
        sa.Column("recheck_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["digest_id"], ["digest.id"],
                                name=op.f("fk_digest_update_digest_id_digest"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recheck_id"], ["recheck.id"],
                                name=op.f("fk_digest_update_recheck_id_recheck"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_update")),
        sa.UniqueConstraint("subscriber_id", "recheck_id", name="uq_digest_update_subscriber_recheck"),
    )
    op.create_index(op.f("ix_digest_update_digest_id"), "digest_update", ["digest_id"], unique=False)
    op.create_index(op.f("ix_digest_update_recheck_id"), "digest_update", ["recheck_id"], unique=False)
    op.create_table(
        "wayback_submission",
        sa.Column("id", ID, nullable=False),
        sa.Column("article_id", ID, nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_key", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("job_id", sa.String(length=255), nullable=True),
        sa.Column("snapshot_url", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", WHEN, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("submitted_at", WHEN, nullable=True),
        sa.Column("done_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"],
                                name=op.f("fk_wayback_submission_article_id_article"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wayback_submission")),
    )
    op.create_index(op.f("ix_wayback_submission_article_id"), "wayback_submission", ["article_id"])
    op.create_index(op.f("ix_wayback_submission_url_key"), "wayback_submission", ["url_key"])
    op.create_index("ix_wayback_submission_state_next", "wayback_submission", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("wayback_submission")
    op.drop_table("digest_update")
    op.drop_index("ix_recheck_update_alerted", table_name="recheck")
    op.drop_index("ix_recheck_article_at", table_name="recheck")
    op.drop_table("recheck")
    op.drop_table("article_version")
