"""The relay of the transactional outbox: send due Delivery rows, record each outcome.

Crash safety comes from the order of writes. A row is claimed (attempts + 1, next_attempt_at
pushed `claim_ttl` ahead) before it is sent, and marked sent only after the channel accepted
it. A crash before the send leaves the row due again once the claim lapses; a crash after the
send but before the mark makes the next run send it again, with the same Message-ID. So a
delivery is sent at least once and, barring crashes at that exact point, exactly once.

The claim also keeps relays on one database apart. Its attempt number is a fencing token: a
relay renews its claim before a send once half of it has passed, and records every outcome by
compare-and-set on that number, so a relay that outlived its claim and lost the row to another
neither sends it nor overwrites what the other recorded.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from notifier.channels.base import (
    ChannelGone,
    Outgoing,
    PermanentError,
    Sender,
    SendResult,
    TransientError,
)
from notifier.settings import ChannelKey, ChannelType
from storage import channel_state, optouts, outbox
from storage.database import Database, DatabaseError
from storage.outbox import DeliveryState, NewDelivery

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Capped exponential backoff; Postfix caps at about an hour, and so do we."""

    first: timedelta = timedelta(minutes=1)
    cap: timedelta = timedelta(hours=1)
    give_up_after: timedelta = timedelta(days=2)  # a digest older than this is news no more

    def delay(self, attempts: int) -> timedelta:
        return min(self.cap, self.first * (1 << max(0, attempts - 1)))


class Outcome(StrEnum):
    """What happened to a delivery, as events and admin alerts name it."""

    RETRYING = "retrying"
    FAILED = "failed"
    DISABLED = "disabled"  # the channel is gone (bot blocked, chat not found)
    MIGRATED = "migrated"  # the Telegram group became a supergroup with a new id
    DEGRADED = "degraded"  # sent as plain text after Telegram rejected the HTML
    REFUSED = "refused"  # some email recipients refused


@dataclass(frozen=True, slots=True)
class DeliveryEvent:
    """Something the admin may want to know about one delivery."""

    delivery_id: int
    subscriber_id: str
    channel: ChannelKey
    outcome: Outcome
    error: str | None = None
    attempts: int = 0
    alert: bool = False


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0  # its channel had opted out: not sent
    events: list[DeliveryEvent] = field(default_factory=list)

    def of(self, outcome: Outcome) -> list[DeliveryEvent]:
        return [e for e in self.events if e.outcome == outcome]


FIRST_BATCH = 10  # rows claimed before the run knows how fast this channel sends


@dataclass(slots=True)
class _Claimed:
    msg: Outgoing
    created_at: datetime
    claim: outbox.Claim
    held_since: datetime  # when this run last took or renewed the claim (its own clock)
    original_channel: ChannelKey
    disabled: str | None = None  # reason, if ChannelState says the channel is off
    items: int = 0

    @property
    def attempts(self) -> int:
        return self.claim.attempts

    def __str__(self) -> str:
        """What the log says of it: who, how much, where, which try; never the message itself."""
        return (f"delivery {self.msg.delivery_id} (subscriber {self.msg.subscriber_id}, "
                f"{self.items} item{'' if self.items == 1 else 's'}, {self.msg.channel}, "
                f"attempt {self.attempts})")


