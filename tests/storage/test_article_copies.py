"""One article, one row, whatever URL led to it: declared canonical URLs and copies of the text."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.articles import COPY_WINDOW, ArticleRecord, insert_articles, known_url_keys
from storage.database import Database
from storage.models import Article, ArticleUrl
from storage.types import utcnow

PARAS = [
    "Суд в Караганде приговорил профсоюзного лидера Нурбека Кушакбаева к двум с половиной годам "
    "ограничения свободы по делу о призывах к продолжению забастовки, признанной незаконной.",
    "Правозащитники назвали процесс расправой над независимым профсоюзным движением и потребовали "
    "отменить приговор, вынесенный после нескольких недель закрытых заседаний.",
    "Адвокат Кушакбаева сообщил, что защита обжалует решение суда в областной коллегии, поскольку "
    "доказательства обвинения, по её словам, не выдерживают никакой критики.",
    "Международная конфедерация профсоюзов заявила, что продолжит следить за делом и обратится к "
    "властям Казахстана с требованием прекратить преследование рабочих активистов.",
]
TEXT = "\n\n".join(PARAS)


def rec(url: str, body: str = TEXT, source: str = "rus-azattyq", title: str = "Кушакбаев осуждён",
        canonical: str | None = None) -> ArticleRecord:
    return ArticleRecord(source_id=source, url=url, title=title, body=body, canonical=canonical)


def rows(db: Database) -> list[Article]:
    with db.read() as s:
        return list(s.scalars(select(Article).order_by(Article.id)))


def aliases(db: Database) -> dict[str, int]:
    with db.read() as s:
        return {a.url: a.article_id for a in s.scalars(select(ArticleUrl))}


def store(db: Database, *recs: ArticleRecord) -> list[int | None]:
    with db.write() as s:
        return insert_articles(s, list(recs))


def test_the_url_a_page_declares_leads_to_it_and_is_not_fetched_again(db: Database) -> None:
    slugged = "https://rus.azattyq.org/a/kushakbaev-osuzhden/28503666.html"
    plain = "https://rus.azattyq.org/a/28503666.html"
    [new] = store(db, rec(slugged, canonical=plain))
    [art] = rows(db)
    assert (art.id, art.url, art.canonical_url) == (new, slugged, plain)
    assert aliases(db) == {plain: new}
    # The short form, linked from the sitemap, is known: not fetched again, and a duplicate
    # if it is (the same text).
    assert store(db, rec(plain)) == [None]
    with db.read() as s:
        assert known_url_keys(s, [plain, slugged, "https://rus.azattyq.org/a/1.html"]) == {plain, slugged}


def test_an_amp_copy_declaring_the_article_is_a_duplicate_and_remembered(db: Database) -> None:
    [first] = store(db, rec("https://rus.azattyq.org/a/28503666.html",
                            canonical="https://rus.azattyq.org/a/28503666.html"))
    amp = "https://rus.azattyq.org/amp/a/28503666.html"
    # AMP chrome differs in its short lines; the title may carry a suffix.
    amp_text = "Поделиться\n\n" + TEXT + "\n\nЧитайте также"
    assert store(db, rec(amp, body=amp_text, title="Кушакбаев осуждён | AMP",
                         canonical="https://rus.azattyq.org/a/28503666.html")) == [None]
    assert len(rows(db)) == 1
    assert aliases(db) == {amp: first}


def test_the_page_at_a_declared_url_with_other_text_is_its_own_article(db: Database) -> None:
    # A page wrongly declares another's URL: that URL is not taken to be known for good.
    claimed = "https://example.kz/news/7"
    [wrong] = store(db, rec("https://example.kz/news/3", canonical=claimed))
    assert aliases(db) == {claimed: wrong}
    other = "\n\n".join(reversed(PARAS))
    [own] = store(db, rec(claimed, body=other, title="Другая новость"))
    assert own is not None and own != wrong
    assert aliases(db) == {}
    with db.read() as s:
        assert known_url_keys(s, [claimed]) == {claimed}  # its own row now


def test_a_url_declared_by_two_different_texts_is_forgotten(db: Database) -> None:
    claimed = "https://example.kz/news/7"
    store(db, rec("https://example.kz/news/3", canonical=claimed))
    other = "\n\n".join(reversed(PARAS))
    [second] = store(db, rec("https://example.kz/news/4", body=other, canonical=claimed))
    assert second is not None
    with db.read() as s:
        assert known_url_keys(s, [claimed]) == set()  # so its own page is fetched


def test_a_copy_of_the_text_on_a_mobile_host_is_the_same_article(db: Database) -> None:
    [first] = store(db, rec("https://rus.azattyq.org/a/28503666.html"))
    mobile = "https://m.rus.azattyq.org/a/28503666.html"
    assert store(db, rec(mobile, body="Мобильная версия\n\n" + TEXT)) == [None]
    assert aliases(db) == {mobile: first}
    with db.read() as s:
        assert known_url_keys(s, [mobile]) == {mobile}


def test_copies_within_one_batch_are_stored_once(db: Database) -> None:
    ids = store(db, rec("https://rus.azattyq.org/a/28503666.html"),
                rec("https://rus.azattyq.org/amp/a/28503666.html", body=TEXT + "\n\nПоделиться"))
    assert ids[0] is not None and ids[1] is None
    assert aliases(db) == {"https://rus.azattyq.org/amp/a/28503666.html": ids[0]}


def test_a_stored_article_is_never_replaced_by_a_page_declaring_its_url(db: Database) -> None:
    # Some CMSs name one URL canonical on many pages; a different text is a different article.
    [first] = store(db, rec("https://example.kz/news/1", canonical="https://example.kz/news"))
    other = "\n\n".join(reversed(PARAS)) + "\n\nДругая статья о другом."
    [second] = store(db, rec("https://example.kz/news/2", body=other, title="Другая новость",
                             canonical="https://example.kz/news"))
    assert second is not None and second != first
    assert [a.url for a in rows(db)] == ["https://example.kz/news/1", "https://example.kz/news/2"]


def test_an_update_with_a_new_paragraph_is_its_own_article(db: Database) -> None:
    store(db, rec("https://rus.azattyq.org/a/1.html"))
    update = TEXT + "\n\nВ пятницу областной суд оставил приговор в силе, отклонив апелляцию защиты " \
        "и доводы о нарушениях, допущенных следствием при сборе доказательств."
    [new] = store(db, rec("https://rus.azattyq.org/a/2.html", body=update))
    assert new is not None and len(rows(db)) == 2


def test_other_sites_and_old_articles_keep_their_own_rows(db: Database) -> None:
    [first] = store(db, rec("https://rus.azattyq.org/a/1.html"))
    # A syndicated copy on another site is that site's article.
    [other_site] = store(db, rec("https://fergana.media/news/1/", source="fergana"))
    assert other_site is not None
    # Outside the window the same text is a republication, stored again.
    with db.write() as s:
        s.execute(Article.__table__.update().where(Article.id == first)
                  .values(fetched_at=utcnow() - COPY_WINDOW - timedelta(days=1)))
    [again] = store(db, rec("https://rus.azattyq.org/a/9.html"))
    assert again is not None


def test_short_texts_are_never_taken_for_copies(db: Database) -> None:
    # Too little prose to tell two notices apart by their text.
    a, b = store(db, rec("https://example.kz/n/1", body="Суд перенёс заседание."),
                 rec("https://example.kz/n/2", body="Суд перенёс заседание."))
    assert a is not None and b is not None


def test_deleting_an_article_deletes_its_other_urls(db: Database) -> None:
    from storage.articles import remove_unassigned

    [first] = store(db, rec("https://rus.azattyq.org/a/x/1.html", canonical="https://rus.azattyq.org/a/1.html"))
    assert aliases(db) == {"https://rus.azattyq.org/a/1.html": first}
    assert first is not None
    with db.write() as s:
        assert remove_unassigned(s, [first]) == [first]
    assert aliases(db) == {}
