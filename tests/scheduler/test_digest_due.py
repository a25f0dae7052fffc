"""When a digest is due: asked of the very trigger the service schedules it with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo

import pytest

from scheduler.config import Config, SubscriberConfig
from scheduler.digesting import last_due, missed_digests
from scheduler.triggers import digest_trigger, last_fire_time
from storage import digest_runs
from storage.database import Database


def subscriber_data(timezone: str, time: str) -> dict[str, object]:
    return {"id": "s", "timezone": timezone, "digest": {"time": time}, "watchlists": ["w"],
            "channels": [{"type": "file", "path": "x"}]}


def subscriber(timezone: str, time: str) -> SubscriberConfig:
    return SubscriberConfig.model_validate(subscriber_data(timezone, time))


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


FALL_BACK = [  # a local time that happens twice, on the day it does
    ("Europe/Berlin", "02:30", datetime(2026, 10, 25, tzinfo=UTC)),
    ("America/New_York", "01:30", datetime(2026, 11, 1, tzinfo=UTC)),
]
SPRING_FORWARD = [  # a local time that does not happen at all, on the day it does not
    ("Europe/Berlin", "02:30", datetime(2026, 3, 29, tzinfo=UTC)),
    ("America/New_York", "02:30", datetime(2026, 3, 8, tzinfo=UTC)),
]


@pytest.mark.parametrize(("zone", "time", "day"), FALL_BACK + SPRING_FORWARD)
def test_one_digest_per_local_day_across_a_dst_change(zone: str, time: str, day: datetime) -> None:
    sub = subscriber(zone, time)
    fires = scheduled_fires(sub, day - timedelta(days=3), day + timedelta(days=4))
    local_days = [f.astimezone(ZoneInfo(zone)).date() for f in fires]
    assert len(local_days) == len(set(local_days)) == 7, fires
    assert day.date() in local_days


@pytest.mark.parametrize(("zone", "time", "day"), FALL_BACK)
def test_fall_back_fires_at_the_first_pass_of_the_repeated_hour(zone: str, time: str, day: datetime) -> None:
    sub = subscriber(zone, time)
    tz = ZoneInfo(zone)
    local = datetime.combine(day.date(), dt_time.fromisoformat(time))
    first, second = (local.replace(tzinfo=tz, fold=f).astimezone(UTC) for f in (0, 1))
    assert second - first == timedelta(hours=1)
    [on_the_day] = [f for f in scheduled_fires(sub, day - timedelta(days=1), day + timedelta(days=2))
                    if f.astimezone(tz).date() == day.date()]
    assert on_the_day == first
    # During and after the second pass the digest that is due is still the first pass's.
    for now in (second, second + timedelta(minutes=30), first + timedelta(hours=20)):
        assert last_due(sub, now) == first, now


@pytest.mark.parametrize(("zone", "time", "day"), FALL_BACK)
def test_the_repeated_hour_is_not_a_missed_digest(
    db: Database, zone: str, time: str, day: datetime
) -> None:
    cfg = Config.model_validate({
        "watchlists": [{"id": "w", "entities": [{"id": "e", "name": "Amin Eleusinov"}]}],
        "subscribers": [subscriber_data(zone, time)],
    })
    tz = ZoneInfo(zone)
    local = datetime.combine(day.date(), dt_time.fromisoformat(time))
    first, second = (local.replace(tzinfo=tz, fold=f).astimezone(UTC) for f in (0, 1))
    # Last heartbeat just before the first pass, whose run was served; then the service died.
    digest_runs.record(db, "s", first, None, now=first + timedelta(seconds=5))
    # A service started during the second pass must not send the day's digest again.
    assert missed_digests(cfg, db, second + timedelta(minutes=1), first - timedelta(seconds=10)) == {}
