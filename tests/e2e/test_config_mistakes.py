"""`unionwatch check` on the YAML mistakes admins make: the line and column in plain words, and what to do."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from scheduler.config import load_config
from tests.e2e.conftest import unionwatch

GOOD = """\
watchlists:
  - id: w
    entities:
      - id: e
        name: Amin Eleusinov
subscribers:
  - id: desk
    timezone: Asia/Almaty
    digest:
      time: "10:30"
    watchlists: [w]
    channels:
      - type: file
        path: out
"""
JARGON = ("expected <block end>", "did not find expected", "cannot start any token", "block mapping",
          "while parsing", "while scanning", "Input should be")


def check(tmp_path: Path, text: str) -> tuple[int, list[str]]:
    config = tmp_path / "config.yaml"
    config.write_text(text, encoding="utf-8")
    run = unionwatch("check", "--config", str(config), "--json")
    return run.code, run.json()["problems"]


def test_an_unquoted_digest_time_means_that_time(tmp_path: Path) -> None:
    # YAML 1.1 reads 10:30 as the base-60 number 630.
    text = GOOD.replace('time: "10:30"', "time: 10:30")
    code, problems = check(tmp_path, text)
    assert (code, problems) == (0, [])
    assert load_config(tmp_path / "config.yaml").subscribers[0].digest.time == time(10, 30)


@pytest.mark.parametrize(("wrong", "right", "where", "says"), [
    # One space short: the key belongs to no mapping.
    ("    timezone: Asia/Almaty", "   timezone: Asia/Almaty", ":8: column 4: ",
     "indentation does not match the lines around it"),
    ("      - id: e\n        name: Amin", "      - id: e\n       name: Amin", ":5: column 8: ",
     "line 4 above has its key at column 9"),
    # A tab where spaces belong.
    ("    timezone: Asia/Almaty", "\ttimezone: Asia/Almaty", ":8: column 1: ",
     "a tab in the indentation; YAML indents with spaces only"),
    ("        name: Amin", "  \t    name: Amin", ":5: column 3: ", "replace the tab with spaces"),
    ("name: Amin Eleusinov", "name: Amin: Eleusinov", ":5: column 19: ", "put the value in quotes"),
    ('time: "10:30"', 'time: "10:30', ":10: column 13: ", "close the quote"),
])
def test_syntax_mistakes_name_the_line_and_column_in_plain_words(
    tmp_path: Path, wrong: str, right: str, where: str, says: str
) -> None:
    assert wrong in GOOD
    code, [problem] = check(tmp_path, GOOD.replace(wrong, right))
    assert code == 2
    assert problem.startswith(str(tmp_path / "config.yaml") + where), problem
    assert says in problem
    assert not any(word in problem for word in JARGON), problem


def test_a_telegram_channel_without_its_delivery_section_is_named_where_it_stands(tmp_path: Path) -> None:
    text = GOOD.replace("      - type: file\n        path: out",
                        '      - type: telegram\n        chat_id: "42"')
    code, problems = check(tmp_path, text)
    assert code == 2
    assert problems == [f"{tmp_path / 'config.yaml'}:13: subscribers[0].channels[0].type: a telegram channel "
                        "needs a delivery.telegram section (token_env: the environment variable holding the "
                        "bot token): add it at the top level, under delivery:"]
