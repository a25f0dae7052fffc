"""The notifier's models: the channel key, channels, subscribers, SMTP and Telegram settings."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest
from pydantic import ValidationError

from notifier.settings import (
    ChannelKey,
    ChannelSpec,
    ChannelType,
    DigestSchedule,
    SmtpRelay,
    SmtpSettings,
    Subscriber,
    SubscriberSpec,
    TelegramApi,
    TelegramSettings,
)


def test_channel_key_is_the_stored_string_with_its_parts() -> None:
    key = ChannelKey("telegram:-100222")
    assert key == "telegram:-100222" and str(key) == "telegram:-100222"
    assert type(str(key)) is str  # what goes to the database is a plain string
    assert key.type is ChannelType.TELEGRAM and key.target == "-100222"
    assert {key: 1}["telegram:-100222"] == 1  # hashes as the string
    assert ChannelKey.of(ChannelType.FILE, "/srv/out:2") == "file:/srv/out:2"
    assert ChannelKey("file:/srv/out:2").target == "/srv/out:2"  # only the first colon splits
    assert ChannelKey.prefix(ChannelType.EMAIL) == "email:"
    assert pickle.loads(pickle.dumps(key)) == key and isinstance(pickle.loads(pickle.dumps(key)), ChannelKey)


@pytest.mark.parametrize("bad", ["telegram", "telegram:", "fax:123", ":x", ""])
def test_malformed_channel_keys_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="is not 'type:target'"):
        ChannelKey(bad)


def test_channel_spec_key_and_rules() -> None:
    assert ChannelSpec(type="email", to="a@example.org, b@example.org").key == (
        "email:a@example.org, b@example.org"
    )
    assert ChannelSpec.model_validate({"type": "telegram", "chat_id": -100123}).key == "telegram:-100123"
    assert ChannelSpec(type="file", path="/srv/digests").key.type is ChannelType.FILE
    with pytest.raises(ValidationError, match="'b@example' is not an email address"):
        ChannelSpec(type="email", to="a@example.org, b@example")
    with pytest.raises(ValidationError, match="a telegram channel takes 'chat_id', not to"):
        ChannelSpec(type="telegram", chat_id="1", to="a@example.org")
    with pytest.raises(ValidationError, match="neither a number nor an @channel name"):
        ChannelSpec(type="telegram", chat_id="12ab")
    with pytest.raises(ValidationError, match="a file channel needs 'path'"):
        ChannelSpec(type="file")


def test_digest_time_is_a_time() -> None:
    assert DigestSchedule.model_validate({"time": "7:30"}).time == dt.time(7, 30)
    assert DigestSchedule().time == dt.time(8, 0)
    assert DigestSchedule(time=dt.time(23, 59)).time == dt.time(23, 59)
    with pytest.raises(ValidationError, match="time '24:00' is not HH:MM"):
        DigestSchedule.model_validate({"time": "24:00"})
    with pytest.raises(ValidationError, match="Input should be a valid string"):
        DigestSchedule.model_validate({"time": 750})  # YAML reads a bare 12:30 as 750


def test_subscriber_spec_and_display_name() -> None:
    who = Subscriber(id="bureau", timezone="Asia/Almaty", channels=[ChannelSpec(type="file", path="x")])
    spec = SubscriberSpec(who, ("eleusinov",))
    assert spec.id == "bureau" and who.display_name == "bureau"
    assert Subscriber(id="b", name="Бюро", channels=who.channels).display_name == "Бюро"
    with pytest.raises(ValidationError, match="unknown time zone 'Asia/Almati'"):
        Subscriber(id="b", timezone="Asia/Almati", channels=who.channels)


def test_secrets_stay_out_of_the_models_and_their_repr() -> None:
    relay = SmtpRelay.model_validate({"host": "smtp.example.org", "from": "uw@example.org"})
    assert relay.sender == "uw@example.org" and "password" not in SmtpRelay.model_fields
    smtp = SmtpSettings(relay, "hunter2")
    telegram = TelegramSettings(TelegramApi(api_base="https://tg.example/"), "123:secret")
    assert telegram.api.api_base == "https://tg.example"
    assert "hunter2" not in repr(smtp) and "secret" not in repr(telegram)
    with pytest.raises(ValidationError, match="plaintext"):
        SmtpRelay.model_validate({"host": "h", "from": "a@b.kz", "security": "none", "username": "u"})