def _claim(
    db: Database, types: list[ChannelType], now: datetime, at: datetime, limit: int, ttl: timedelta,
    report: DeliveryReport | None = None,
) -> list[_Claimed]:
    """Claim up to `limit` due rows of the channel types we can send; rows others hold stay.

    A row whose channel opted out after its digest was written is cancelled, not sent.
    """
    with db.write() as s:
        rows = outbox.claim_due(s, [ChannelKey.prefix(t) for t in types], now, at + ttl, limit)
        states = channel_state.of(s, {d.channel for d in rows})
        stopped = optouts.opted_out(s, {d.subscriber_id for d in rows})
        claimed = []
        for d in rows:
            channel = d.channel
            if (d.subscriber_id, channel) in stopped:
                outbox.mark_cancelled(s, d.claim, reason="cancelled: the channel opted out")
                log.info("delivery %s (subscriber %s, %s): cancelled, the channel opted out",
                         d.id, d.subscriber_id, channel)
                if report is not None:
                    report.cancelled += 1
                continue
            state = states.get(channel)
            if state is not None and state.replaced_by and not state.disabled:
                channel = state.replaced_by
                state = states.get(channel) or channel_state.of(s, [channel]).get(channel)
            disabled = None
            if state is not None and state.disabled:
                disabled = state.reason or "disabled"
            msg = Outgoing(
                delivery_id=d.id, digest_id=d.digest_id, subscriber_id=d.subscriber_id,
                channel=ChannelKey(channel), message_id=d.message_id, subject=d.subject,
                body_text=d.body_text, body_html=d.body_html, parts=d.parts,
                parts_sent=d.parts_sent,
            )
            claimed.append(
                _Claimed(msg, d.digest_created_at, d.claim, at, ChannelKey(d.channel), disabled,
                         d.items)
            )
        return claimed


