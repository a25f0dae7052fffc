"""One outbox pass of the service: secrets read once, senders opened once and closed by it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import scheduler.digesting as digesting
from notifier.channels.base import Outgoing, PermanentError, SendResult
from notifier.digest import create_digest
from notifier.settings import ChannelType, DeliverySettings
from scheduler.config import Config
from scheduler.digesting import deliver_outbox
from scheduler.wiring import entity_infos, subscriber_spec
from storage.database import Database
from tests.notifier.conftest import add_article


class Recording:
    """Refuses subscribers' digests for good (so admins hear of it) and keeps admin alerts."""

    def __init__(self) -> None:
        self.alerts: list[str] = []
        self.closed = 0

    def units(self, msg: Outgoing) -> int:
        return 1

    def send(self, msg: Outgoing, unit: int) -> SendResult:
        assert not self.closed
        if msg.delivery_id:
            raise PermanentError("disk says no")
        self.alerts.append(msg.subject)
        return SendResult()

    def close(self) -> None:
        self.closed += 1


def test_one_pass_opens_the_senders_once_for_the_outbox_and_the_alerts(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = Config.model_validate({
        "database": {"url": db.url},
        "watchlists": [{"id": "w", "entities": [{"id": "kharkova", "name": "Larisa Kharkova"}]}],
        "subscribers": [{"id": "bureau", "watchlists": ["w"],
                         "channels": [{"type": "file", "path": str(tmp_path / "out")}]}],
        "admins": [{"id": "ops", "channels": [{"type": "file", "path": str(tmp_path / "ops")}]}],
    })
    now = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)
    add_article(db, "Харькова", "Лариса Харькова сотталды.", mentions={"kharkova": "Харькова"},
                published=now - dt.timedelta(hours=1))
    assert create_digest(db, subscriber_spec(cfg, cfg.subscribers[0]), entity_infos(cfg), now)

    reads: list[DeliverySettings] = []
    real_settings = digesting.delivery_settings
    opened: list[Recording] = []

    def counting_settings(c: Config) -> DeliverySettings:
        reads.append(real_settings(c))
        return reads[-1]

    @contextmanager
    def recording_senders(settings: DeliverySettings) -> Iterator[dict[ChannelType, Recording]]:
        assert settings is reads[-1]
        opened.append(Recording())
        try:
            yield {ChannelType.FILE: opened[-1]}
        finally:
            opened[-1].close()

    monkeypatch.setattr(digesting, "delivery_settings", counting_settings)
    monkeypatch.setattr(digesting, "open_senders", recording_senders)
    report = deliver_outbox(cfg, db, now)

    assert report.failed == 1
    assert len(reads) == 1 and len(opened) == 1, "one pass: secrets read and senders opened once"
    [sender] = opened
    assert sender.alerts == ["unionwatch: Delivery failed (1)"], "the alert went through the same sender"
    assert sender.closed == 1
