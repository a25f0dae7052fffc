"""When jobs run: APScheduler triggers for crawls and digests, and a trigger's last fire time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from notifier.settings import Subscriber
from scheduler.config import INTERVAL, parse_interval

# Daily triggers fire at least once in this span, whatever the DST transitions in it.
_LOOK_BACK = timedelta(days=2)


def source_trigger(schedule: str) -> IntervalTrigger | CronTrigger:
    if INTERVAL.match(schedule):
        return IntervalTrigger(seconds=int(parse_interval(schedule).total_seconds()), timezone=UTC)
    return CronTrigger.from_crontab(schedule, timezone=UTC)


class OncePerLocalDay(CronTrigger):  # type: ignore[misc, unused-ignore]  # APScheduler is untyped
    """A daily CronTrigger that fires once per local day, also when the clocks go back.

    CronTrigger fires at both passes of a wall-clock time that a DST fall-back repeats
    (Berlin's 02:30 on 2026-10-25 is 00:30 and 01:30 UTC); the second pass is skipped here.
    A time that spring-forward skips fires once, where CronTrigger puts it.
    """

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        fire: datetime | None = super().get_next_fire_time(previous_fire_time, now)
        if fire is not None and _second_pass(fire):
            next_day = datetime.combine(fire.date() + timedelta(days=1), time(), tzinfo=self.timezone)
            fire = super().get_next_fire_time(None, next_day)
        return fire

    def first_after_day_of(self, moment: datetime) -> datetime | None:
        """The first fire on a later local day than moment's (the day's digest is done)."""
        day = moment.astimezone(self.timezone).date()
        return self.get_next_fire_time(None, datetime.combine(day + timedelta(days=1), time(),
                                                              tzinfo=self.timezone))


def _second_pass(moment: datetime) -> bool:
    """Whether this local time is the repeat of the same wall-clock time an hour earlier."""
    return moment.fold == 1 and moment.replace(fold=0).utcoffset() != moment.utcoffset()


def digest_trigger(sub: Subscriber) -> OncePerLocalDay:
    """The subscriber's digest time, on their local wall clock, once per local day (or on their
    weekly digest's day only)."""
    t = sub.digest.time
    day = sub.digest.weekday
    if day is not None:
        return OncePerLocalDay(day_of_week=day, hour=t.hour, minute=t.minute,
                               timezone=ZoneInfo(sub.timezone))
    return OncePerLocalDay(hour=t.hour, minute=t.minute, timezone=ZoneInfo(sub.timezone))


def digest_look_back(sub: Subscriber) -> timedelta:
    """How far back the subscriber's last digest time surely lies: two days, or a week and two."""
    return _LOOK_BACK + (timedelta(days=7) if sub.digest.weekday else timedelta())


def last_fire_time(trigger: BaseTrigger, now: datetime, look_back: timedelta = _LOOK_BACK) -> datetime | None:
    """The trigger's latest fire time at or before now, in UTC (None: none within look_back).

    Walks the trigger's own fire times forward, so DST gaps and folds are decided by the same
    code that schedules the job: a local time skipped by the clock change fires when the
    trigger says it does, and never later than now.
    """
    # In UTC throughout: local arithmetic and comparisons ignore the fold of an hour that
    # happens twice.
    now = now.astimezone(UTC)
    last: datetime | None = None
    fire = trigger.get_next_fire_time(None, now - look_back)
    while fire is not None and fire.astimezone(UTC) <= now:
        if last is not None and fire.astimezone(UTC) <= last:  # a trigger that does not advance
            break
        last = fire.astimezone(UTC)
        fire = trigger.get_next_fire_time(fire, last + timedelta(seconds=1))
    return last