class _Run:
    """One deliver_pending call: the shared clock, senders, policy and report."""

    def __init__(
        self,
        db: Database,
        senders: Mapping[ChannelType, Sender],
        now: datetime,
        policy: RetryPolicy,
        claim_ttl: timedelta,
        clock: Callable[[], float],
        batch_size: int,
    ) -> None:
        self.db = db
        self.senders = senders
        self.start = now
        self.policy = policy
        self.claim_ttl = claim_ttl
        self.clock = clock
        self.t0 = clock()
        self.batch_size = max(1, batch_size)
        self.report = DeliveryReport()
        self.gone: dict[ChannelKey, str] = {}  # channels disabled during this run -> reason
        self.down: dict[ChannelType, str] = {}  # servers that failed as a whole in this run
        self.sends = 0
        self.send_seconds = 0.0

    def now(self) -> datetime:
        """The caller's `now` advanced by the time this run has taken (injectable clock)."""
        return self.start + timedelta(seconds=self.clock() - self.t0)

    def batch_limit(self) -> int:
        """How many rows to claim: what half a claim's time covers at the pace seen so far."""
        if not self.sends:
            return min(self.batch_size, FIRST_BATCH)
        pace = max(self.send_seconds / self.sends, 1e-3)
        return max(1, min(self.batch_size, int(self.claim_ttl.total_seconds() / 2 / pace)))

    def event(
        self, c: _Claimed, outcome: Outcome, error: str | None = None, alert: bool = False
    ) -> None:
        self.report.events.append(
            DeliveryEvent(c.msg.delivery_id, c.msg.subscriber_id, c.msg.channel, outcome, error,
                          c.attempts, alert)
        )

    def hold(self, c: _Claimed) -> bool:
        """Make sure the claim outlasts the coming send; False if another relay has taken it.

        A claim less than half its time old is ours: no other relay may take it before it
        lapses, and a send ends within its deadline, which the config keeps under half the
        claim. An older claim is renewed by compare-and-set on the claim's attempt number.
        """
        now = self.now()
        if now - c.held_since < self.claim_ttl / 2:
            return True
        with self.db.write() as s:
            held = outbox.renew(s, c.claim, now + self.claim_ttl)
        if held:
            c.held_since = now
        else:
            log.info("delivery %s: claim lapsed and taken by another relay; left to it",
                     c.msg.delivery_id)
        return held

    def mark(self, c: _Claimed, mark: Callable[..., bool], **values: Any) -> bool:
        """Record an outcome if the claim is still ours; a relay that lost it records nothing."""
        with self.db.write() as s:
            held = mark(s, c.claim, channel=str(c.msg.channel), parts_sent=c.msg.parts_sent,
                        **values)
        if not held:
            log.warning("delivery %s: claim taken by another relay during the send; its outcome "
                        "is that relay's to record", c.msg.delivery_id)
        return held

    def sent(self, c: _Claimed) -> None:
        if self.mark(c, outbox.mark_sent, at=self.now()):
            log.info("%s: sent", c)
        else:
            # The channel took it after our claim lapsed: the other relay may send it too.
            log.warning("delivery %s went out after its claim lapsed: it may arrive twice",
                        c.msg.delivery_id)
        self.report.sent += 1

    def progress(self, c: _Claimed) -> bool:
        # Per part, so a crash re-sends at most the part in flight; renews the claim too.
        now = self.now()
        if not self.mark(c, outbox.mark_progress, hold_until=now + self.claim_ttl):
            return False
        c.held_since = now
        return True

    def failed(self, c: _Claimed, error: str, alert: bool = True) -> None:
        if self.mark(c, outbox.mark_failed, error=error):
            log.warning("%s: failed: %s", c, error)
            self.report.failed += 1
            self.event(c, Outcome.FAILED, error, alert)

    def wait(self, c: _Claimed, exc: TransientError) -> timedelta:
        """Until the next try: the server's retry_after when it is a sane number, capped."""
        after = exc.retry_after
        if not isinstance(after, int | float) or not math.isfinite(after) or after < 0:
            return self.policy.delay(c.attempts)
        return timedelta(seconds=min(float(after), self.policy.cap.total_seconds()))

    def retry(self, c: _Claimed, exc: TransientError, alert: bool | None = None) -> None:
        now = self.now()
        error = str(exc)
        if now - c.created_at > self.policy.give_up_after:
            self.failed(c, f"gave up after {c.attempts} attempts: {error}")
            return
        at = now + self.wait(c, exc)
        if self.mark(c, outbox.mark_retrying, at=at, error=error):
            log.warning("%s: retrying at %s UTC: %s", c, f"{at:%Y-%m-%d %H:%M:%S}", error)
            self.report.retrying += 1
            self.event(c, Outcome.RETRYING, error, exc.alert if alert is None else alert)

    def disable(self, c: _Claimed, reason: str) -> None:
        self.gone[c.msg.channel] = reason
        with self.db.write() as s:
            channel_state.disable(s, str(c.msg.channel), reason, self.now())
        self.failed(c, f"channel disabled: {reason}", alert=False)
        self.event(c, Outcome.DISABLED, reason, alert=True)

    def migrated(self, c: _Claimed, new_channel: ChannelKey) -> None:
        old = c.msg.channel
        with self.db.write() as s:
            channel_state.redirect(s, str(old), str(new_channel), self.now())
            if c.original_channel != old:  # keep chains short: the config's key points to the end
                channel_state.redirect(s, str(c.original_channel), str(new_channel), self.now())
        log.info("%s: the chat moved to %s; following it", c, new_channel)
        c.msg.channel = new_channel
        self.event(c, Outcome.MIGRATED, f"{old} -> {new_channel}", alert=True)

    def refused(self, c: _Claimed, refused: dict[str, tuple[int, str]]) -> None:
        """Some recipients refused: each gets its own row, failed (5xx) or to retry (4xx)."""
        now = self.now()
        with self.db.write() as s:
            for addr, (code, text) in refused.items():
                permanent = 500 <= code < 600
                error = f"recipient refused: {code} {text}"
                channel = ChannelKey.of(ChannelType.EMAIL, addr)
                outbox.add_unless_queued(s, NewDelivery(
                    digest_id=c.msg.digest_id, channel=str(channel), message_id=c.msg.message_id,
                    subject=c.msg.subject, body_text=c.msg.body_text, body_html=c.msg.body_html,
                    state=DeliveryState.FAILED if permanent else DeliveryState.RETRYING,
                    attempts=1, last_error=error,
                    next_attempt_at=None if permanent else now + self.policy.delay(1),
                ))
                log.warning("%s: %s %s: %s", c, channel, "failed" if permanent else "retrying", error)
                self.report.failed += permanent
                self.report.retrying += not permanent
                self.report.events.append(
                    DeliveryEvent(c.msg.delivery_id, c.msg.subscriber_id, channel, Outcome.REFUSED,
                                  error, 1, permanent)
                )

    def send_batch(self, batch: list[_Claimed]) -> None:
        """Round-robin over the batch, one unit each pass, so one chat's pacing stalls no other."""
        active = []
        for c in batch:
            reason = c.disabled or self.gone.get(c.msg.channel) or self.gone.get(c.original_channel)
            if reason:
                self.failed(c, f"channel disabled: {reason}", alert=False)
            else:
                active.append(c)
        while active:
            active = [c for c in active if self.step_safely(c)]

    def step_safely(self, c: _Claimed) -> bool:
        """step(), with a failure to handle one row kept to that row (its claim lapses)."""
        try:
            return self.step(c)
        except DatabaseError:
            raise  # without the database nothing can be recorded: stop sending
        except Exception:
            log.exception("delivery %s: could not record the outcome; retried once its claim "
                          "lapses", c.msg.delivery_id)
            return False

    def step(self, c: _Claimed) -> bool:
        """Send the next unit of one delivery; True while it has units left."""
        kind = c.msg.channel.type
        if kind in self.down:
            # Its server failed as a whole earlier in this run: no use waiting on it again.
            self.retry(c, TransientError(self.down[kind]), alert=False)
            return False
        sender = self.senders[kind]
        units = sender.units(c.msg)
        if c.msg.parts_sent >= units:  # crashed after the last part, before the mark
            self.sent(c)
            return False
        if not self.hold(c):
            return False
        started = self.clock()
        try:
            result: SendResult = sender.send(c.msg, c.msg.parts_sent)
        except ChannelGone as exc:
            self.disable(c, str(exc))
            return False
        except PermanentError as exc:
            self.failed(c, str(exc))
            return False
        except TransientError as exc:
            if exc.server:
                self.down[kind] = str(exc)
            self.retry(c, exc)
            return False
        except Exception as exc:  # a bug in one channel must not stop the rest
            log.exception("delivery %s: unexpected error", c.msg.delivery_id)
            self.retry(c, TransientError(f"unexpected {type(exc).__name__}", alert=True))
            return False
        finally:
            self.sends += 1
            self.send_seconds += self.clock() - started
        if result.migrated_to:
            self.migrated(c, result.migrated_to)
        if result.degraded:
            log.warning("%s: sent as plain text after Telegram rejected the HTML", c)
            self.event(c, Outcome.DEGRADED, "sent as plain text after Telegram rejected the HTML", True)
        if result.refused:
            self.refused(c, result.refused)
        c.msg.parts_sent += 1
        if c.msg.parts_sent >= units:
            self.sent(c)
            return False
        return self.progress(c)


def deliver_pending(
    db: Database,
    senders: Mapping[ChannelType, Sender],
    now: datetime,
    *,
    policy: RetryPolicy | None = None,
    batch_size: int = 100,
    claim_ttl: timedelta = timedelta(minutes=10),
    clock: Callable[[], float] = time.monotonic,
) -> DeliveryReport:
    """Send every due pending/retrying delivery whose channel type has a sender.

    senders maps a channel type to its Sender; the caller opened them and closes them (see
    notifier.senders.open_senders). Rows due at `now` are handled once per call; rows
    rescheduled during the call wait for a later one. Rows are claimed a few at a time (at
    most batch_size: as many as half a claim covers at the pace seen so far), so rows this
    run cannot reach in time stay free for another relay.
    """
    run = _Run(db, senders, now, policy or RetryPolicy(), claim_ttl, clock, batch_size)
    types = [ChannelType(t) for t in senders]
    while types:
        batch = _claim(db, types, now, run.now(), run.batch_limit(), claim_ttl, run.report)
        if not batch:
            break
        run.send_batch(batch)
        types = [t for t in types if t not in run.down]
    return run.report
