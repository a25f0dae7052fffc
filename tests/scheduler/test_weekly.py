"""Weekly digests: once a week on the subscriber's local day, DST-safe, caught up when missed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.config import Config, ConfigError, SubscriberConfig, load_config
from scheduler.digesting import last_due, missed_digests
from scheduler.triggers import digest_trigger
from storage import digest_runs
from storage.database import Database


def weekly_data(zone: str, time: str, day: str | None = "fri") -> dict[str, object]:
    digest = {"time": time, "every": "week", **({"day": day} if day else {})}
    return {"id": "s", "timezone": zone, "digest": digest, "watchlists": ["w"],
            "channels": [{"type": "file", "path": "x"}]}


def weekly(zone: str, time: str, day: str | None = "fri") -> SubscriberConfig:
    return SubscriberConfig.model_validate(weekly_data(zone, time, day))


def write_and_load(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def fires(sub: SubscriberConfig, start: datetime, end: datetime) -> list[datetime]:
    trigger = digest_trigger(sub)
    out = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire < end:
        out.append(fire.astimezone(UTC))
        fire = trigger.get_next_fire_time(fire, fire.astimezone(UTC) + timedelta(seconds=1))
    return out


def test_a_weekly_digest_fires_once_a_week_on_its_local_day() -> None:
    # 08:00 in Almaty (UTC+5) is 03:00 UTC; 2026-11-27 is a Friday.
    got = fires(weekly("Asia/Almaty", "08:00"), datetime(2026, 11, 23, tzinfo=UTC),
                datetime(2026, 12, 15, tzinfo=UTC))
    assert got == [datetime(2026, 11, 27, 3, 0, tzinfo=UTC), datetime(2026, 12, 4, 3, 0, tzinfo=UTC),
                   datetime(2026, 12, 11, 3, 0, tzinfo=UTC)]
    # Its local day, not the UTC one: 01:00 on Friday in Almaty is still Thursday in UTC.
    [early] = fires(weekly("Asia/Almaty", "01:00"), datetime(2026, 11, 23, tzinfo=UTC),
                    datetime(2026, 11, 30, tzinfo=UTC))
    assert early == datetime(2026, 11, 26, 20, 0, tzinfo=UTC)


def test_without_a_day_a_weekly_digest_comes_on_monday() -> None:
    [monday] = fires(weekly("UTC", "09:00", day=None), datetime(2026, 11, 24, tzinfo=UTC),
                     datetime(2026, 12, 1, tzinfo=UTC))
    assert monday == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_a_weekly_digest_in_the_hour_the_clocks_go_back_fires_once() -> None:
    # Berlin, Sunday 2026-10-25: 02:30 happens twice (00:30 and 01:30 UTC).
    got = fires(weekly("Europe/Berlin", "02:30", "sun"), datetime(2026, 10, 20, tzinfo=UTC),
                datetime(2026, 11, 3, tzinfo=UTC))
    assert got == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 11, 1, 1, 30, tzinfo=UTC)]


def test_the_last_weekly_time_is_found_six_days_later() -> None:
    sub = weekly("Asia/Almaty", "08:00")
    assert last_due(sub, datetime(2026, 12, 3, 12, 0, tzinfo=UTC)) == datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def test_a_weekly_time_missed_while_down_is_caught_up_once(db: Database) -> None:
    cfg = Config.model_validate({
        "watchlists": [{"id": "w", "entities": [{"id": "e", "name": "Amin Eleusinov"}]}],
        "subscribers": [weekly_data("Asia/Almaty", "08:00")]})
    due = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    now = due + timedelta(days=5)
    assert missed_digests(cfg, db, now, down_since=due - timedelta(hours=1)) == {"s": due}
    assert missed_digests(cfg, db, now, down_since=due + timedelta(hours=1)) == {}
    digest_runs.record(db, "s", due, None, now=now)
    assert missed_digests(cfg, db, now, down_since=due - timedelta(hours=1)) == {}


@pytest.mark.parametrize(("digest", "problem"), [
    ("{every: week, day: friday}", None),
    ("{every: week, day: someday}", "subscribers[0].digest.day: day 'someday' is not a weekday"),
    ("{day: fri}", "subscribers[0].digest: day 'fri' is for weekly digests: add 'every: week'"),
    ("{every: month}", "subscribers[0].digest.every: Input should be 'day' or 'week'"),
])
def test_weekly_config_mistakes_name_the_line_and_key(
    tmp_path: Path, digest: str, problem: str | None
) -> None:
    text = ("watchlists:\n  - id: w\n    entities: [{id: e, name: Amin Eleusinov}]\n"
            "subscribers:\n  - id: s\n    watchlists: [w]\n"
            f"    digest: {digest}\n"
            "    channels: [{type: file, path: x}]\n")
    if problem is None:
        cfg = write_and_load(tmp_path, text)
        assert cfg.subscribers[0].digest.weekday == "fri"
        return
    with pytest.raises(ConfigError) as err:
        write_and_load(tmp_path, text)
    assert any(problem in p and ":7:" in p for p in err.value.problems), err.value.problems
