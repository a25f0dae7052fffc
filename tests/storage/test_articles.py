from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from storage.articles import ArticleRecord, decompress_html, insert_article, known_url_keys
from storage.database import Database
from storage.models import Article


def rec(url: str, guid: str | None = None, source: str = "azattyq-ru", **kw: object) -> ArticleRecord:
    return ArticleRecord(source_id=source, url=url, title="Бюро призвало освободить Кушакбаева",
                         body="Текст статьи.", guid=guid, **kw)  # type: ignore[arg-type]


def count(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Article)) or 0


def test_same_article_by_url_variants_is_stored_once(db: Database) -> None:
    with db.write() as s:
        first = insert_article(s, rec("https://rus.azattyq.org/a/28503666.html"))
        again = [
            insert_article(s, rec(u))
            for u in (
                "http://rus.azattyq.org/a/28503666.html/",
                "https://rus.azattyq.org/a/28503666.html?utm_source=rss#x",
            )
        ]
    assert isinstance(first, int)
    assert again == [None, None]
    assert count(db) == 1


def test_same_guid_from_one_source_is_a_duplicate_but_not_across_sources(db: Database) -> None:
    with db.write() as s:
        a = insert_article(s, rec("https://example.org/a/1.html", guid="pangea:1"))
        b = insert_article(s, rec("https://example.org/amp/1.html", guid="pangea:1"))
        c = insert_article(s, rec("https://mirror.example.net/a/1.html", guid="pangea:1", source="other"))
    assert a is not None and b is None and c is not None
    assert count(db) == 2


def test_rerunning_an_insert_adds_no_row(db: Database) -> None:
    for _ in range(3):
        with db.write() as s:
            insert_article(s, rec("https://example.org/a/2.html", guid="g2"))
    assert count(db) == 1


def test_fields_round_trip_with_utc_times_and_compressed_html(db: Database) -> None:
    published = datetime(2017, 5, 16, 10, 11, 12, tzinfo=UTC)
    html = "<html><body>Әмин Елеусінов</body></html>".encode()
    with db.write() as s:
        new_id = insert_article(s, rec("https://example.org/a/3.html", published_at=published,
                                       language="kk", author="Айгерим Тоқтар", raw_html=html))
    with db.read() as s:
        art = s.get(Article, new_id)
        assert art is not None
        assert art.published_at == published and art.published_at.tzinfo is not None
        assert art.language == "kk" and art.author == "Айгерим Тоқтар"
        assert art.raw_html is not None and art.raw_html != html
        assert decompress_html(art.raw_html) == html
        assert art.canonical_url == "https://example.org/a/3.html"
        assert art.matched_at is None


def test_known_url_keys_reports_stored_variants(db: Database) -> None:
    with db.write() as s:
        insert_article(s, rec("https://example.org/a/4.html"))
    with db.read() as s:
        known = known_url_keys(s, ["http://example.org/a/4.html?utm_medium=x", "https://example.org/a/5.html"])
    assert known == {"http://example.org/a/4.html?utm_medium=x"}


def test_a_failed_transaction_leaves_nothing_behind(db: Database) -> None:
    try:
        with db.write() as s:
            insert_article(s, rec("https://example.org/a/6.html"))
            raise RuntimeError("crash mid-batch")
    except RuntimeError:
        pass
    assert count(db) == 0


def test_a_batch_reports_new_and_duplicate_records_in_order(db: Database) -> None:
    from storage.articles import insert_articles

    with db.write() as s:
        insert_article(s, rec("https://example.org/a/10.html"))
    batch = [
        rec("https://example.org/a/10.html?utm_source=x"),  # stored before
        rec("https://example.org/a/11.html"),
        rec("https://example.org/a/11.html/"),  # the same as the previous, in one batch
        rec("https://example.org/a/12.html", guid="g12"),
        rec("https://example.org/a/13.html", guid="g12"),  # same source and guid
        rec("https://example.org/a/14.html"),
    ]
    with db.write() as s:
        ids = insert_articles(s, batch)
    assert [i is None for i in ids] == [True, False, True, False, True, False]
    assert len({i for i in ids if i is not None}) == 3
    assert count(db) == 4
    with db.read() as s:
        stored = {a.id: a.url for a in s.scalars(select(Article))}
    assert stored[ids[1]] == "https://example.org/a/11.html"
    assert stored[ids[5]] == "https://example.org/a/14.html"
