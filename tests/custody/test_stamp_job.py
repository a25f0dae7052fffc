"""The stamp job on a real archive: matched captures only, a damaged one never stamped, a bad
TSA reply (garbage, wrong nonce, a stranger's signature) keeps the stamp owed, backing off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.stamping import backoff, stamp_due
from scheduler.timestamp_config import TimestampConfig
from storage import articles, captures, mentions, timestamps
from storage.articles import ArticleRecord
from storage.database import Database
from storage.evidence import CaptureWriter, Exchange, Settings
from storage.mentions import NewMention
from tests.support.tsa import FakeTsa, TsaPki

T0 = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


def _archive(db: Database, root: Path, n: int, matched: int) -> list[int]:
    """n articles, each fetched once and archived; the first `matched` name a watched entity."""
    with db.write() as s:
        ids = articles.insert_articles(s, [ArticleRecord("src", f"https://news.example.org/a/{i}.html",
                                                         f"Title {i}", f"Body {i}", fetched_at=T0)
                                           for i in range(n)])
        mentions.add(s, [NewMention(a, "eleusinov", "body", 0, 4, "Body", "exact", "")
                         for a in ids[:matched] if a is not None])
    writer = CaptureWriter(db, Settings(root))
    for i, art in enumerate(ids):
        writer.write(Exchange(f"https://news.example.org/a/{i}.html", 200, [("Content-Type", "text/html")],
                              f"<html><body>Body {i} {'x' * 500}</body></html>".encode(), T0,
                              ip="192.0.2.7", article_id=art))
    writer.close()
    with db.read() as s:
        return [c.id for a in ids if a is not None for c in captures.for_article(s, a)]


def _settings(tsa: FakeTsa, pki: TsaPki) -> TimestampConfig:
    return TimestampConfig(tsa_url=tsa.url, ca_file=pki.ca_cert, timeout=5)


def test_only_matched_intact_captures_are_stamped(db: Database, tmp_path: Path, tsa: FakeTsa,
                                                  tsa_pki: TsaPki) -> None:
    root = tmp_path / "evidence"
    ids = _archive(db, root, n=4, matched=3)
    with db.read() as s:
        damaged = captures.get(s, ids[1])
    assert damaged is not None
    path = root / damaged.file
    data = bytearray(path.read_bytes())
    # A flipped byte in the compressed body of capture 2's response (past the gzip header, whose
    # time field no digest covers).
    data[damaged.offset + 100] ^= 0x01
    path.write_bytes(bytes(data))

    summary = stamp_due(db, root, _settings(tsa, tsa_pki), now=T0)
    assert summary.queued == 3  # the unmatched article's capture is not stamped
    assert summary.stamped == 2 and summary.failed == 1
    assert "cannot be read back intact" in summary.errors[0]
    assert len(tsa.requests) == 2  # the damaged capture was never sent to the TSA
    with db.read() as s:
        rows = timestamps.of(s, ids)
    assert set(rows) == set(ids[:3])
    assert rows[ids[0]].state == "stamped" and rows[ids[2]].state == "stamped"
    assert rows[ids[1]].state == "pending" and rows[ids[1]].next_attempt_at == T0 + backoff(1)


@pytest.mark.parametrize("mode", ["garbage", "wrong-nonce", "stranger", "html", "rejected"])
def test_a_bad_reply_keeps_the_stamp_owed_and_backs_off(db: Database, tmp_path: Path, tsa: FakeTsa,
                                                        tsa_pki: TsaPki, mode: str) -> None:
    root = tmp_path / "evidence"
    (cid,) = _archive(db, root, n=1, matched=1)
    tsa.mode = mode
    settings = _settings(tsa, tsa_pki)
    for attempt in (1, 2):
        at = T0 + timedelta(hours=attempt)
        summary = stamp_due(db, root, settings, now=at)
        assert (summary.stamped, summary.failed) == (0, 1)
        with db.read() as s:
            row = timestamps.get(s, cid)
        assert row is not None and row.state == "pending" and row.token is None
        assert row.attempts == attempt and row.next_attempt_at == at + backoff(attempt)
    assert backoff(2) == 2 * backoff(1) and backoff(30) == timedelta(hours=6)
    tsa.mode = "ok"
    assert stamp_due(db, root, settings, now=T0 + timedelta(hours=3)).stamped == 1
