"""config.yaml is validated by the packages' own models: one rule, one message, one place."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from matching import EntitySpec, compile_watchlist, entity_fingerprint
from notifier.settings import ChannelSpec, Subscriber
from scheduler.config import ConfigError, load_config
from scheduler.wiring import delivery_settings, subscriber_spec
from storage.types import check_id

BASE = """\
watchlists:
  - id: w
    entities:
      - id: kharkova
        name: Larisa Kharkova
        aliases: [Лариса Харькова]
        match: full_name
      - {id: knprk, kind: organisation, name: KNPRK}
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.yaml"
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, text))
    return exc.value.problems


def test_entities_are_matchings_entity_specs(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, BASE))
    kharkova = cfg.entities[0]
    assert isinstance(kharkova, EntitySpec) and kharkova.aliases == ("Лариса Харькова",)
    plain = EntitySpec("kharkova", "person", "Larisa Kharkova", aliases=("Лариса Харькова",),
                       match="full_name")
    assert entity_fingerprint(kharkova) == entity_fingerprint(plain)
    assert compile_watchlist(cfg.entities).entity_ids == ("kharkova", "knprk")


def test_entity_ids_follow_the_storage_id_rule(tmp_path: Path) -> None:
    [p] = problems(tmp_path, BASE.replace("id: kharkova", "id: 'khar kova'"))
    assert p.endswith(":4: watchlists[0].entities[0].id: 'khar kova' is not a valid id "
                      "(letters, digits, _ . -; at most 64)")
    with pytest.raises(ValueError) as exc:
        check_id("khar kova")
    assert p.endswith(str(exc.value)), "the same rule and words as storage's"


def test_channel_errors_are_the_notifier_models_own(tmp_path: Path) -> None:
    text = BASE + "subscribers:\n  - {id: a, watchlists: [w], channels: [{type: email, to: nope}]}\n"
    [p] = [p for p in problems(tmp_path, text) if "channels" in p]
    with pytest.raises(ValidationError) as exc:
        ChannelSpec(type="email", to="nope")
    assert "'nope' is not an email address" in str(exc.value)
    assert p.endswith("subscribers[0].channels[0]: 'nope' is not an email address")


def test_subscribers_channels_and_secrets_compose(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UW_TEST_PW", "s3cret")
    monkeypatch.setenv("UW_TEST_TOKEN", "123:abc")
    cfg = load_config(write(tmp_path, BASE + textwrap.dedent("""\
        subscribers:
          - id: bureau
            timezone: Europe/Berlin
            digest: {time: "7:30", send_empty: true}
            watchlists: [w]
            channels:
              - {type: email, to: "desk@example.org, lawyer@example.org"}
              - {type: telegram, chat_id: -100123}
        delivery:
          smtp: {host: smtp.example.org, username: bot, password_env: UW_TEST_PW, from: uw@example.org}
          telegram: {token_env: UW_TEST_TOKEN, timeout: 5}
        """)))
    sub = cfg.subscribers[0]
    assert isinstance(sub, Subscriber) and sub.digest.time == dt.time(7, 30)
    assert [str(c.key) for c in sub.channels] == ["email:desk@example.org, lawyer@example.org",
                                                  "telegram:-100123"]
    spec = subscriber_spec(cfg, sub)
    assert spec.subscriber is sub and spec.entity_ids == ("kharkova", "knprk")
    settings = delivery_settings(cfg)
    assert settings.smtp is not None and settings.smtp.password == "s3cret"
    assert settings.smtp.relay is cfg.delivery.smtp and settings.smtp.relay.sender == "uw@example.org"
    assert settings.telegram is not None and settings.telegram.token == "123:abc"
    assert settings.telegram.api.timeout == 5
