"""Matching stored articles: new ones once, and a backfill when the admin edits an entity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from matching import EntitySpec, compile_watchlist
from scheduler.matchjob import match_pending, rematch, sync_entities
from storage.articles import ArticleRecord, insert_article
from storage.database import Database
from storage.models import Article, Mention

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ELEUSINOV = EntitySpec(id="eleusinov", kind="person", name="Amin Eleusinov",
                       aliases=("Әмин Елеусінов",))
KHARKOVA = EntitySpec(id="kharkova", kind="person", name="Larisa Kharkova",
                      aliases=("Лариса Харькова",), match="full_name")


def add(db: Database, n: int, title: str, body: str, days_ago: float = 0) -> int:
    when = NOW - timedelta(days=days_ago)
    with db.write() as s:
        art_id = insert_article(s, ArticleRecord("src", f"https://example.org/a/{n}.html", title, body,
                                                 published_at=when, fetched_at=when))
    assert art_id is not None
    return art_id


def mentions(db: Database) -> list[tuple[int, str, str, str]]:
    with db.read() as s:
        rows = s.execute(select(Mention.article_id, Mention.entity_id, Mention.field, Mention.surface)
                         .order_by(Mention.article_id, Mention.field, Mention.start)).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_new_articles_are_matched_once_with_offsets_per_field(db: Database) -> None:
    a = add(db, 1, "Елеусинов вышел на свободу", "Суд освободил Амина Елеусинова досрочно.")
    b = add(db, 2, "Погода", "В Астане снег.")
    wl = compile_watchlist([ELEUSINOV])
    first = match_pending(db, wl)
    assert first.articles == 2
    got = mentions(db)
    assert (a, "eleusinov", "title", "Елеусинов") in got
    assert any(r[0] == a and r[2] == "body" for r in got)
    assert all(r[0] != b for r in got)
    with db.read() as s:
        art = s.get(Article, a)
        assert art is not None
        for m in s.scalars(select(Mention).where(Mention.article_id == a)):
            text = art.title if m.field == "title" else art.body
            assert text[m.start:m.end] == m.surface
    again = match_pending(db, wl)
    assert again.articles == 0 and mentions(db) == got


def test_an_added_entity_is_matched_against_the_whole_archive(db: Database) -> None:
    recent = add(db, 1, "Суд", "Лариса Харькова обжаловала приговор.", days_ago=2)
    old = add(db, 2, "Суд", "Лариса Харькова вновь в суде.", days_ago=3000)
    sync_entities(db, [ELEUSINOV], now=NOW)
    match_pending(db, compile_watchlist([ELEUSINOV]))
    assert mentions(db) == []
    # The admin adds Kharkova: every stored article is matched again, years old ones too.
    seen: list[int] = []
    summary = sync_entities(db, [ELEUSINOV, KHARKOVA], now=NOW, progress=seen.append)
    assert summary.backfilled_entities == ("kharkova",) and summary.backfilled_articles == 2
    assert sum(seen) == 2, "progress is reported batch by batch"
    got = mentions(db)
    assert {r[0] for r in got if r[1] == "kharkova"} == {recent, old}
    # Nothing changed: nothing is matched again.
    assert sync_entities(db, [ELEUSINOV, KHARKOVA], now=NOW).backfilled_entities == ()


def test_rematch_since_a_day_and_run_twice_never_doubles(db: Database) -> None:
    recent = add(db, 1, "Суд", "Лариса Харькова обжаловала приговор.", days_ago=2)
    add(db, 2, "Суд", "Лариса Харькова вновь в суде.", days_ago=3000)
    match_pending(db, compile_watchlist([ELEUSINOV]))
    since = NOW - timedelta(days=30)
    first = rematch(db, [KHARKOVA], since=since)
    assert first.backfilled_articles == 1
    assert {r[0] for r in mentions(db)} == {recent}
    before = mentions(db)
    rematch(db, [KHARKOVA], since=since)
    assert mentions(db) == before


def test_an_edited_alias_rematches_and_a_removed_entity_matches_nothing_new(db: Database) -> None:
    art = add(db, 1, "Сот", "Сот Елеусіновке екі жыл жаза тағайындады.", days_ago=1)
    narrow = EntitySpec(id="eleusinov", kind="person", name="Amin Eleusinov")
    sync_entities(db, [narrow, KHARKOVA], now=NOW)
    match_pending(db, compile_watchlist([narrow, KHARKOVA]))
    before = mentions(db)
    sync_entities(db, [ELEUSINOV, KHARKOVA], now=NOW)
    after = mentions(db)
    assert any(r[0] == art and r[1] == "eleusinov" for r in after)
    assert len(after) >= len(before)
    removed = sync_entities(db, [KHARKOVA], now=NOW)
    assert removed.removed_entities == ("eleusinov",)
    new = add(db, 2, "Сот", "Елеусіновтің адвокаты мәлімдеді.")
    match_pending(db, compile_watchlist([KHARKOVA]))
    assert all(r[0] != new for r in mentions(db))


def test_two_processes_syncing_and_matching_at_once_do_not_collide(db_url: str) -> None:
    import threading

    setup = Database(db_url)
    for i in range(60):
        add(setup, i, "Суд", f"Амин Елеусинов и Лариса Харькова, выпуск {i}.", days_ago=1)
    setup.dispose()
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        db = Database(db_url)
        try:
            barrier.wait()
            sync_entities(db, [ELEUSINOV, KHARKOVA], now=NOW)
            match_pending(db, compile_watchlist([ELEUSINOV, KHARKOVA]))
        except BaseException as exc:  # what this test looks for
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    check = Database(db_url)
    got = mentions(check)
    assert len(got) == len(set(got))
    assert {(r[0], r[1]) for r in got} == {(a, e) for a in range(1, 61) for e in ("eleusinov", "kharkova")}
    check.dispose()
