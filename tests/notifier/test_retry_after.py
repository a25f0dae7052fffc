"""A server's retry_after is checked and capped; one bad answer never stops the rest of the run."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from notifier.channels.base import Outgoing, SendResult, TransientError
from notifier.channels.telegram import Pacer, TelegramSender
from notifier.digest import create_digest
from notifier.outbox import RetryPolicy, deliver_pending
from notifier.settings import ChannelSpec, TelegramApi, TelegramSettings
from storage.database import Database
from storage.models import Delivery
from tests.notifier.conftest import (
    ENTITIES,
    NOW,
    TOKEN,
    FakeBotApi,
    FakeClock,
    add_article,
    subscriber,
)

CAP = RetryPolicy().cap


def _seed(db: Database, *channels: ChannelSpec) -> None:
    add_article(db, "Елеусінов сотталды", "Сот Әмин Елеусінов ісін қарады.",
                mentions={"eleusinov": "Елеусінов"})
    for i, channel in enumerate(channels):
        assert create_digest(db, subscriber(channel, id=f"s{i}"), ENTITIES, NOW) is not None


def _rows(db: Database) -> dict[str, Delivery]:
    with db.read() as s:
        return {d.channel: d for d in s.scalars(select(Delivery))}


@pytest.mark.parametrize("value", [1e10, 1e12, 10**400])
def test_a_huge_retry_after_is_capped_at_an_hour(
    db: Database, bot_api: FakeBotApi, value: Any
) -> None:
    _seed(db, ChannelSpec(type="telegram", chat_id="6101"), ChannelSpec(type="telegram", chat_id="6102"))
    bot_api.then("6101", 429, "Too Many Requests", retry_after=value)
    clock = FakeClock()
    sender = TelegramSender(TelegramSettings(TelegramApi(api_base=bot_api.api_base), TOKEN),
                            pacer=Pacer(clock=clock, sleep=clock.sleep))

    report = deliver_pending(db, {"telegram": sender}, NOW, clock=clock)

    assert report.retrying == 2 and report.sent == report.failed == 0
    for row in _rows(db).values():  # the flood pause is the bot's: the other chat waits too
        assert row.state == "retrying" and row.next_attempt_at is not None
        assert NOW < row.next_attempt_at <= NOW + CAP + dt.timedelta(minutes=1)
    assert sum(clock.sleeps) < 5, "the run did not sleep through the ban"


@pytest.mark.parametrize("value", [math.nan, math.inf, "soon", [5]])
def test_an_unusable_retry_after_is_a_short_pause_and_the_message_goes_out(
    db: Database, bot_api: FakeBotApi, value: Any
) -> None:
    _seed(db, ChannelSpec(type="telegram", chat_id="6201"), ChannelSpec(type="telegram", chat_id="6202"))
    bot_api.then("6201", 429, "Too Many Requests", retry_after=value)
    clock = FakeClock()
    sender = TelegramSender(TelegramSettings(TelegramApi(api_base=bot_api.api_base), TOKEN),
                            pacer=Pacer(clock=clock, sleep=clock.sleep))

    report = deliver_pending(db, {"telegram": sender}, NOW, clock=clock)

    assert report.sent == 2 and report.retrying == report.failed == 0
    assert len(bot_api.texts("6201")) == 1 and len(bot_api.texts("6202")) == 1


class Scripted:
    """A channel that fails the file deliveries named in `errors` and sends the rest."""

    def __init__(self, errors: dict[str, Exception], broken_units: frozenset[str] = frozenset()) -> None:
        self.errors = errors
        self.broken_units = broken_units
        self.sent: list[str] = []

    def units(self, msg: Outgoing) -> int:
        if msg.target in self.broken_units:
            raise RuntimeError("a bug in this channel")
        return 1

    def send(self, msg: Outgoing, unit: int) -> SendResult:
        error = self.errors.get(msg.target)
        if error is not None:
            raise error
        self.sent.append(msg.target)
        return SendResult()

    def close(self) -> None:
        pass


def test_a_channel_answer_the_outbox_cannot_use_stays_with_that_row(
    db: Database, tmp_path: Path
) -> None:
    targets = [str(tmp_path / f"t{i}") for i in range(5)]
    _seed(db, *(ChannelSpec(type="file", path=t) for t in targets))
    channel = Scripted(
        {targets[0]: TransientError("overflow", retry_after=1e12),
         targets[1]: TransientError("not a number", retry_after=math.nan),
         targets[2]: TransientError("not even a float", retry_after="soon")},  # type: ignore[arg-type]
        broken_units=frozenset({targets[3]}),
    )

    report = deliver_pending(db, {"file": channel}, NOW, clock=FakeClock())

    assert channel.sent == [targets[4]], "the relay went on past every bad row"
    rows = _rows(db)
    capped = rows[f"file:{targets[0]}"].next_attempt_at
    assert capped is not None and capped <= NOW + CAP + dt.timedelta(minutes=1)
    for t in targets[1:3]:  # no usable retry_after: the ordinary backoff
        row = rows[f"file:{t}"]
        assert row.state == "retrying" and row.next_attempt_at is not None
        assert row.next_attempt_at <= NOW + RetryPolicy().first + dt.timedelta(minutes=1)
    # The row whose handling broke stays claimed, and is retried once the claim lapses.
    broken = rows[f"file:{targets[3]}"]
    assert broken.state == "pending" and broken.next_attempt_at is not None
    assert report.retrying == 3 and report.sent == 1
