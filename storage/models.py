"""The database schema: articles, mentions, crawl runs, the digest outbox and its runs, leases."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import BigId, UTCDateTime, utcnow

# Stable constraint names keep Alembic's batch migrations on SQLite deterministic.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Article(Base):
    """One news article, stored once whatever URL variant or feed it arrived by."""

    __tablename__ = "article"
    __table_args__ = (
        UniqueConstraint("source_id", "guid", name="uq_article_source_guid"),
        Index("ix_article_source_fingerprint", "source_id", "text_fingerprint"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[str] = mapped_column(String(64), unique=True)
    guid: Mapped[str | None] = mapped_column(String(512))
    title: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    # storage.fingerprints: the same text under another URL of the site is the same article.
    text_fingerprint: Mapped[str | None] = mapped_column(String(64))
    raw_html: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # NULL until the matcher has looked at the article: a crash between storing and
    # matching leaves it NULL, so the next match pass picks it up.
    matched_at: Mapped[datetime | None] = mapped_column(index=True)

    mentions: Mapped[list[Mention]] = relationship(
        back_populates="article", cascade="all, delete-orphan", passive_deletes=True
    )


class ArticleUrl(Base):
    """Another URL that led to a stored article: the page it was fetched at when that page
    declared another canonical URL, or a copy of its text (AMP, mobile host, URL without the
    slug). Spiders do not fetch a known URL again."""

    __tablename__ = "article_url"

    url_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Mention(Base):
    """Where a watched entity is named in an article, with the evidence."""

    __tablename__ = "mention"
    __table_args__ = (
        UniqueConstraint("article_id", "entity_id", "field", "start", name="uq_mention_place"),
        Index("ix_mention_entity_article", "entity_id", "article_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    entity_id: Mapped[str] = mapped_column(String(128))
    field: Mapped[str] = mapped_column(String(8))  # "title" or "body"
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    surface: Mapped[str] = mapped_column(Text)
    tier: Mapped[str] = mapped_column(String(16))
    explanation: Mapped[str] = mapped_column(Text, default="")

    article: Mapped[Article] = relationship(back_populates="mentions")


class EntityState(Base):
    """The definition of each watched entity as last matched, to notice config changes."""

    __tablename__ = "entity_state"

    entity_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CrawlRun(Base):
    __tablename__ = "crawl_run"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")  # storage.crawl_runs.CrawlStatus
    pages: Mapped[int] = mapped_column(Integer, default=0)
    new_articles: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    error_kinds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Signs of health on a quiet day: links skipped as stored already, feeds answered 304.
    already_known: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_modified: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reason: Mapped[str | None] = mapped_column(String(64))  # why it ended: Scrapy's close reason


class CrawlError(Base):
    __tablename__ = "crawl_error"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class HttpCache(Base):
    """Validators for conditional GET of feeds and sitemaps."""

    __tablename__ = "http_cache"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


class Digest(Base):
    """A subscriber's digest: the articles assigned to it, once and for all."""

    __tablename__ = "digest"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscriber_id: Mapped[str] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    period_start: Mapped[datetime | None]  # the previous digest's period_end (None: the first)
    period_end: Mapped[datetime]
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    # "digest" (the scheduled daily or weekly one) or "instant" (an alert right after a crawl)
    kind: Mapped[str] = mapped_column(String(16), default="digest", server_default="digest")

    items: Mapped[list[DigestItem]] = relationship(
        back_populates="digest", cascade="all, delete-orphan", passive_deletes=True
    )
    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="digest", cascade="all, delete-orphan", passive_deletes=True
    )


class DigestItem(Base):
    """An article assigned to a subscriber's digest; the unique key is the 'at most once'."""

    __tablename__ = "digest_item"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "article_id", name="uq_digest_item_subscriber_article"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digest.id", ondelete="CASCADE"), index=True)
    subscriber_id: Mapped[str] = mapped_column(String(128))
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    entity_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)

    digest: Mapped[Digest] = relationship(back_populates="items")
    article: Mapped[Article] = relationship()


