"""The bot's view of config.yaml: which subscriptions a chat stands for, in whose language."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

from scheduler.config import load_config
from scheduler.telegram_self import ConfigDirectory

CONFIG = """\
delivery:
  telegram: {token_env: UNIONWATCH_TEST_TOKEN}
watchlists:
  - id: w
    entities:
      - id: eleusinov
        name: Amin Eleusinov
subscribers:
  - id: almaty-ru
    name: Бюро Алматы
    language: ru
    watchlists: [w]
    channels: [{type: telegram, chat_id: "5002"}]
  - id: desk
    name: Desk
    watchlists: [w]
    channels: [{type: telegram, chat_id: "5001"}, {type: file, path: out/desk.html}]
"""


def test_a_chat_stands_for_its_subscribers_in_their_digest_language(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(textwrap.dedent(CONFIG), encoding="utf-8")
    cfg = load_config(path, require_secrets=False)
    directory = ConfigDirectory(lambda: cfg, clock=lambda: datetime(2026, 12, 3, 6, 0, tzinfo=UTC))
    [ru] = directory.follows(["telegram:5002"])
    assert (ru.subscriber_id, ru.name, ru.language, ru.watching) == (
        "almaty-ru", "Бюро Алматы", "ru", ("Amin Eleusinov",))
    [desk] = directory.follows(["telegram:5001", "telegram:@someone"])
    assert (desk.subscriber_id, desk.language) == ("desk", "en")
    assert directory.follows(["telegram:777"]) == []
