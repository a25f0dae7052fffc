"""The bot's self-service against the Bot API stand-in: /start, /stop, /status, offsets, errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from notifier import telegram_bot
from notifier.digest import create_digest
from notifier.settings import ChannelSpec, TelegramApi, TelegramSettings
from notifier.telegram_bot import BotPoller, Follow
from storage import bot_offsets, leases, optouts
from storage.database import Database
from storage.models import Delivery
from tests.notifier.conftest import ENTITIES, NOW, TOKEN, FakeBotApi, add_article, refused_port, subscriber

KNOWN = 5001


KNOWN_RU = 5002


class Config:
    """A directory as the scheduler builds it from config.yaml: chat 5001 is desk's, 5002 a
    Russian-reading bureau's."""

    def follows(self, channel_keys: Sequence[str]) -> list[Follow]:
        if f"telegram:{KNOWN_RU}" in channel_keys:
            return [Follow("almaty-ru", "Бюро Алматы", f"telegram:{KNOWN_RU}", ("Амин Елеусинов",),
                           "2026-12-03 08:00 Asia/Almaty (daily)", (), language="ru")]
        key = f"telegram:{KNOWN}"
        if key not in channel_keys:
            return []
        return [Follow("almaty-bureau", "Бюро Алматы", key, ("Amin Eleusinov", "Larisa Kharkova"),
                       "2026-12-03 08:00 Asia/Almaty (daily)", ("Amin Eleusinov",))]


def _poller(db: Database, api_base: str, owner: str = "test", **kw: Any) -> BotPoller:
    settings = TelegramSettings(TelegramApi(api_base=api_base, poll_timeout=2, timeout=5), TOKEN)
    return BotPoller(db, settings, Config(), owner, **kw)


@contextmanager
def polling(poller: BotPoller) -> Iterator[BotPoller]:
    stop = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield poller
    finally:
        stop.set()
        thread.join(timeout=15)
        assert not thread.is_alive()


def test_an_unknown_chat_gets_its_id_and_the_config_line_and_nothing_else(
    db: Database, bot_api: FakeBotApi
) -> None:
    with polling(_poller(db, bot_api.api_base)):
        bot_api.say(777, "/start")
        [start] = bot_api.wait_for_texts("777", 1)
        bot_api.say(777, "/status")
        bot_api.say(777, "/stop")
        _, status, stop = bot_api.wait_for_texts("777", 3)
    assert "<code>777</code>" in start and "{type: telegram, chat_id: 777}" in start
    assert "Eleusinov" not in start + status + stop and "Алматы" not in start + status + stop
    assert status.startswith(telegram_bot.NOTHING_HERE) and stop == telegram_bot.NOTHING_HERE
    assert all(r.parse_mode == "HTML" for r in bot_api.received)
    with db.read() as s:
        assert optouts.every(s) == []


def test_the_bot_answers_in_the_subscribers_language_else_in_the_writers(
    db: Database, bot_api: FakeBotApi
) -> None:
    with polling(_poller(db, bot_api.api_base)):
        bot_api.say(KNOWN_RU, "/status", language_code="en")  # the digests' language wins
        [status] = bot_api.wait_for_texts(str(KNOWN_RU), 1)
        bot_api.say(778, "/start", language_code="kk")  # no subscriber: the app's language
        bot_api.say(779, "/help", language_code="ru-RU")
        bot_api.say(780, "/status", language_code="de")  # not one of ours: English
        [start_kk] = bot_api.wait_for_texts("778", 1)
        [help_ru] = bot_api.wait_for_texts("779", 1)
        [status_de] = bot_api.wait_for_texts("780", 1)
    assert "Следит за: Амин Елеусинов" in status and "Следующий дайджест: 2026-12-03 08:00" in status
    assert "Follows" not in status
    assert "Бұл чаттың идентификаторы: <code>778</code>." in start_kk
    assert "{type: telegram, chat_id: 778}" in start_kk and "config.yaml" in start_kk
    assert help_ru.startswith("Бот unionwatch: /start")
    assert status_de.startswith(telegram_bot.NOTHING_HERE)


