"""Webhook and Apprise channels through the outbox, against a loopback receiver."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest

from notifier.channels.http import retry_after
from notifier.channels.webhook import SIGNATURE_HEADER, verify
from notifier.digest import create_digest
from notifier.outbox import deliver_pending
from notifier.senders import open_senders
from notifier.settings import ChannelSpec, DeliverySettings, WebhookTarget
from storage.database import Database
from storage.models import Delivery
from tests.notifier.conftest import ENTITIES, NOW, add_article, subscriber
from tests.support.webhook_server import Receiver, receiving

SECRET = "whsec-test-key"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as rec:
        yield rec


def _digest(db: Database, channel: ChannelSpec) -> int:
    add_article(db, "Елеусінов сотталды", "Сот Әмин Елеусінов ісін қарады.",
                url="https://azattyq.example/a/1", mentions={"eleusinov": "Елеусінов"})
    digest_id = create_digest(db, subscriber(channel), ENTITIES, NOW)
    assert digest_id is not None
    return digest_id


def _row(db: Database) -> Delivery:
    with db.read() as s:
        [row] = s.query(Delivery).all()
        return row


def _hook_settings(receiver: Receiver) -> DeliverySettings:
    return DeliverySettings(webhooks={"HOOK": WebhookTarget(receiver.url(), SECRET)})


def test_webhook_posts_the_items_signed_and_a_5xx_is_retried_after_retry_after(
    db: Database, receiver: Receiver
) -> None:
    _digest(db, ChannelSpec(type="webhook", url_env="HOOK", secret_env="HOOK_SECRET"))
    receiver.then(503, Retry_After="120")
    with open_senders(_hook_settings(receiver)) as senders:
        first = deliver_pending(db, senders, NOW)
    assert (first.sent, first.retrying) == (0, 1)
    row = _row(db)
    assert row.state == "retrying" and "HTTP 503" in (row.last_error or "")
    assert row.next_attempt_at is not None
    assert abs((row.next_attempt_at - NOW).total_seconds() - 120) < 5  # the server's Retry-After

    with open_senders(_hook_settings(receiver)) as senders:
        assert deliver_pending(db, senders, NOW + dt.timedelta(minutes=3)).sent == 1
    failed, ok = receiver.requests
    assert failed.body == ok.body, "a retry sends the same bytes, so receivers can deduplicate"
    assert ok.headers["unionwatch-delivery"] == _row(db).message_id
    assert verify(SECRET, ok.headers[SIGNATURE_HEADER.lower()], ok.body)
    assert not verify("another key", ok.headers[SIGNATURE_HEADER.lower()], ok.body)
    assert not verify(SECRET, ok.headers[SIGNATURE_HEADER.lower()], ok.body + b" ")
    assert not verify(SECRET, ok.headers[SIGNATURE_HEADER.lower()], ok.body, now=time.time() + 3600)
    doc = ok.json()
    assert doc["id"] == _row(db).message_id and doc["type"] == "digest"
    assert doc["subscriber"] == "almaty-bureau"
    [item] = doc["items"]
    assert item["url"] == "https://azattyq.example/a/1" and item["entities"] == ["eleusinov"]
    assert _row(db).state == "sent"


@pytest.mark.parametrize(("status", "state"), [(400, "failed"), (410, "failed"), (429, "retrying"),
                                               (500, "retrying")])
def test_webhook_4xx_is_final_429_and_5xx_are_retried(
    db: Database, receiver: Receiver, status: int, state: str
) -> None:
    _digest(db, ChannelSpec(type="webhook", url_env="HOOK", secret_env="HOOK_SECRET"))
    receiver.then(status)
    with open_senders(_hook_settings(receiver)) as senders:
        deliver_pending(db, senders, NOW)
    row = _row(db)
    assert row.state == state and f"HTTP {status}" in (row.last_error or "")


def test_webhook_without_its_secret_waits_and_alerts(db: Database, receiver: Receiver) -> None:
    _digest(db, ChannelSpec(type="webhook", url_env="HOOK", secret_env="HOOK_SECRET"))
    with open_senders(DeliverySettings(webhooks={"HOOK": WebhookTarget(receiver.url(), "")})) as senders:
        report = deliver_pending(db, senders, NOW)
    assert report.retrying == 1 and report.events[0].alert
    assert receiver.requests == []


def test_retry_after_takes_seconds_or_an_http_date() -> None:
    now = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    assert retry_after("30") == 30
    assert retry_after("Thu, 01 Jan 2026 12:02:00 GMT", now) == 120
    assert retry_after("soon") is None and retry_after(None) is None
    assert retry_after("99999999") == 3600  # capped
    assert retry_after("-5") == 0


def test_apprise_json_target_gets_the_digest_and_a_failure_is_retried(
    db: Database, receiver: Receiver
) -> None:
    _digest(db, ChannelSpec(type="apprise", url_env="NOTIFY_URL"))
    settings = DeliverySettings(apprise_urls={"NOTIFY_URL": receiver.url("/notify", "json")})
    receiver.then(500)
    with open_senders(settings) as senders:
        first = deliver_pending(db, senders, NOW)
    assert (first.sent, first.retrying) == (0, 1)
    assert "not delivered" in (_row(db).last_error or "")
    with open_senders(settings) as senders:
        assert deliver_pending(db, senders, NOW + dt.timedelta(minutes=2)).sent == 1
    [got] = receiver.accepted
    doc = got.json()
    assert doc["title"] == _row(db).subject
    assert "Елеусінов" in doc["message"] and "https://azattyq.example/a/1" in doc["message"]
    assert len(receiver.requests) == 2


def test_apprise_url_it_does_not_understand_fails_for_good(db: Database) -> None:
    _digest(db, ChannelSpec(type="apprise", url_env="NOTIFY_URL"))
    settings = DeliverySettings(apprise_urls={"NOTIFY_URL": "nosuchservice://x"})
    with open_senders(settings) as senders:
        assert deliver_pending(db, senders, NOW).failed == 1
    assert "does not understand" in (_row(db).last_error or "")
    assert "nosuchservice" not in (_row(db).last_error or "")
