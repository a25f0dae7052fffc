"""article_url and article.text_fingerprint: one article whatever URL led to it

An AMP copy, a URL without the slug or a mobile host was stored once per URL, because only the
fetched URL was made canonical. Now the page's declared canonical URL and a fingerprint of its
text find the article; the other URLs it was fetched at are kept, so they are not fetched again.

Revision ID: 0006
Revises: 0005
"""
from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import storage.types
from storage.fingerprints import text_fingerprint

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("article") as batch:
        batch.add_column(sa.Column("text_fingerprint", sa.String(length=64), nullable=True))
    op.create_index("ix_article_source_fingerprint", "article", ["source_id", "text_fingerprint"])
    op.create_table(
        "article_url",
        sa.Column("url_key", sa.String(length=64), nullable=False),
        sa.Column("article_id", _ID, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("seen_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], name=op.f("fk_article_url_article_id_article"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("url_key", name=op.f("pk_article_url")),
    )
    op.create_index(op.f("ix_article_url_article_id"), "article_url", ["article_id"], unique=False)
    _fingerprint_recent()


def _fingerprint_recent() -> None:
    """Fingerprint the articles recent enough to be copied (storage.articles.COPY_WINDOW)."""
    bind = op.get_bind()
    article = sa.table("article", sa.column("id", _ID), sa.column("body", sa.Text()),
                       sa.column("fetched_at", storage.types.UTCDateTime()),
                       sa.column("text_fingerprint", sa.String(64)))
    since = storage.types.utcnow() - timedelta(days=30)
    after = 0
    while True:
        rows = bind.execute(sa.select(article.c.id, article.c.body)
                            .where(article.c.id > after, article.c.fetched_at >= since)
                            .order_by(article.c.id).limit(500)).all()
        if not rows:
            return
        bind.execute(sa.update(article).where(article.c.id == sa.bindparam("art_id"))
                     .values(text_fingerprint=sa.bindparam("fp")),
                     [{"art_id": r.id, "fp": text_fingerprint(r.body or "")} for r in rows])
        after = rows[-1].id


def downgrade() -> None:
    op.drop_index(op.f("ix_article_url_article_id"), table_name="article_url")
    op.drop_table("article_url")
    op.drop_index("ix_article_source_fingerprint", table_name="article")
    with op.batch_alter_table("article") as batch:
        batch.drop_column("text_fingerprint")
