"""Opt-outs: a channel that opted out gets nothing more, and what was queued for it is cancelled."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from notifier.digest import create_digest
from notifier.outbox import deliver_pending
from notifier.senders import open_senders
from notifier.settings import ChannelSpec, DeliverySettings
from storage import optouts
from storage.database import Database
from storage.models import Delivery, OptOut
from tests.notifier.conftest import ENTITIES, NOW, add_article, subscriber


def _states(db: Database) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with db.read() as s:
        for d in s.query(Delivery).order_by(Delivery.id):
            out.setdefault(d.channel, []).append(d.state)
    return out


def test_an_opt_out_cancels_what_is_queued_and_leaves_the_channel_out_until_undone(
    db: Database, tmp_path: Path
) -> None:
    kept, stopped = tmp_path / "kept", tmp_path / "stopped"
    sub = subscriber(ChannelSpec(type="file", path=str(kept)), ChannelSpec(type="file", path=str(stopped)))
    add_article(db, "Елеусінов сотталды", "Сот Әмин Елеусінов ісін қарады.",
                mentions={"eleusinov": "Елеусінов"})
    assert create_digest(db, sub, ENTITIES, NOW) is not None
    key = f"file:{stopped}"

    with db.write() as s:
        assert optouts.opt_out(s, sub.id, key, "web", note="clicked unsubscribe") is True
    with db.write() as s:  # a second opt-out changes nothing and keeps the first record
        assert optouts.opt_out(s, sub.id, key, "telegram") is False
    with db.read() as s:
        [rec] = optouts.every(s)
    assert (rec.subscriber_id, rec.channel, rec.via, rec.note) == (sub.id, key, "web", "clicked unsubscribe")

    with open_senders(DeliverySettings()) as senders:
        report = deliver_pending(db, senders, NOW)
    assert report.sent == 1
    assert _states(db) == {f"file:{kept}": ["sent"], key: ["cancelled"]}
    assert list(kept.glob("*.html")) and not stopped.exists()

    # The next digest has no row for it at all.
    add_article(db, "Kushakbayev released", "Nurbek Kushakbayev was released.", language="en",
                mentions={"kushakbayev": "Kushakbayev"})
    assert create_digest(db, sub, ENTITIES, NOW + dt.timedelta(days=1)) is not None
    assert _states(db) == {f"file:{kept}": ["sent", "pending"], key: ["cancelled"]}

    with db.write() as s:
        assert optouts.resubscribe(s, sub.id, key) == [key]
        assert optouts.resubscribe(s, sub.id, key) == []
    add_article(db, "Kharkova", "Larisa Kharkova spoke.", language="en", mentions={"kharkova": "Kharkova"})
    assert create_digest(db, sub, ENTITIES, NOW + dt.timedelta(days=2)) is not None
    assert _states(db)[key] == ["cancelled", "pending"]


def test_a_delivery_written_before_the_opt_out_committed_is_cancelled_by_the_relay(
    db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    sub = subscriber(ChannelSpec(type="file", path=str(folder)))
    add_article(db, "Елеусінов", "Сот Әмин Елеусінов ісін қарады.", mentions={"eleusinov": "Елеусінов"})
    assert create_digest(db, sub, ENTITIES, NOW) is not None
    with db.write() as s:  # recorded without cancelling, as a racing digest write would leave it
        s.add(OptOut(subscriber_id=sub.id, channel=f"file:{folder}", at=NOW, via="web"))
    with open_senders(DeliverySettings()) as senders:
        report = deliver_pending(db, senders, NOW)
    assert (report.sent, report.cancelled) == (0, 1)
    assert _states(db) == {f"file:{folder}": ["cancelled"]}
    assert not folder.exists()
