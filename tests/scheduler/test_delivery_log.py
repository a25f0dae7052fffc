"""The log says each delivery's outcome once (subscriber, items, channel, result) and each admin
alert once, at INFO or above, and never what the message says."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from notifier.digest import create_digest
from scheduler.config import Config
from scheduler.digesting import deliver_outbox
from scheduler.wiring import entity_infos, subscriber_spec
from storage.database import Database
from tests.notifier.conftest import add_article

NOW = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)
BODY = "Лариса Харькова сотталды, деп хабарлады сот."


def _config(db: Database, tmp_path: Path, *, admins: bool) -> Config:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the desk's folder should be", encoding="utf-8")
    channel = {"type": "file", "path": str(tmp_path / "ops")}
    return Config.model_validate({
        "database": {"url": db.url},
        "watchlists": [{"id": "w", "entities": [{"id": "kharkova", "name": "Larisa Kharkova"}]}],
        "subscribers": [
            {"id": "bureau", "watchlists": ["w"],
             "channels": [{"type": "file", "path": str(tmp_path / "out")}]},
            {"id": "desk", "watchlists": ["w"],
             "channels": [{"type": "file", "path": str(blocker / "desk")}]},
        ],
        "admins": [{"id": "ops", "channels": [channel]}] if admins else [],
    })


@pytest.mark.parametrize("desk_age_days", [0, 3])
@pytest.mark.parametrize("admins", [True, False])
def test_each_delivery_and_alert_is_one_line_without_the_message(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture, desk_age_days: int, admins: bool
) -> None:
    cfg = _config(db, tmp_path, admins=admins)
    add_article(db, "Харькова сотталды", BODY, mentions={"kharkova": "Харькова"},
                published=NOW - dt.timedelta(days=4))
    add_article(db, "Харькова тағы да", "Лариса Харькова туралы жаңа хабар.",
                url="https://example.org/2", mentions={"kharkova": "Харькова"},
                published=NOW - dt.timedelta(days=4))
    bureau, desk = (subscriber_spec(cfg, s) for s in cfg.subscribers)
    # The desk's digest was made days ago; past two days its failure is final (and alerts).
    desk_digest = create_digest(db, desk, entity_infos(cfg), NOW - dt.timedelta(days=desk_age_days))
    bureau_digest = create_digest(db, bureau, entity_infos(cfg), NOW)
    assert desk_digest and bureau_digest

    caplog.set_level(logging.INFO)
    report = deliver_outbox(cfg, db, NOW)

    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    text = "\n".join(m for _, m in messages)
    ops = f"file:{tmp_path / 'ops'}"
    sent = [m for level, m in messages if level == logging.INFO and m.endswith(": sent")]
    bureau_channel = f"file:{tmp_path / 'out'}"
    assert sent == [f"delivery 2 (subscriber bureau, 2 items, {bureau_channel}, attempt 1): sent"], text
    trouble = [m for level, m in messages if level == logging.WARNING and "subscriber desk" in m]
    desk_channel = f"file:{tmp_path / 'not-a-folder' / 'desk'}"
    desk_head = f"delivery 1 (subscriber desk, 2 items, {desk_channel}, attempt 1)"
    [line] = trouble
    if desk_age_days:
        assert report.failed == 1
        assert line.startswith(f"{desk_head}: failed: gave up after 1 attempts: cannot write to "), line
        expected_alert = f"admin alert: unionwatch: Delivery failed (1) (to {ops if admins else 'no one'}"
        alerts = [m for level, m in messages if level == logging.WARNING and m.startswith("admin alert")]
        assert [a.startswith(expected_alert) for a in alerts] == [True], text
    else:
        assert report.retrying == 1
        assert line.startswith(f"{desk_head}: retrying at 2026-11-25 03:01:00 UTC: cannot write to "), line
        assert "admin alert" not in text, "a transient failure is no news for the admins"
    for n in (1, 2):
        assert sum(f"delivery {n} " in m for _, m in messages) == 1, f"delivery {n} logged once:\n{text}"
    for said in (BODY, "Харькова тағы да", "сотталды"):
        assert said not in text, "the log carries no message text"