class Delivery(Base):
    """The outbox row of one digest on one channel: rendered once, sent until done."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("digest_id", "channel", name="uq_delivery_digest_channel"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digest.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(512))  # "email:a@b", "telegram:123", "file:path"
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # DeliveryState
    message_id: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    parts: Mapped[list[str]] = mapped_column(JSON, default=list)  # e.g. Telegram messages
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]

    digest: Mapped[Digest] = relationship(back_populates="deliveries")


class ChannelState(Base):
    """A channel that must not be used any more (Telegram 403, chat not found)."""

    __tablename__ = "channel_state"

    channel: Mapped[str] = mapped_column(String(512), primary_key=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    replaced_by: Mapped[str | None] = mapped_column(String(512))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Lease(Base):
    """A named lock with an expiry: one scheduler per database, one crawl per source."""

    __tablename__ = "lease"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


class SourceProblem(Base):
    """An open problem of a source (failing, no articles, silent): admins hear of it once."""

    __tablename__ = "source_problem"

    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    problem: Mapped[str] = mapped_column(String(32), primary_key=True)
    message: Mapped[str] = mapped_column(Text, default="")
    since: Mapped[datetime] = mapped_column(default=utcnow)


class DigestRun(Base):
    """A scheduled digest run of a subscriber, whether or not it found anything to send."""

    __tablename__ = "digest_run"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscriber_id: Mapped[str] = mapped_column(String(128), index=True)
    due_at: Mapped[datetime] = mapped_column(index=True)  # the scheduled time it served
    ran_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None: it had nothing to send
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digest.id", ondelete="SET NULL"))


class Heartbeat(Base):
    """When a named service was last seen running: the end of its last uptime, after a crash too."""

    __tablename__ = "heartbeat"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    beat_at: Mapped[datetime]


class Capture(Base):
    """One HTTP exchange as fetched, archived as WARC records: where they lie and their digests.

    The records (response, then request) are `length` bytes at `offset` of `file` (relative
    to evidence.dir), each record its own gzip member, so the range reads and copies alone.
    """

    __tablename__ = "capture"
    __table_args__ = (Index("ix_capture_file_offset", "file", "offset"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # NULL until an article of this URL is stored (storage.captures.link_articles).
    article_id: Mapped[int | None] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="crawl")  # "crawl", "recheck"
    file: Mapped[str] = mapped_column(String(512))
    offset: Mapped[int] = mapped_column(BigInteger)
    length: Mapped[int] = mapped_column(BigInteger)
    record_id: Mapped[str] = mapped_column(String(64))  # the response record's WARC-Record-ID
    payload_digest: Mapped[str] = mapped_column(String(80))  # "sha256:" + base32, as in the record
    block_digest: Mapped[str] = mapped_column(String(80))
    payload_length: Mapped[int] = mapped_column(BigInteger)
    fetched_at: Mapped[datetime] = mapped_column(index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)


class OptOut(Base):
    """A subscriber's channel that asked for nothing more (Telegram /stop, the web, an email).

    Config says who may subscribe; this says who opted out, so a config reload cannot undo it.
    `channel` is the outbox's channel key ("telegram:123", "email:a@b", "webhook:ENV_NAME").
    """

    __tablename__ = "opt_out"

    subscriber_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    channel: Mapped[str] = mapped_column(String(512), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    via: Mapped[str] = mapped_column(String(16))  # "telegram", "web", "email", "cli"
    note: Mapped[str | None] = mapped_column(Text)


class BotOffset(Base):
    """The getUpdates offset of a Telegram bot: updates below it were handled already."""

    __tablename__ = "bot_offset"

    bot: Mapped[str] = mapped_column(String(64), primary_key=True)  # the bot id, never the token
    next_offset: Mapped[int] = mapped_column(BigId)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FalseAlarm(Base):
    """A reader's mark that a mention is not about the watched entity ("not about this person")."""

    __tablename__ = "false_alarm"
    __table_args__ = (
        UniqueConstraint("article_id", "entity_id", "reader", name="uq_false_alarm_article_entity_reader"),
        Index("ix_false_alarm_reader_entity", "reader", "entity_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    entity_id: Mapped[str] = mapped_column(String(128))
    reader: Mapped[str] = mapped_column(String(128))  # a subscriber id, or "admin"
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkRequest(Base):
    """Work the web asks the service to do (crawl a source now, re-send a digest): a DB queue."""

    __tablename__ = "work_request"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "crawl" or "resend"
    target: Mapped[str] = mapped_column(String(128))  # a source id, or a digest id
    requested_by: Mapped[str] = mapped_column(String(128), default="admin")
    requested_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    done_at: Mapped[datetime | None] = mapped_column(index=True)
    result: Mapped[str | None] = mapped_column(Text)


class ArticleVersion(Base):
    """A text of an article as a re-check found it; version 1 is the text first stored."""

    __tablename__ = "article_version"
    __table_args__ = (UniqueConstraint("article_id", "version", name="uq_article_version_article_version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[datetime]
    # The WARC capture of the fetch that found this text (evidence capture), when there is one.
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id", ondelete="SET NULL"))


class Recheck(Base):
    """One re-fetch of a matched article: unchanged, changed (a new version), removed or failed."""

    __tablename__ = "recheck"
    __table_args__ = (
        Index("ix_recheck_article_at", "article_id", "at"),
        Index("ix_recheck_update_alerted", "is_update", "alerted_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16))  # storage.rechecks.RecheckState
    status_code: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(Text)  # where a redirect ended
    detail: Mapped[str | None] = mapped_column(Text)  # why removed, or the failure
    version_id: Mapped[int | None] = mapped_column(ForeignKey("article_version.id", ondelete="SET NULL"))
    # The WARC capture of this re-fetch's answer (a 404 page is evidence of the removal too).
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id", ondelete="SET NULL"))
    # A change or a new removal: what admins and subscribers are told about.
    is_update: Mapped[bool] = mapped_column(Boolean, default=False)
    alerted_at: Mapped[datetime | None]  # when the admins' alert took it


class DigestUpdate(Base):
    """A re-check's update shown in a subscriber's digest; the unique key is the 'once'."""

    __tablename__ = "digest_update"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "recheck_id", name="uq_digest_update_subscriber_recheck"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digest.id", ondelete="CASCADE"), index=True)
    subscriber_id: Mapped[str] = mapped_column(String(128))
    recheck_id: Mapped[int] = mapped_column(ForeignKey("recheck.id", ondelete="CASCADE"), index=True)


class WaybackSubmission(Base):
    """A URL to archive with the Wayback Machine's Save Page Now: queued, polled, done."""

    __tablename__ = "wayback_submission"
    __table_args__ = (Index("ix_wayback_submission_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")  # storage.wayback.WaybackState
    job_id: Mapped[str | None] = mapped_column(String(255))
    snapshot_url: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]


class CaptureTimestamp(Base):
    """The RFC 3161 token of a capture (evidence.timestamp), or why it is still owed.

    A row is queued when the capture's article is matched; the stamp job fills in the TSA's
    reply, or counts the attempt and when to try again. The capture never depends on it.
    """

    __tablename__ = "capture_timestamp"
    __table_args__ = (Index("ix_capture_timestamp_state_next", "state", "next_attempt_at"),)

    capture_id: Mapped[int] = mapped_column(BigId, ForeignKey("capture.id", ondelete="CASCADE"),
                                            primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # storage.timestamps.StampState
    imprint: Mapped[str | None] = mapped_column(String(64))  # hex SHA-256 of what was stamped
    tsa_url: Mapped[str | None] = mapped_column(Text)
    token: Mapped[bytes | None] = mapped_column(LargeBinary)  # the TSA's reply (TimeStampResp, DER)
    gen_time: Mapped[datetime | None]  # the time the TSA vouches for
    serial: Mapped[str | None] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    stamped_at: Mapped[datetime | None]
