"""Digest assignment: each article reaches a subscriber at most once; previews write nothing."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from sqlalchemy import func, select

from notifier.digest import create_digest, preview_digest, write_preview
from notifier.settings import ChannelSpec
from storage.database import Database
from storage.models import ChannelState, Delivery, Digest, DigestItem
from tests.notifier.conftest import ENTITIES, NOW, add_article, subscriber

KK_BODY = (
    "Қазақстандық адам құқықтары жөніндегі бюро мәлімдеме жасады. "
    "Бюро сотталған Әмин Елеусінов пен Нұрбек Құшақбаевты босатуға шақырды. "
    "Келесі сөйлем басқа туралы."
)


def _count(db: Database, model: type) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_articles_are_assigned_once_even_when_the_digest_runs_twice(db: Database) -> None:
    a1 = add_article(db, "Бюро шақырды", KK_BODY, mentions={"eleusinov": "Елеусінов"})
    a2 = add_article(db, "Kharkova case", "Larisa Kharkova was sentenced.", language="en",
                     mentions={"kharkova": "Kharkova"})
    add_article(db, "Unrelated", "Nothing about anyone watched.")
    sub = subscriber(ChannelSpec(type="file", path="/tmp/x"), ChannelSpec(type="email", to="a@example.org"))

    first = create_digest(db, sub, ENTITIES, NOW)
    second = create_digest(db, sub, ENTITIES, NOW + dt.timedelta(days=1))

    assert first is not None and second is None
    with db.read() as s:
        items = s.scalars(select(DigestItem).order_by(DigestItem.position)).all()
        assert {i.article_id for i in items} == {a1, a2}
        assert all(i.digest_id == first for i in items)
        digest = s.get(Digest, first)
        assert digest is not None and digest.item_count == 2
        channels = sorted(d.channel for d in s.scalars(select(Delivery)))
        assert channels == ["email:a@example.org", "file:/tmp/x"]
    # A new article after the first digest goes into the next one, and only it.
    a3 = add_article(db, "Харькова", "Лариса Харькова осуждена.", language="ru",
                     mentions={"kharkova": "Харькова"})
    third = create_digest(db, sub, ENTITIES, NOW + dt.timedelta(days=2))
    with db.read() as s:
        in_third = select(DigestItem.article_id).where(DigestItem.digest_id == third)
        assert s.scalars(in_third).all() == [a3]
        d3 = s.get(Digest, third)
        assert d3 is not None and d3.period_start == NOW


def test_concurrent_create_digest_never_assigns_an_article_twice(db: Database) -> None:
    ids = {
        add_article(db, f"Елеусінов {i}", f"Әмин Елеусінов, мақала {i}.",
                    mentions={"eleusinov": "Елеусінов"})
        for i in range(30)
    }
    sub = subscriber(ChannelSpec(type="file", path="/tmp/x"))
    results: list[int | None] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def run() -> None:
        barrier.wait()
        try:
            results.append(create_digest(db, sub, ENTITIES, NOW))
        except BaseException as exc:  # any exception is the failure this test looks for
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    with db.read() as s:
        rows = s.execute(select(DigestItem.article_id, DigestItem.subscriber_id)).all()
        digests = s.scalars(select(Digest)).all()
    assert sorted(a for a, _ in rows) == sorted(ids)  # every article once, none twice
    made = [r for r in results if r is not None]
    assert len(made) == len(digests) >= 1
    assert sum(d.item_count for d in digests) == len(ids)
    assert all(d.item_count > 0 for d in digests)


def test_dry_run_preview_marks_nothing_and_has_the_script_shape(db: Database) -> None:
    a1 = add_article(db, "Бюро шақырды", KK_BODY, url="https://rus.azattyq.org/a/1",
                     mentions={"eleusinov": "Елеусінов", "kushakbayev": "Құшақбаев"})
    sub = subscriber()
    before = (_count(db, Digest), _count(db, DigestItem), _count(db, Delivery))

    data = preview_digest(db, sub, ENTITIES, NOW).to_json()
    again = preview_digest(db, sub, ENTITIES, NOW).to_json()

    assert (_count(db, Digest), _count(db, DigestItem), _count(db, Delivery)) == before
    assert data == again
    assert data == {
        "subscriber": "almaty-bureau",
        "language": "en",
        "items": [
            {
                "url": "https://rus.azattyq.org/a/1",
                "title": "Бюро шақырды",
                "source": "azattyq",
                "source_name": "azattyq",
                "language": "kk",
                "published": (NOW - dt.timedelta(hours=5)).isoformat(),
                "entities": ["eleusinov", "kushakbayev"],
                "section": "eleusinov",
                "story": a1,
                "primary": True,
            }
        ],
        "older_not_shown": 0,
    }
    assert create_digest(db, sub, ENTITIES, NOW) is not None  # still there to be sent
    with db.read() as s:
        assert s.scalars(select(DigestItem.article_id)).all() == [a1]


def test_story_grouping_folds_syndicated_copies_and_multi_entity_articles(db: Database) -> None:
    body = "Суд над Амином Елеусиновым продолжился. Лариса Харькова тоже упомянута."
    orig = add_article(db, "Суд в Актау", body, source="azattyq", language="ru",
                       published=NOW - dt.timedelta(hours=9),
                       mentions={"eleusinov": "Елеусиновым", "kharkova": "Харькова"})
    copy = add_article(db, "Суд в Актау", body, source="vlast", language="ru",
                       published=NOW - dt.timedelta(hours=2),
                       mentions={"eleusinov": "Елеусиновым", "kharkova": "Харькова"})
    other = add_article(db, "Kharkova appeal", "Kharkova appealed.", source="rferl",
                        language="en", mentions={"kharkova": "Kharkova"})
    sub = subscriber(ChannelSpec(type="file", path="/tmp/x"))

    preview = preview_digest(db, sub, ENTITIES, NOW)

    assert [g.entity.id for g in preview.groups] == ["eleusinov", "kharkova"]
    eleusinov, kharkova = preview.groups
    assert len(eleusinov.stories) == 1
    story = eleusinov.stories[0]
    assert story.primary.id == orig and [c.id for c in story.copies] == [copy]
    assert story.entity_ids == ["eleusinov", "kharkova"]
    assert [s.primary.id for s in kharkova.stories] == [other]
    assert preview.story_count == 2
    assert [a.id for a in preview.articles] == [orig, copy, other]

    digest_id = create_digest(db, sub, ENTITIES, NOW)
    with db.read() as s:
        assigned = s.scalars(select(DigestItem.article_id).where(DigestItem.digest_id == digest_id))
        assert sorted(assigned) == sorted([orig, copy, other])
        page = s.scalars(select(Delivery.body_html)).one()
    assert page.count("Суд в Актау") == 1  # the syndicated copy is not shown as its own story
    assert "also reported by " in page and ">vlast</a>" in page


def test_send_empty_sends_a_nothing_new_digest_only_when_asked(db: Database) -> None:
    quiet = subscriber(ChannelSpec(type="email", to="q@example.org"))
    assert create_digest(db, quiet, ENTITIES, NOW) is None
    assert _count(db, Digest) == 0

    keen = subscriber(ChannelSpec(type="email", to="k@example.org"), id="keen", send_empty=True)
    digest_id = create_digest(db, keen, ENTITIES, NOW)
    assert digest_id is not None
    with db.read() as s:
        d = s.scalars(select(Delivery)).one()
        assert d.subject == "unionwatch · Әмин Елеусінов, Nurbek Kushakbayev, Kharkova: nothing new today"
        assert "No new articles" in d.body_text and "No new articles" in d.body_html
        assert s.get(Digest, digest_id).item_count == 0  # type: ignore[union-attr]


def test_disabled_channels_get_no_delivery_and_migrated_chats_the_new_id(db: Database) -> None:
    add_article(db, "Бюро", KK_BODY, mentions={"eleusinov": "Елеусінов"})
    with db.write() as s:
        s.add(ChannelState(channel="telegram:111", disabled=True, reason="blocked"))
        s.add(ChannelState(channel="telegram:-222", replaced_by="telegram:-100222"))
    only_disabled = subscriber(ChannelSpec(type="telegram", chat_id="111"), id="gone")
    assert create_digest(db, only_disabled, ENTITIES, NOW) is None  # nothing assigned either
    assert _count(db, DigestItem) == 0

    sub = subscriber(
        ChannelSpec(type="telegram", chat_id="111"), ChannelSpec(type="telegram", chat_id="-222")
    )
    assert create_digest(db, sub, ENTITIES, NOW) is not None
    with db.read() as s:
        assert s.scalars(select(Delivery.channel)).all() == ["telegram:-100222"]


def test_preview_file_and_highlighted_kazakh_sentence(db: Database, tmp_path: Path) -> None:
    add_article(db, "Бюро шақырды", KK_BODY, mentions={"eleusinov": "Елеусінов"})
    preview = preview_digest(db, subscriber(), ENTITIES, NOW)
    snip = preview.groups[0].stories[0].snippet_for("eleusinov")
    assert snip is not None
    assert snip.match == "Елеусінов"
    assert snip.text == "Бюро сотталған Әмин Елеусінов пен Нұрбек Құшақбаевты босатуға шақырды."

    out = write_preview(preview, tmp_path / "preview.html")
    page = out.read_text(encoding="utf-8")
    assert "<mark>Елеусінов</mark>" in page
    assert "1 new: Әмин Елеусінов — Бюро шақырды" in page
    assert not list(tmp_path.glob(".*tmp"))


def test_a_digest_prepared_before_a_race_keeps_only_the_articles_it_won(db: Database) -> None:
    from notifier import assign

    a1 = add_article(db, "Елеусінов 1", "Әмин Елеусінов бірінші.", mentions={"eleusinov": "Елеусінов"})
    a2 = add_article(db, "Харькова 2", "Лариса Харькова екінші.", language="ru",
                     mentions={"kharkova": "Харькова"})
    sub = subscriber(ChannelSpec(type="email", to="a@example.org"))
    with db.read() as s:
        prep = assign.prepare(s, sub, ENTITIES, NOW)
    assert prep is not None and [aid for aid, _ in prep.items] == [a1, a2]
    # Meanwhile another run assigns a1 (as a concurrent session or a worker process could).
    only_a1 = subscriber(ChannelSpec(type="email", to="a@example.org"), entity_ids=("eleusinov",))
    first = create_digest(db, only_a1, ENTITIES, NOW)

    with db.write() as s:
        second = assign.write(s, prep, ENTITIES, "example.org")

    with db.read() as s:
        by_digest = dict(s.execute(select(DigestItem.article_id, DigestItem.digest_id)).tuples().all())
        body = s.scalars(select(Delivery.body_text).where(Delivery.digest_id == second)).one()
        count = s.scalar(select(Digest.item_count).where(Digest.id == second))
    assert by_digest == {a1: first, a2: second}
    assert count == 1 and "Харькова 2" in body and "Елеусінов 1" not in body


def test_create_digests_with_worker_processes_matches_the_sequential_result(
    db: Database,
) -> None:
    from notifier.batch import CHUNK, create_digests

    for i in range(6):
        add_article(db, f"Елеусінов {i}", f"Әмин Елеусінов {i}.", mentions={"eleusinov": "Елеусінов"})
    subs = [subscriber(ChannelSpec(type="file", path="/tmp/x"), id=f"s{i}") for i in range(CHUNK + 3)]
    subs.append(subscriber(ChannelSpec(type="file", path="/tmp/x"), id="nobody", entity_ids=("none",)))

    made = create_digests(db, subs, ENTITIES, NOW, workers=1)

    assert made["nobody"] is None
    assert all(made[s.id] is not None for s in subs[:-1])
    with db.read() as s:
        rows = s.execute(select(DigestItem.subscriber_id, DigestItem.article_id)).all()
        deliveries = s.scalar(select(func.count()).select_from(Delivery))
    assert len(rows) == len(set(rows)) == 6 * (CHUNK + 3)
    assert deliveries == CHUNK + 3
    assert create_digests(db, subs, ENTITIES, NOW, workers=0) == {s.id: None for s in subs}
