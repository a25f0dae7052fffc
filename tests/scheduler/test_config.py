"""config.yaml validation: every bad input names the file, the line and the key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scheduler.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]

MINIMAL = """\
watchlists:
  - id: w
    entities:
      - id: eleusinov
        name: Amin Eleusinov
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.yaml"
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def problems(tmp_path: Path, text: str, **kw: bool) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, text), **kw)
    return exc.value.problems


def test_shipped_config_is_valid() -> None:
    cfg = load_config(ROOT / "config.yaml")
    assert {s.type for s in cfg.sources} == {"feed", "sitemap", "listing"}
    assert {"eleusinov", "kushakbayev", "kharkova", "knprk"} <= {e.id for e in cfg.entities}
    assert [c.type for s in cfg.subscribers for c in s.channels] == ["file"]


def test_a_watchlist_file_alone_is_a_config(tmp_path: Path) -> None:
    # `unionwatch match` works on a watchlist file alone: every other section may be absent.
    cfg = load_config(write(tmp_path, MINIMAL), require_secrets=True)
    assert cfg.sources == [] and cfg.subscribers == [] and cfg.delivery.smtp is None


def test_minimal(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, MINIMAL))
    assert cfg.database.url == "sqlite:///data/unionwatch.db"
    assert cfg.crawl.obey_robots and cfg.crawl.per_host_concurrency == 1
    assert cfg.crawl.max_page_bytes == 10 * 1024 * 1024 and not cfg.crawl.allow_private_networks
    assert cfg.matching.backfill_days is None, "no longer used; the shipped config leaves it out"


def test_unknown_time_zone_names_file_line_and_key(tmp_path: Path) -> None:
    text = MINIMAL + """\
subscribers:
  - id: a
    watchlists: [w]
    channels: [{type: file, path: out}]
  - id: b
    timezone: Asia/Almati
    watchlists: [w]
    channels: [{type: file, path: out}]
"""
    [p] = problems(tmp_path, text)
    assert p == f"{tmp_path / 'config.yaml'}:11: subscribers[1].timezone: unknown time zone 'Asia/Almati'"


def test_unknown_keys_are_errors(tmp_path: Path) -> None:
    [p] = problems(tmp_path, MINIMAL + "crawl:\n  obey_robot: false\n")
    assert p.endswith(":7: crawl.obey_robot: unknown key")


@pytest.mark.parametrize(
    ("snippet", "needle"),
    [
        ("delivery:\n  smtp:\n    host: h\n    from: a@b.kz\n    password: hunter2\n",
         "delivery.smtp.password: a literal secret is refused"),
        ("delivery:\n  telegram:\n    token_env: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1'\n",
         "looks like a bot token"),
    ],
)
def test_literal_secrets_are_refused(tmp_path: Path, snippet: str, needle: str) -> None:
    ps = problems(tmp_path, MINIMAL + snippet)
    assert any(needle in p for p in ps), ps
    assert len(ps) == 1


def test_missing_environment_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UW_TEST_SMTP_PW", raising=False)
    text = MINIMAL + """\
delivery:
  smtp:
    host: smtp.example.org
    username: bot
    password_env: UW_TEST_SMTP_PW
    from: unionwatch@example.org
subscribers:
  - id: a
    watchlists: [w]
    channels: [{type: email, to: desk@example.org}]
"""
    [p] = problems(tmp_path, text)
    assert "UW_TEST_SMTP_PW is not set" in p and "delivery.smtp.password_env" in p
    monkeypatch.setenv("UW_TEST_SMTP_PW", "s3cret")
    assert load_config(tmp_path / "config.yaml").delivery.smtp is not None
    monkeypatch.delenv("UW_TEST_SMTP_PW")
    load_config(tmp_path / "config.yaml", require_secrets=False)


@pytest.mark.parametrize(
    ("snippet", "needle"),
    [
        ("sources:\n  - {id: s, type: feed, url: 'https://x.org/rss', schedule: 7x}\n",
         "sources[0].schedule: schedule '7x' is neither"),
        ("sources:\n  - {id: s, type: feed, url: 'https://x.org/rss', schedule: '0 25 * * *'}\n",
         "sources[0].schedule"),
        ("sources:\n  - {id: s, type: rss, url: 'https://x.org/rss'}\n", "sources[0].type"),
        ("sources:\n  - {id: s, type: feed, url: 'ftp://x.org/rss'}\n", "is not an http(s) URL"),
        ("sources:\n  - {id: s, type: listing, url: 'https://x.org/'}\n", "needs link_selector"),
        ("sources:\n  - {id: s, type: feed, url: 'https://x.org/', link_pattern: '(['}\n",
         "link_pattern is not a valid regex"),
        ("sources:\n  - {id: s, type: feed, url: 'https://a/'}\n  - {id: s, type: feed, url: 'https://b/'}\n",
         "sources[1].id: duplicate id 's'"),
        ("subscribers:\n  - {id: a, watchlists: [nope], channels: [{type: file, path: o}]}\n",
         "unknown watchlist 'nope'"),
        ("subscribers:\n  - {id: a, watchlists: [w], digest: {time: '25:00'},"
         " channels: [{type: file, path: o}]}\n",
         "time '25:00' is not HH:MM"),
        ("subscribers:\n  - {id: a, watchlists: [w], channels: [{type: telegram, to: x@y.kz}]}\n",
         "a telegram channel needs 'chat_id'"),
        ("subscribers:\n  - {id: a, watchlists: [w], channels: [{type: email, to: x@y.kz}]}\n",
         "subscribers[0].channels[0].type: an email channel needs a delivery.smtp section"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, snippet: str, needle: str) -> None:
    ps = problems(tmp_path, MINIMAL + snippet)
    assert any(needle in p for p in ps), ps
    assert all(p.startswith(str(tmp_path / "config.yaml")) for p in ps)


def test_entity_rules(tmp_path: Path) -> None:
    text = """\
watchlists:
  - id: w
    entities:
      - {id: o, kind: organisation, name: KNPRK, match: full_name}
      - {id: p, name: X Y, groups: [[a]]}
      - {id: o, name: Z}
"""
    ps = problems(tmp_path, text)
    assert any("watchlists[0].entities[0]" in p and "persons only" in p for p in ps), ps
    assert any("watchlists[0].entities[1]" in p and "terms only" in p for p in ps), ps
    text2 = """\
watchlists:
  - id: w
    entities:
      - {id: o, name: Z}
      - {id: o, name: Q}
"""
    assert any("duplicate entity id 'o'" in p for p in problems(tmp_path, text2))


def test_yaml_syntax_and_duplicate_keys(tmp_path: Path) -> None:
    [p] = problems(tmp_path, MINIMAL + "crawl:\n  timeout: [1\n")
    assert p.startswith(f"{tmp_path / 'config.yaml'}:7: column 12: this [ ... ] list is not closed")
    [p] = problems(tmp_path, MINIMAL + "crawl:\n  timeout: 1\n  timeout: 2\n")
    assert "duplicate key 'timeout'" in p and ":8:" in p


def test_missing_file_and_missing_watchlists(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path / "nope.yaml")
    assert "file not found" in str(exc.value)
    [p] = problems(tmp_path, "database: {url: 'sqlite:///x.db'}\n")
    assert "watchlists: required key is missing" in p
