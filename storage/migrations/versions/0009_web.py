"""The web: a full-text index of articles, an index on their dates, false-alarm marks, the work queue

SQLite: an FTS5 table over article title and body kept by triggers (external content, so the
text is stored once). PostgreSQL: a generated tsvector column with a GIN index.

Revision ID: 0009
Revises: 0008
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_SQLITE_FTS = [
    "CREATE VIRTUAL TABLE article_fts USING fts5(title, body, content='article', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER article_fts_ai AFTER INSERT ON article BEGIN "
    "INSERT INTO article_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER article_fts_ad AFTER DELETE ON article BEGIN "
    "INSERT INTO article_fts(article_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER article_fts_au AFTER UPDATE OF title, body ON article BEGIN "
    "INSERT INTO article_fts(article_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO article_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "INSERT INTO article_fts(article_fts) VALUES ('rebuild')",
]
_PG_FTS = [
    "ALTER TABLE article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(body, ''))) STORED",
    "CREATE INDEX ix_article_search_vector ON article USING gin (search_vector)",
]


def upgrade() -> None:
    statements = _PG_FTS if op.get_bind().dialect.name == "postgresql" else _SQLITE_FTS
    for sql in statements:
        op.execute(sql)
    # When an article is from, as search and the entity page sort by it: newest first stays a
    # walk down an index on a large archive.
    op.execute("CREATE INDEX ix_article_dated ON article (coalesce(published_at, fetched_at))")
    op.create_table(
        "false_alarm",
        sa.Column("id", _ID, nullable=False),
        sa.Column("article_id", _ID, nullable=False),
        sa.Column("entity_id", sa.String(length=128), nullable=False),
        sa.Column("reader", sa.String(length=128), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], name=op.f("fk_false_alarm_article_id_article"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_false_alarm")),
        sa.UniqueConstraint("article_id", "entity_id", "reader", name="uq_false_alarm_article_entity_reader"),
    )
    op.create_index("ix_false_alarm_reader_entity", "false_alarm", ["reader", "entity_id"], unique=False)
    op.create_table(
        "work_request",
        sa.Column("id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=128), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("requested_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_request")),
    )
    op.create_index(op.f("ix_work_request_requested_at"), "work_request", ["requested_at"], unique=False)
    op.create_index(op.f("ix_work_request_done_at"), "work_request", ["done_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_work_request_done_at"), table_name="work_request")
    op.drop_index(op.f("ix_work_request_requested_at"), table_name="work_request")
    op.drop_table("work_request")
    op.drop_index("ix_false_alarm_reader_entity", table_name="false_alarm")
    op.drop_table("false_alarm")
    op.execute("DROP INDEX IF EXISTS ix_article_dated")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_article_search_vector")
        op.execute("ALTER TABLE article DROP COLUMN IF EXISTS search_vector")
    else:
        for name in ("article_fts_au", "article_fts_ad", "article_fts_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS article_fts")
