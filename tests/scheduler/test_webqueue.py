"""The service does what the web queued: a crawl now, a digest sent again; each request once."""

from __future__ import annotations

import datetime as dt

from apscheduler.schedulers.background import BackgroundScheduler

from scheduler.config import Config
from scheduler.webqueue import take_requests
from storage import digests, outbox
from storage import work_requests as work
from storage.database import Database

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
CFG = Config.model_validate({
    "watchlists": [{"id": "w", "entities": [{"id": "e", "name": "Amin Eleusinov"}]}],
    "sources": [{"id": "vestnik", "type": "feed", "url": "http://127.0.0.1:9/feed.xml"}],
})


def test_crawl_and_resend_requests_are_done_once(db: Database) -> None:
    with db.write() as s:
        did = digests.add(s, "desk", NOW, 0, None)
        outbox.add(s, [outbox.NewDelivery(did, "file:/tmp/x", "<m@x>", "S", "t", "h",
                                          state=outbox.DeliveryState.FAILED, attempts=5, last_error="gone")])
        work.ask(s, work.WorkKind.CRAWL, "vestnik", "admin")
        assert work.ask(s, work.WorkKind.CRAWL, "vestnik", "admin") == 1  # not queued twice
        work.ask(s, work.WorkKind.CRAWL, "removed", "admin")
        work.ask(s, work.WorkKind.RESEND, str(did), "admin")
    sched = BackgroundScheduler(timezone=dt.UTC)
    crawled: list[str] = []
    assert take_requests(db, CFG, sched, crawled.append) == 3
    assert [j.id for j in sched.get_jobs()] == ["catchup:crawl:vestnik"]
    assert tuple(sched.get_jobs()[0].args) == ("vestnik",)
    with db.read() as s:
        assert work.waiting(s) == []
        results = {(r.kind, r.target): r.result for r in work.recent(s)}
        assert outbox.counts_by_state(s) == {"pending": 1}
    assert results[(work.WorkKind.CRAWL, "removed")] == "no such source any more"
    assert results[(work.WorkKind.RESEND, str(did))] == "1 deliveries queued again"
    assert take_requests(db, CFG, sched, crawled.append) == 0  # a second service finds them done
