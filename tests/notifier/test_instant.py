"""Instant alerts: a crawl's finds about chosen entities at once, once, and not again in the digest."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import update

from notifier.channels.telegram import TelegramSender
from notifier.digest import create_digest
from notifier.instant import create_instant_alerts
from notifier.outbox import deliver_pending
from notifier.settings import ChannelSpec, TelegramApi, TelegramSettings
from storage.database import Database
from storage.models import Article, Delivery, Digest, DigestItem
from tests.notifier.conftest import ENTITIES, NOW, TOKEN, FakeBotApi, FakeClock, add_article, subscriber

SINCE = NOW - dt.timedelta(hours=2)  # the crawl's start; add_article fetches at NOW - 1 h


def _seed(db: Database) -> tuple[int, int, int]:
    found = add_article(db, "Кушакбаев освобождён", "Нурбек Кушакбаев вышел на свободу.", language="ru",
                        url="https://rus.example/1", mentions={"kushakbayev": "Кушакбаев"})
    other = add_article(db, "Елеусінов сотталды", "Сот Әмин Елеусінов ісін қарады.",
                        url="https://kk.example/2", mentions={"eleusinov": "Елеусінов"})
    older = add_article(db, "Kushakbayev in court", "Nurbek Kushakbayev appeared in court.",
                        language="en", url="https://en.example/3", mentions={"kushakbayev": "Kushakbayev"})
    with db.write() as s:  # fetched by an earlier crawl
        s.execute(update(Article).where(Article.id == older).values(fetched_at=SINCE - dt.timedelta(hours=3)))
    return found, other, older


def test_an_instant_alert_holds_the_crawls_finds_once_and_the_digest_names_them_in_one_line(
    db: Database, bot_api: FakeBotApi
) -> None:
    found, other, older = _seed(db)
    sub = dataclasses.replace(subscriber(ChannelSpec(type="telegram", chat_id="7001")),
                              instant_ids=("kushakbayev",))

    created = create_instant_alerts(db, [sub], ENTITIES, NOW, SINCE)
    assert list(created) == [sub.id]
    assert create_instant_alerts(db, [sub], ENTITIES, NOW, SINCE) == {}, "at most once"
    with db.read() as s:
        alert = s.get(Digest, created[sub.id])
        assert alert is not None and alert.kind == "instant"
        assert [i.article_id for i in s.query(DigestItem).filter_by(digest_id=alert.id)] == [found]

    clock = FakeClock()
    sender = TelegramSender(TelegramSettings(TelegramApi(api_base=bot_api.api_base), TOKEN),
                            pacer=None, deadline=30)
    assert deliver_pending(db, {"telegram": sender}, NOW, clock=clock).sent == 1
    [text] = bot_api.texts("7001")
    assert "Alert:" in text and "https://rus.example/1" in text
    assert "https://kk.example/2" not in text and "https://en.example/3" not in text

    digest_id = create_digest(db, sub, ENTITIES, NOW + dt.timedelta(hours=5))
    assert digest_id is not None
    with db.read() as s:
        items = sorted(i.article_id for i in s.query(DigestItem).filter_by(digest_id=digest_id))
        [row] = s.query(Delivery).filter_by(digest_id=digest_id).all()
    assert items == sorted([other, older]), "the alert's article is not repeated"
    header = row.parts[0]
    assert header.count("Already sent as instant alerts (1)") == 1
    assert "Кушакбаев освобождён" in header and "https://rus.example/1" in header
    assert "Alert:" not in row.subject
    # Telegram takes it as valid HTML.
    report = deliver_pending(db, {"telegram": sender}, NOW + dt.timedelta(hours=5), clock=clock)
    assert report.sent == 1 and report.events == [], "sent as HTML, not degraded to plain text"
    sender.close()

    # The next digest does not list it again.
    add_article(db, "Kharkova", "Larisa Kharkova spoke.", language="en", mentions={"kharkova": "Kharkova"})
    later = create_digest(db, sub, ENTITIES, NOW + dt.timedelta(days=1))
    with db.read() as s:
        [row] = s.query(Delivery).filter_by(digest_id=later).all()
    assert "Already sent" not in row.parts[0]


def test_no_instant_entities_or_nothing_new_means_no_alert(db: Database) -> None:
    _seed(db)
    plain = subscriber(ChannelSpec(type="file", path="/tmp/unused"))
    assert create_instant_alerts(db, [plain], ENTITIES, NOW, SINCE) == {}
    kharkova = dataclasses.replace(plain, instant_ids=("kharkova",))
    assert create_instant_alerts(db, [kharkova], ENTITIES, NOW, SINCE) == {}
    with db.read() as s:
        assert s.query(Digest).count() == 0
