"""Claims across relays: a relay that outlives its claim never sends or marks what another took."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from notifier.channels.base import Outgoing, SendResult, TransientError
from notifier.digest import create_digest
from notifier.outbox import deliver_pending
from notifier.settings import ChannelSpec
from storage.database import Database
from storage.models import Delivery
from tests.notifier.conftest import ENTITIES, NOW, FakeClock, add_article, subscriber

TTL = dt.timedelta(minutes=10)


class SlowChannel:
    """Each send takes `seconds` of the relay's clock; `during(n)` runs inside the n-th send."""

    def __init__(self, clock: FakeClock, seconds: float, sent: list[int],
                 during: Callable[[int], None] | None = None, fail: bool = False) -> None:
        self.clock, self.seconds, self.sent = clock, seconds, sent
        self.during = during
        self.fail = fail
        self.calls = 0

    def units(self, msg: Outgoing) -> int:
        return 1

    def send(self, msg: Outgoing, unit: int) -> SendResult:
        self.calls += 1
        self.clock.t += self.seconds
        if self.during is not None:
            self.during(self.calls)
        if self.fail:
            raise TransientError("451 try again later")
        self.sent.append(msg.delivery_id)
        return SendResult()

    def close(self) -> None:
        pass


def _seed(db: Database, n: int, folder: Path) -> None:
    add_article(db, "Харькова", "Лариса Харькова сотталды.", language="ru",
                mentions={"kharkova": "Харькова"})
    for i in range(n):
        sub = subscriber(ChannelSpec(type="file", path=str(folder / f"s{i}")), id=f"sub{i}")
        assert create_digest(db, sub, ENTITIES, NOW) is not None


def _states(db: Database) -> dict[int, str]:
    with db.read() as s:
        return dict(s.execute(select(Delivery.id, Delivery.state)).tuples().all())


def test_a_relay_that_outlives_its_claims_leaves_the_rest_to_the_relay_that_took_them(
    db: Database, tmp_path: Path
) -> None:
    # Relay A sends slowly (4 min a message, claim 10 min). During its third send a second
    # relay (another subscriber's digest job, or a hand-run `digest`) finds A's claims lapsed.
    _seed(db, 6, tmp_path)
    sent: list[int] = []
    clock = FakeClock()
    second: list[int] = []

    def second_relay(n: int) -> None:
        if n == 3:
            b_now = NOW + dt.timedelta(seconds=clock.t - 1000.0)
            fast = SlowChannel(FakeClock(), 0, second)
            deliver_pending(db, {"file": fast}, b_now, claim_ttl=TTL, clock=FakeClock())

    slow = SlowChannel(clock, 240, sent, during=second_relay)
    deliver_pending(db, {"file": slow}, NOW, claim_ttl=TTL, clock=clock)

    everything = sent + second
    assert sorted(everything) == sorted(set(everything)), f"sent twice: {sorted(everything)}"
    assert len(everything) == 6
    assert second, "the second relay took over what the first could not reach in time"
    assert set(_states(db).values()) == {"sent"}


def test_a_relay_whose_claim_was_taken_does_not_overwrite_the_outcome(
    db: Database, tmp_path: Path
) -> None:
    # A's one send hangs past its claim and then fails; meanwhile B sent the message. A's
    # "retry later" must not undo B's "sent" (which would send it a second time later on).
    _seed(db, 1, tmp_path)
    clock = FakeClock()
    second: list[int] = []

    def second_relay(n: int) -> None:
        b_now = NOW + dt.timedelta(seconds=clock.t - 1000.0)
        deliver_pending(db, {"file": SlowChannel(FakeClock(), 0, second)}, b_now,
                        claim_ttl=TTL, clock=FakeClock())

    hung = SlowChannel(clock, 11 * 60, [], during=second_relay, fail=True)
    report = deliver_pending(db, {"file": hung}, NOW, claim_ttl=TTL, clock=clock)

    assert len(second) == 1
    assert list(_states(db).values()) == ["sent"]
    assert report.retrying == 0, "the first relay lost its claim: it reports nothing for it"
    later = deliver_pending(db, {"file": SlowChannel(FakeClock(), 0, second)},
                            NOW + dt.timedelta(days=1), claim_ttl=TTL)
    assert later.sent == 0 and len(second) == 1
