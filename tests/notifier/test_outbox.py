"""The outbox relay: crash recovery, concurrent relays, the file channel, admin alerts."""

from __future__ import annotations

import datetime as dt
import threading
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from notifier.alerts import build_alerts, send_alerts
from notifier.channels.base import Outgoing, SendResult
from notifier.channels.file import FileSender
from notifier.digest import create_digest
from notifier.outbox import deliver_pending
from notifier.settings import ChannelSpec, ChannelType
from storage.database import Database
from storage.models import Delivery
from tests.notifier.conftest import ENTITIES, NOW, FakeClock, add_article, subscriber


class Counting:
    """A channel that records every message it is asked to send."""

    def __init__(self, crash_before: bool = False) -> None:
        self.sent: list[tuple[int, int]] = []
        self.lock = threading.Lock()
        self.crash_before = crash_before

    def units(self, msg: Outgoing) -> int:
        return 1

    def send(self, msg: Outgoing, unit: int) -> SendResult:
        if self.crash_before:
            raise SystemExit("killed before the send")
        with self.lock:
            self.sent.append((msg.delivery_id, unit))
        return SendResult()

    def close(self) -> None:
        pass


def _seed_digests(db: Database, n: int, folder: Path) -> None:
    add_article(db, "Харькова", "Лариса Харькова сотталды.", language="ru",
                mentions={"kharkova": "Харькова"})
    for i in range(n):
        sub = subscriber(ChannelSpec(type="file", path=str(folder / f"s{i}")), id=f"sub/{i}")
        assert create_digest(db, sub, ENTITIES, NOW) is not None


def test_left_pending_by_a_crash_sends_exactly_once_on_the_next_run(
    db: Database, tmp_path: Path
) -> None:
    _seed_digests(db, 3, tmp_path)  # the process "died" right after create_digest committed
    counting = Counting()
    assert deliver_pending(db, {"file": counting}, NOW).sent == 3
    assert deliver_pending(db, {"file": counting}, NOW + dt.timedelta(hours=1)).sent == 0
    assert sorted(counting.sent) == sorted(set(counting.sent)) and len(counting.sent) == 3


def test_crash_after_the_claim_sends_after_the_claim_lapses(db: Database, tmp_path: Path) -> None:
    _seed_digests(db, 1, tmp_path)
    with pytest.raises(SystemExit):
        deliver_pending(db, {"file": Counting(crash_before=True)}, NOW, clock=FakeClock())
    counting = Counting()
    assert deliver_pending(db, {"file": counting}, NOW + dt.timedelta(minutes=5)).sent == 0
    assert deliver_pending(db, {"file": counting}, NOW + dt.timedelta(minutes=10)).sent == 1
    with db.read() as s:
        row = s.scalars(select(Delivery)).one()
    assert row.state == "sent" and row.attempts == 2


def test_two_relays_at_once_send_each_delivery_once(db: Database, tmp_path: Path) -> None:
    _seed_digests(db, 40, tmp_path)
    counting = Counting()
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def relay() -> None:
        barrier.wait()
        try:
            deliver_pending(db, {"file": counting}, NOW, batch_size=5)
        except BaseException as exc:  # any exception is the failure this test looks for
            errors.append(exc)

    threads = [threading.Thread(target=relay) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = [d for d, _ in counting.sent]
    assert len(ids) == len(set(ids)) == 40


def test_file_channel_writes_eml_and_html_atomically(db: Database, tmp_path: Path) -> None:
    _seed_digests(db, 1, tmp_path)
    report = deliver_pending(db, {"file": FileSender(list_id="digest.example.org")}, NOW)
    assert report.sent == 1
    folder = tmp_path / "s0"
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["1-sub_0.eml", "1-sub_0.html"]  # subscriber id made file-name safe
    page = (folder / "1-sub_0.html").read_text(encoding="utf-8")
    assert "<mark>Харькова</mark>" in page and "Content-Security-Policy" in page
    eml = message_from_bytes((folder / "1-sub_0.eml").read_bytes(), policy=policy.default)
    assert [p.get_content_type() for p in eml.iter_parts()] == ["text/plain", "text/html"]
    assert str(eml["Subject"]).startswith("1 new: Kharkova")
    with db.read() as s:
        assert eml["Message-ID"] == s.scalars(select(Delivery.message_id)).one()


def test_admin_alerts_reach_the_admin_channels(db: Database, tmp_path: Path) -> None:
    _seed_digests(db, 1, tmp_path)

    class Refusing(Counting):
        def send(self, msg: Outgoing, unit: int) -> SendResult:
            from notifier.channels.base import ChannelGone

            raise ChannelGone("Telegram 403: Forbidden: bot was blocked by the user")

    report = deliver_pending(db, {"file": Refusing()}, NOW, clock=FakeClock())
    alerts = build_alerts(report)
    assert [a.kind for a in alerts] == ["disabled"]
    assert "sub/0" in alerts[0].text and "blocked" in alerts[0].text

    admin = ChannelSpec(type="file", path=str(tmp_path / "admin"))
    # Unvalidated: config refuses a domain without a dot, but only the missing sender matters.
    no_sender = ChannelSpec.model_construct(type=ChannelType.EMAIL, to="x@y")
    failures = send_alerts(alerts, [admin, no_sender], {"file": FileSender()})
    assert failures == ["email:x@y: no sender for email"]
    [html_file] = (tmp_path / "admin").glob("*.html")
    assert "bot was blocked" in html_file.read_text(encoding="utf-8")
