"""The relay of the transactional outbox: send due Delivery rows, record each outcome.

Crash safety comes from the order of writes. A row is claimed (attempts + 1, next_attempt_at
pushed `claim_ttl` ahead) before it is sent, and marked sent only after the channel accepted
it. A crash before the send leaves the row due again once the claim lapses; a crash after the
send but before the mark makes the next run send it again, with the same Message-ID. So a
delivery is sent at least once and, barring crashes at that exact point, exactly once. The
claim also keeps two relays on one database from sending the same row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from notifier.channels.base import (
    ChannelGone,
    Outgoing,
    PermanentError,
    Sender,
    SendResult,
    TransientError,
)
from notifier.settings import ChannelKey, ChannelType
from storage import channel_state, outbox
from storage.database import Database
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
    events: list[DeliveryEvent] = field(default_factory=list)

    def of(self, outcome: Outcome) -> list[DeliveryEvent]:
        return [e for e in self.events if e.outcome == outcome]


@dataclass(slots=True)
class _Claimed:
    msg: Outgoing
    created_at: datetime
    attempts: int
    original_channel: ChannelKey
    disabled: str | None = None  # reason, if ChannelState says the channel is off


def _claim(
    db: Database, types: list[ChannelType], now: datetime, at: datetime, limit: int, ttl: timedelta
) -> list[_Claimed]:
    """Claim up to `limit` due rows of the channel types we can send; rows others hold stay."""
    with db.write() as s:
        rows = outbox.claim_due(s, [ChannelKey.prefix(t) for t in types], now, at + ttl, limit)
        states = channel_state.of(s, {d.channel for d in rows})
        claimed = []
        for d in rows:
            channel = d.channel
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
                _Claimed(msg, d.digest_created_at, d.attempts, ChannelKey(d.channel), disabled)
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
    ) -> None:
        self.db = db
        self.senders = senders
        self.start = now
        self.policy = policy
        self.claim_ttl = claim_ttl
        self.clock = clock
        self.t0 = clock()
        self.report = DeliveryReport()
        self.gone: dict[ChannelKey, str] = {}  # channels disabled during this run -> reason

    def now(self) -> datetime:
        """The caller's `now` advanced by the time this run has taken (injectable clock)."""
        return self.start + timedelta(seconds=self.clock() - self.t0)

    def event(
        self, c: _Claimed, outcome: Outcome, error: str | None = None, alert: bool = False
    ) -> None:
        self.report.events.append(
            DeliveryEvent(c.msg.delivery_id, c.msg.subscriber_id, c.msg.channel, outcome, error,
                          c.attempts, alert)
        )

    def sent(self, c: _Claimed) -> None:
        with self.db.write() as s:
            outbox.mark_sent(s, c.msg.delivery_id, channel=str(c.msg.channel),
                             parts_sent=c.msg.parts_sent, at=self.now())
        self.report.sent += 1

    def progress(self, c: _Claimed) -> None:
        # Per part, so a crash re-sends at most the part in flight; renews the claim too.
        with self.db.write() as s:
            outbox.mark_progress(s, c.msg.delivery_id, channel=str(c.msg.channel),
                                 parts_sent=c.msg.parts_sent, hold_until=self.now() + self.claim_ttl)

    def failed(self, c: _Claimed, error: str, alert: bool = True) -> None:
        with self.db.write() as s:
            outbox.mark_failed(s, c.msg.delivery_id, channel=str(c.msg.channel),
                               parts_sent=c.msg.parts_sent, error=error)
        self.report.failed += 1
        self.event(c, Outcome.FAILED, error, alert)

    def retry(self, c: _Claimed, exc: TransientError) -> None:
        now = self.now()
        error = str(exc)
        if now - c.created_at > self.policy.give_up_after:
            self.failed(c, f"gave up after {c.attempts} attempts: {error}")
            return
        wait = (
            timedelta(seconds=exc.retry_after)
            if exc.retry_after is not None
            else self.policy.delay(c.attempts)
        )
        with self.db.write() as s:
            outbox.mark_retrying(s, c.msg.delivery_id, channel=str(c.msg.channel),
                                 parts_sent=c.msg.parts_sent, at=now + wait, error=error)
        self.report.retrying += 1
        self.event(c, Outcome.RETRYING, error, exc.alert)

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
        fresh = True  # just claimed: no need to renew before the first pass
        while active:
            if not fresh:
                self.renew(active)
            fresh = False
            active = [c for c in active if self.step(c)]

    def renew(self, waiting: list[_Claimed]) -> None:
        """Keep the claims of rows still waiting their turn (pacing, flood waits) alive."""
        if not waiting:
            return
        with self.db.write() as s:
            outbox.hold(s, [c.msg.delivery_id for c in waiting], self.now() + self.claim_ttl)

    def step(self, c: _Claimed) -> bool:
        """Send the next unit of one delivery; True while it has units left."""
        sender = self.senders[c.msg.channel.type]
        units = sender.units(c.msg)
        if c.msg.parts_sent >= units:  # crashed after the last part, before the mark
            self.sent(c)
            return False
        try:
            result: SendResult = sender.send(c.msg, c.msg.parts_sent)
        except ChannelGone as exc:
            self.disable(c, str(exc))
            return False
        except PermanentError as exc:
            self.failed(c, str(exc))
            return False
        except TransientError as exc:
            self.retry(c, exc)
            return False
        except Exception as exc:  # a bug in one channel must not stop the rest
            log.exception("delivery %s: unexpected error", c.msg.delivery_id)
            self.retry(c, TransientError(f"unexpected {type(exc).__name__}", alert=True))
            return False
        if result.migrated_to:
            self.migrated(c, result.migrated_to)
        if result.degraded:
            self.event(c, Outcome.DEGRADED, "sent as plain text after Telegram rejected the HTML", True)
        if result.refused:
            self.refused(c, result.refused)
        c.msg.parts_sent += 1
        if c.msg.parts_sent >= units:
            self.sent(c)
            return False
        self.progress(c)
        return True


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
    rescheduled during the call wait for a later one.
    """
    run = _Run(db, senders, now, policy or RetryPolicy(), claim_ttl, clock)
    types = [ChannelType(t) for t in senders]
    while types:
        batch = _claim(db, types, now, run.now(), batch_size, claim_ttl)
        if not batch:
            break
        run.send_batch(batch)
    return run.report
