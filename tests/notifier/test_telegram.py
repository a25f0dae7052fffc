"""Telegram through a local HTTP server speaking the Bot API: limits, errors, token hygiene."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from notifier.alerts import build_alerts
from notifier.channels.base import Outgoing, SendResult, TransientError
from notifier.channels.telegram import Pacer, TelegramSender, quiet_http_logging
from notifier.digest import create_digest
from notifier.outbox import deliver_pending
from notifier.settings import ChannelKey, ChannelSpec, TelegramApi, TelegramSettings
from storage.database import Database
from storage.models import ChannelState, Delivery
from tests.notifier.conftest import (
    ENTITIES,
    NOW,
    TOKEN,
    FakeBotApi,
    FakeClock,
    add_article,
    refused_port,
    subscriber,
    telegram_html_error,
)


def _sender(api: FakeBotApi, clock: FakeClock | None = None, **kw: Any) -> TelegramSender:
    settings = TelegramSettings(TelegramApi(api_base=api.api_base, timeout=kw.pop("timeout", 5)), TOKEN)
    pacer = Pacer(clock=clock, sleep=clock.sleep) if clock else Pacer()
    return TelegramSender(settings, pacer=pacer, **kw)


def _digest_for(db: Database, *chats: str, sub_id: str = "bureau") -> int:
    channels = tuple(ChannelSpec(type="telegram", chat_id=c) for c in chats)
    digest_id = create_digest(db, subscriber(*channels, id=sub_id), ENTITIES, NOW)
    assert digest_id is not None
    return digest_id


def _seed(db: Database, n: int = 1) -> None:
    for i in range(n):
        add_article(db, f"Елеусінов <b>unclosed & {i}", f"Сот Әмин Елеусінов ісін қарады {i}.",
                    mentions={"eleusinov": "Елеусінов"})


def _deliveries(db: Database) -> dict[str, Delivery]:
    with db.read() as s:
        return {d.channel: d for d in s.scalars(select(Delivery))}


def test_digest_reaches_the_chat_as_valid_html_in_order(db: Database, bot_api: FakeBotApi) -> None:
    _seed(db, 40)
    _digest_for(db, "5001")
    clock = FakeClock()

    report = deliver_pending(db, {"telegram": _sender(bot_api, clock)}, NOW, clock=clock)

    texts = bot_api.texts("5001")
    row = _deliveries(db)["telegram:5001"]
    assert report.sent == 1 and row.state == "sent" and row.parts_sent == len(row.parts) > 1
    assert texts == row.parts  # every part once, in order
    assert all(r.parse_mode == "HTML" for r in bot_api.received)
    assert all(telegram_html_error(t) is None for t in texts)
    assert "&lt;b&gt;unclosed &amp; 0" in "".join(texts)
    assert sum(clock.sleeps) >= len(texts) - 1  # 1 s between messages to one chat


def test_429_waits_retry_after_and_sends_once(db: Database, bot_api: FakeBotApi) -> None:
    _seed(db)
    _digest_for(db, "5002")
    bot_api.flood("5002", retry_after=1)

    report = deliver_pending(db, {"telegram": _sender(bot_api)}, NOW)  # real clock and sleep

    assert report.sent == 1
    assert len(bot_api.texts("5002")) == 1  # neither lost nor duplicated
    (t_flood, _), (t_ok, _) = bot_api.requests
    assert t_ok - t_flood >= 1.0


def test_long_retry_after_goes_back_to_the_outbox(db: Database, bot_api: FakeBotApi) -> None:
    _seed(db)
    _digest_for(db, "5003")
    bot_api.flood("5003", retry_after=600)
    clock = FakeClock()

    report = deliver_pending(db, {"telegram": _sender(bot_api, clock)}, NOW, clock=clock)
    row = _deliveries(db)["telegram:5003"]
    assert report.retrying == 1 and row.state == "retrying"
    assert row.next_attempt_at is not None
    assert row.next_attempt_at >= NOW + dt.timedelta(seconds=600)
    assert bot_api.texts("5003") == []

    later = NOW + dt.timedelta(minutes=11)
    assert deliver_pending(db, {"telegram": _sender(bot_api, clock)}, later, clock=clock).sent == 1
    assert len(bot_api.texts("5003")) == 1


def test_a_long_flood_ban_defers_the_other_chats_without_calling_the_api(
    db: Database, bot_api: FakeBotApi
) -> None:
    _seed(db)
    for i, chat in enumerate(("5101", "5102", "5103")):
        sub = subscriber(ChannelSpec(type="telegram", chat_id=chat), id=f"s{i}")
        create_digest(db, sub, ENTITIES, NOW)
    bot_api.flood("5101", retry_after=600)
    clock = FakeClock()

    report = deliver_pending(db, {"telegram": _sender(bot_api, clock)}, NOW, clock=clock)

    assert report.retrying == 3 and report.sent == 0
    assert [chat for _, chat in bot_api.requests] == ["5101"]  # the others were not tried
    assert sum(clock.sleeps) < 5  # and the run did not sleep through the ban
    for row in _deliveries(db).values():
        assert row.next_attempt_at is not None
        assert row.next_attempt_at >= NOW + dt.timedelta(seconds=599)


def test_429_storm_pauses_every_chat_and_loses_nothing(db: Database, bot_api: FakeBotApi) -> None:
    _seed(db)
    chats = [str(6000 + i) for i in range(10)]
    for i, chat in enumerate(chats):
        sub = subscriber(ChannelSpec(type="telegram", chat_id=chat), id=f"s{i}")
        create_digest(db, sub, ENTITIES, NOW)
        for _ in range(3):
            bot_api.flood(chat, retry_after=2)
    clock = FakeClock()

    report = deliver_pending(db, {"telegram": _sender(bot_api, clock)}, NOW, clock=clock)

    assert report.sent == 10 and report.retrying == report.failed == 0
    assert all(len(bot_api.texts(c)) == 1 for c in chats)
    assert clock.sleeps and max(clock.sleeps) <= 2.0 + 1e-9


def test_blocked_chat_among_many_is_disabled_and_the_rest_delivered(
    db: Database, bot_api: FakeBotApi
) -> None:
    _seed(db)
    chats = [str(7000 + i) for i in range(8)]
    bot_api.blocked.add("7003")
    bot_api.missing.add("7006")
    for i, chat in enumerate(chats):
        sub = subscriber(ChannelSpec(type="telegram", chat_id=chat), id=f"s{i}")
        create_digest(db, sub, ENTITIES, NOW)
    clock = FakeClock()

    report = deliver_pending(db, {"telegram": _sender(bot_api, clock)}, NOW, clock=clock)

    assert report.sent == 6 and report.failed == 2 and report.retrying == 0
    assert sorted({r.chat_id for r in bot_api.received}) == sorted(set(chats) - {"7003", "7006"})
    with db.read() as s:
        states = {c.channel: c for c in s.scalars(select(ChannelState))}
    assert states["telegram:7003"].disabled and "blocked" in (states["telegram:7003"].reason or "")
    missing = states["telegram:7006"]
    assert missing.disabled and "chat not found" in (missing.reason or "")
    asked = [r for _, r in bot_api.requests]
    assert asked.count("7003") == 1 and asked.count("7006") == 1  # not retried
    [alert] = [a for a in build_alerts(report) if a.kind == "disabled"]
    assert "telegram:7003" in alert.text and "telegram:7006" in alert.text
    # the next digest for the blocked subscriber is not even created
    add_article(db, "Елеусінов тағы", "Әмин Елеусінов.", mentions={"eleusinov": "Елеусінов"})
    sub = subscriber(ChannelSpec(type="telegram", chat_id="7003"), id="s3")
    assert create_digest(db, sub, ENTITIES, NOW + dt.timedelta(days=1)) is None


def test_migrated_group_gets_the_message_once_at_its_new_id(
    db: Database, bot_api: FakeBotApi
) -> None:
    _seed(db)
    bot_api.migrated["-4001"] = -1004001
    _digest_for(db, "-4001")
    clock = FakeClock()

    report = deliver_pending(db, {"telegram": _sender(bot_api, clock)}, NOW, clock=clock)

    assert report.sent == 1
    assert bot_api.texts("-4001") == [] and len(bot_api.texts("-1004001")) == 1
    assert _deliveries(db)["telegram:-1004001"].state == "sent"
    with db.read() as s:
        state = s.get(ChannelState, "telegram:-4001")
        assert state is not None and state.replaced_by == "telegram:-1004001"
    assert [a.kind for a in build_alerts(report)] == ["migrated"]
    add_article(db, "Елеусінов тағы", "Әмин Елеусінов.", mentions={"eleusinov": "Елеусінов"})
    _digest_for(db, "-4001")
    assert "telegram:-1004001" in _deliveries(db)


def test_cant_parse_entities_is_resent_as_plain_text(db: Database, bot_api: FakeBotApi) -> None:
    _seed(db)
    _digest_for(db, "5004")
    bot_api.then("5004", 400, "Bad Request: can't parse entities: unsupported tag at byte offset 7")
    clock = FakeClock()

    report = deliver_pending(db, {"telegram": _sender(bot_api, clock)}, NOW, clock=clock)

    [got] = bot_api.received
    assert report.sent == 1 and got.parse_mode is None
    assert "<a href" not in got.text and "<i>" not in got.text  # our markup is gone...
    assert "Елеусінов <b>unclosed & 0" in got.text  # ...the scraped words are all there
    assert [e.outcome for e in report.events] == ["degraded"]


def test_server_errors_and_timeouts_retry_with_capped_backoff(
    db: Database, bot_api: FakeBotApi
) -> None:
    _seed(db)
    _digest_for(db, "5005")
    for _ in range(12):
        bot_api.then("5005", 502, "Bad Gateway")
    clock = FakeClock()
    now = NOW
    waits = []
    for _ in range(12):
        report = deliver_pending(db, {"telegram": _sender(bot_api, clock)}, now, clock=clock)
        assert report.retrying == 1
        row = _deliveries(db)["telegram:5005"]
        assert row.state == "retrying" and row.next_attempt_at is not None
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert waits[:3] == [dt.timedelta(minutes=m) for m in (1, 2, 4)]
    assert max(waits) == dt.timedelta(hours=1)  # capped
    assert deliver_pending(db, {"telegram": _sender(bot_api, clock)}, now, clock=clock).sent == 1
    assert len(bot_api.texts("5005")) == 1


def test_a_timeout_leaves_the_message_pending_for_a_retry(
    db: Database, bot_api: FakeBotApi
) -> None:
    _seed(db)
    _digest_for(db, "5006")

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    clock = FakeClock()
    broken = _sender(bot_api, clock, transport=httpx.MockTransport(slow))
    report = deliver_pending(db, {"telegram": broken}, NOW, clock=clock)
    row = _deliveries(db)["telegram:5006"]
    assert report.retrying == 1 and row.state == "retrying"
    assert row.last_error == "Telegram unreachable: ReadTimeout"


def test_gives_up_after_two_days_and_alerts(db: Database, bot_api: FakeBotApi) -> None:
    _seed(db)
    _digest_for(db, "5007")
    bot_api.then("5007", 500, "Internal Server Error")
    clock = FakeClock()
    late = NOW + dt.timedelta(days=3)
    report = deliver_pending(db, {"telegram": _sender(bot_api, clock)}, late, clock=clock)
    assert report.failed == 1 and _deliveries(db)["telegram:5007"].state == "failed"
    assert "gave up" in build_alerts(report)[0].text


def test_the_token_never_reaches_logs_errors_or_the_database(
    db: Database, bot_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    _seed(db)
    for chat in ("5008", "5009", "5010", "5011"):
        _digest_for(db, chat, sub_id=f"s{chat}")
    bot_api.then("5009", 401, f"Unauthorized: token {TOKEN} invalid")
    bot_api.blocked.add("5010")
    bot_api.then("5011", 429, "Too Many Requests: retry after 900", retry_after=900)
    quiet_http_logging()  # as the CLI does at start-up
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore"):  # even if someone turns HTTP logging back up
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        clock = FakeClock()
        report = deliver_pending(db, {"telegram": _sender(bot_api, clock)}, NOW, clock=clock)
    finally:
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)

    assert report.sent == 1 and report.retrying == 2 and report.failed == 1
    assert any("sendMessage" in r.getMessage() for r in caplog.records)  # httpx did log URLs
    secret = TOKEN.split(":")[1]
    assert secret not in caplog.text
    with db.read() as s:
        stored = " ".join(d.last_error or "" for d in s.scalars(select(Delivery)))
    assert "token" in stored and secret not in stored
    assert all(secret not in (e.error or "") for e in report.events)
    assert all(secret not in a.text for a in build_alerts(report))
    with refused_port() as port:
        dead = TelegramSender(
            TelegramSettings(TelegramApi(api_base=f"http://127.0.0.1:{port}", timeout=1), TOKEN)
        )
        msg = Outgoing(1, 1, "s", ChannelKey("telegram:5008"), "<m@x>", "subject", "", "", ["hello"])
        with pytest.raises(TransientError) as info:
            dead.send(msg, 0)
    assert secret not in str(info.value) and secret not in repr(dead.settings)
    assert info.value.__cause__ is None and info.value.__suppress_context__


class CrashOnSecondPart:
    """Sends part 1 for real, then dies before part 2."""

    def __init__(self, inner: TelegramSender) -> None:
        self.inner = inner

    def units(self, msg: Outgoing) -> int:
        return self.inner.units(msg)

    def send(self, msg: Outgoing, unit: int) -> SendResult:
        if unit == 1:
            raise KeyboardInterrupt("simulated crash")
        return self.inner.send(msg, unit)

    def close(self) -> None:
        self.inner.close()


def test_crash_between_parts_resumes_without_resending_earlier_parts(
    db: Database, bot_api: FakeBotApi
) -> None:
    _seed(db, 40)
    _digest_for(db, "5012")
    clock = FakeClock()
    with pytest.raises(KeyboardInterrupt):
        crashing = CrashOnSecondPart(_sender(bot_api, clock))
        deliver_pending(db, {"telegram": crashing}, NOW, clock=clock)
    row = _deliveries(db)["telegram:5012"]
    assert row.state == "pending" and row.parts_sent == 1

    later = NOW + dt.timedelta(minutes=11)
    assert deliver_pending(db, {"telegram": _sender(bot_api, clock)}, later, clock=clock).sent == 1
    assert bot_api.texts("5012") == row.parts  # each part exactly once


def test_pacing_under_a_burst_to_200_recipients() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    stamps: list[tuple[float, str]] = []
    chats = [str(9000 + i) for i in range(200)] + ["-100777"]
    for _round in range(3):
        for chat in chats:
            pacer.wait(chat)
            stamps.append((clock(), chat))
    times = [t for t, _ in stamps]
    for i in range(len(times) - 30):  # never more than 30 in any 1-second window
        assert times[i + 30] - times[i] >= 1.0 - 1e-9
    by_chat: dict[str, list[float]] = {}
    for t, chat in stamps:
        by_chat.setdefault(chat, []).append(t)
    for chat, ts in by_chat.items():
        gap = 3.0 if chat.startswith("-") else 1.0  # 20/min per group
        assert all(b - a >= gap - 1e-9 for a, b in itertools.pairwise(ts))
    assert times[-1] - times[0] <= len(stamps) / 30 + 1  # and no slower than it must be
