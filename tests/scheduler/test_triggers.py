from __future__ import annotations

from datetime import UTC, datetime

from scheduler.config import SubscriberConfig
from scheduler.triggers import digest_trigger, source_trigger


def test_digest_at_local_time_in_asia_almaty_is_utc_plus_5() -> None:
    # Kazakhstan moved to one zone, UTC+5, on 2024-03-01 (tzdata 2024a): 08:00 is 03:00 UTC.
    sub = SubscriberConfig.model_validate(
        {"id": "s", "timezone": "Asia/Almaty", "digest": {"time": "08:00"}, "watchlists": ["w"],
         "channels": [{"type": "file", "path": "x"}]})
    trig = digest_trigger(sub)
    fire = trig.get_next_fire_time(None, datetime(2026, 11, 25, 0, 0, tzinfo=UTC))
    assert fire is not None and fire.astimezone(UTC) == datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def test_digest_in_a_dst_zone_follows_local_wall_clock() -> None:
    sub = SubscriberConfig.model_validate(
        {"id": "s", "timezone": "Europe/Berlin", "digest": {"time": "7:30"}, "watchlists": ["w"],
         "channels": [{"type": "file", "path": "x"}]})
    trig = digest_trigger(sub)
    winter = trig.get_next_fire_time(None, datetime(2026, 1, 10, tzinfo=UTC))
    summer = trig.get_next_fire_time(None, datetime(2026, 7, 10, tzinfo=UTC))
    assert winter is not None and winter.astimezone(UTC).hour == 6
    assert summer is not None and summer.astimezone(UTC).hour == 5


def test_source_schedules() -> None:
    start = datetime(2026, 11, 25, 10, 7, tzinfo=UTC)
    every = source_trigger("30m")
    first = every.get_next_fire_time(None, start)
    assert first is not None
    nxt = every.get_next_fire_time(first, first)
    assert nxt is not None and (nxt - first).total_seconds() == 1800
    cron = source_trigger("15 */6 * * *")
    assert cron.get_next_fire_time(None, start) == datetime(2026, 11, 25, 12, 15, tzinfo=UTC)
