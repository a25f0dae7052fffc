"""When a digest is due: asked of the very trigger the service schedules it with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.config import SubscriberConfig
from scheduler.digesting import last_due
from scheduler.triggers import digest_trigger, last_fire_time


def subscriber(timezone: str, time: str) -> SubscriberConfig:
    return SubscriberConfig.model_validate(
        {"id": "s", "timezone": timezone, "digest": {"time": time}, "watchlists": ["w"],
         "channels": [{"type": "file", "path": "x"}]})


def scheduled_fires(sub: SubscriberConfig, start: datetime, end: datetime) -> list[datetime]:
    """The runs APScheduler's scheduler makes: each next run computed from the previous one."""
    trigger = digest_trigger(sub)
    fires = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire < end:
        fires.append(fire.astimezone(UTC))
        fire = trigger.get_next_fire_time(fire, fire.astimezone(UTC) + timedelta(seconds=1))
    return fires


@pytest.mark.parametrize("day", [datetime(2026, 3, 29, tzinfo=UTC), datetime(2026, 10, 25, tzinfo=UTC)])
def test_berlin_0230_on_a_dst_day_is_never_due_in_the_future(day: datetime) -> None:
    # 02:30 does not exist in Berlin on 2026-03-29 (clocks jump 02:00 -> 03:00) and happens
    # twice on 2026-10-25.
    sub = subscriber("Europe/Berlin", "02:30")
    fires = scheduled_fires(sub, day - timedelta(days=7), day + timedelta(days=3))
    for minute in range(-6 * 60, 30 * 60, 5):
        now = day + timedelta(minutes=minute)
        due = last_due(sub, now)
        assert due is not None and due <= now, now
        assert due == max(f for f in fires if f <= now), now  # the scheduler's own last run


def test_spring_forward_the_digest_is_due_when_the_scheduler_runs_it() -> None:
    sub = subscriber("Europe/Berlin", "02:30")
    day = datetime(2026, 3, 29, tzinfo=UTC)
    [on_the_day] = scheduled_fires(sub, day, day + timedelta(hours=12))
    assert on_the_day == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # APScheduler's choice
    # The old computation answered 01:30 here, half an hour ahead of the clock.
    before = datetime(2026, 3, 29, 1, 15, tzinfo=UTC)
    assert last_due(sub, before) == datetime(2026, 3, 28, 1, 30, tzinfo=UTC)
    assert last_due(sub, on_the_day) == on_the_day


def test_last_due_in_a_zone_without_dst() -> None:
    sub = subscriber("Asia/Almaty", "08:00")  # 03:00 UTC
    due = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    assert last_due(sub, due - timedelta(minutes=1)) == due - timedelta(days=1)
    assert last_due(sub, due) == due


def test_last_fire_time_is_none_when_the_trigger_did_not_fire_in_the_window() -> None:
    trigger = digest_trigger(subscriber("UTC", "06:00"))
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert last_fire_time(trigger, now, look_back=timedelta(hours=1)) is None
    assert last_fire_time(trigger, now) == datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