def test_status_stop_and_start_in_a_subscribed_chat(db: Database, bot_api: FakeBotApi) -> None:
    add_article(db, "Елеусінов сотталды", "Сот Әмин Елеусінов ісін қарады.",
                mentions={"eleusinov": "Елеусінов"})
    sub = subscriber(ChannelSpec(type="telegram", chat_id=str(KNOWN)))
    assert create_digest(db, sub, ENTITIES, NOW) is not None  # queued, not yet sent
    chat = str(KNOWN)
    with polling(_poller(db, bot_api.api_base)):
        bot_api.say(KNOWN, "/status@unionwatch_test_bot")
        bot_api.say(KNOWN, "/stop@some_other_bot")  # not ours: ignored
        bot_api.say(KNOWN, "hello")  # not a command: ignored
        bot_api.say(KNOWN, "/stop")
        status, stop = bot_api.wait_for_texts(chat, 2)
        with db.read() as s:
            [rec] = optouts.every(s)
            [row] = s.query(Delivery).all()
        assert (rec.channel, rec.via) == (f"telegram:{KNOWN}", "telegram")
        assert row.state == "cancelled", "what was queued for the chat is not sent"
        bot_api.say(KNOWN, "/status")
        bot_api.say(KNOWN, "/start")
        _, _, stopped, start = bot_api.wait_for_texts(chat, 4)
    assert "Follows: Amin Eleusinov, Larisa Kharkova" in status
    assert "Next digest: 2026-12-03 08:00 Asia/Almaty (daily)" in status
    assert "Instant alerts: Amin Eleusinov" in status
    assert stop.startswith("Stopped") and "Бюро Алматы" in stop
    assert "Stopped here (/stop)" in stopped and "Next digest" not in stopped
    assert "Digests resumed" in start
    with db.read() as s:
        assert optouts.every(s) == []
    assert len(bot_api.texts(chat)) == 4


def test_the_offset_is_kept_in_the_database_so_a_restart_handles_nothing_twice(
    db: Database, bot_api: FakeBotApi
) -> None:
    with polling(_poller(db, bot_api.api_base)) as first:
        uid = bot_api.say(777, "/start")
        bot_api.wait_for_texts("777", 1)
    assert first.handled == 1
    assert bot_offsets.get(db, "123456789") == uid + 1
    bot_api.updates.insert(0, {"update_id": uid, "message": {"chat": {"id": 777}, "text": "/start"}})
    n = len(bot_api.polls)
    with polling(_poller(db, bot_api.api_base, owner="restarted")) as second:
        bot_api.say(777, "/status")
        bot_api.wait_for_texts("777", 2)
    assert second.handled == 1 and len(bot_api.texts("777")) == 2
    assert bot_api.polls[n][0] == uid + 1, "the restarted poller starts where the first one ended"


def test_one_poller_per_token_a_second_one_waits_for_the_lease(db: Database, bot_api: FakeBotApi) -> None:
    with polling(_poller(db, bot_api.api_base, owner="a")):
        bot_api.say(777, "/start")
        bot_api.wait_for_texts("777", 1)
        other = _poller(db, bot_api.api_base, owner="b")
        other._client = telegram_bot.BotClient(other.settings)
        assert other.round(holding=False) == pytest.approx(-telegram_bot.LEASE_TTL.total_seconds() / 3)
        other._client.close()
    assert bot_api.conflicts == 0
    assert leases.holder(db, "telegram-poll:123456789") is None, "released on stop"


def test_409_429_and_network_errors_are_waited_out(db: Database, bot_api: FakeBotApi,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    poller = _poller(db, bot_api.api_base)
    poller._client = telegram_bot.BotClient(poller.settings)
    bot_api.conflict_polls()
    bot_api.conflict_polls()
    assert poller.round(False) == telegram_bot.CONFLICT_WAIT_S
    assert poller.round(True) == telegram_bot.CONFLICT_WAIT_S
    assert sum("another program reads this bot's updates" in r.getMessage() for r in caplog.records) == 1
    bot_api.flood_polls(7)
    assert poller.round(True) == 7
    poller._client.close()
    with refused_port() as port:
        down = _poller(db, f"http://127.0.0.1:{port}")
        down._client = telegram_bot.BotClient(down.settings)
        assert [down.round(False) for _ in range(4)] == [1, 2, 4, 8]
        down._client.close()
    assert TOKEN not in caplog.text
