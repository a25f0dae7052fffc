"""A crawl stores an article once when its site links it by several URLs (issue 10, item 13).

A Pangea-style site on loopback links one article as /a/<id>.html, /a/<slug>/<id>.html, its AMP
page and a mobile path without a canonical link; another page names the home page canonical,
and a third wrongly names the article's URL canonical with a text of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from storage.database import Database
from storage.models import Article, ArticleUrl
from tests.spiders.conftest import make_job, run_job
from tests.support.fixture_site import FixtureSite

pytestmark = pytest.mark.slow

PARAS = [
    "Суд в Сатпаеве приговорил председателя профсоюза Нурбека Кушакбаева к двум с половиной годам "
    "лишения свободы за призывы к продолжению забастовки, которую власти признали незаконной.",
    "Защита настаивала на оправдании: по словам адвоката, обвинение не представило ни одного "
    "свидетеля, который слышал бы призывы подсудимого нарушить решение суда.",
    "Правозащитники и международные профсоюзы назвали приговор продолжением давления на "
    "независимые профсоюзы после ликвидации конфедерации в начале года.",
]
OTHER = [
    "Правительство объявило о пересмотре трудового кодекса: поправки, по словам министра, "
    "затронут порядок регистрации профсоюзов и правила проведения забастовок на предприятиях.",
    "Эксперты отмечают, что прежние поправки уже сократили число независимых организаций, а "
    "новые требования к членству могут сделать регистрацию для малых профсоюзов невозможной.",
    "Обсуждение законопроекта в парламенте начнётся осенью, и профсоюзные активисты обещают "
    "направить депутатам свои предложения и замечания к тексту документа.",
]


def page(title: str, paras: list[str], head: str = "", chrome: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (f'<html lang="ru"><head><meta charset="utf-8"><title>{title}</title>{head}'
            f'<meta property="article:published_time" content="2017-09-16T10:00:00+06:00"></head>'
            f"<body>{chrome}<article><h1>{title}</h1>{body}</article></body></html>")


def write_site(root: Path) -> None:
    site = root / "copies"
    canon = '<link rel="canonical" href="{{base}}/copies/a/28491234.html">'
    title = "Кушакбаев приговорён к заключению"
    files = {
        "a/28491234.html": page(title, PARAS, canon),
        "a/kushakbaev-prigovoren/28491234.html": page(title, PARAS, canon),
        "amp/a/28491234.html": page(title, PARAS, canon, chrome="<p>Поделиться в соцсетях</p>"),
        "m/a/28491234.html": page(title, PARAS, chrome="<div>Мобильная версия сайта</div>"),
        "a/28491300.html": page("Поправки в трудовой кодекс", OTHER,
                                '<link rel="canonical" href="{{base}}/copies/">'),
        "a/28491301.html": page("Профсоюзы о поправках", [*OTHER[1:], PARAS[0]], canon),
    }
    links = ["a/28491234.html", "a/kushakbaev-prigovoren/28491234.html", "amp/a/28491234.html",
             "m/a/28491234.html", "a/28491300.html", "a/28491301.html"]
    titles = [title] * 4 + ["Поправки в трудовой кодекс", "Профсоюзы о поправках"]
    for name, html in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(html, encoding="utf-8")
    items = "".join(
        f"<item><title>{t}</title><link>{{{{base}}}}/copies/{link}</link>"
        f"<pubDate>Sat, 16 Sep 2017 04:00:00 +0000</pubDate></item>"
        for link, t in zip(links, titles, strict=True))
    (site / "feed.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>copies</title>'
        f"<link>{{{{base}}}}/copies</link>{items}</channel></rss>", encoding="utf-8")


def test_an_article_linked_by_four_urls_is_stored_once_and_not_fetched_again(
    db_url: str, tmp_path: Path
) -> None:
    write_site(tmp_path / "sites")
    with FixtureSite(roots=(tmp_path / "sites",)) as site:
        source = {"id": "copies", "type": "feed", "urls": [f"{site.base_url}/copies/feed.xml"],
                  "language": "ru", "max_age_days": None}
        job = make_job(db_url, [source])
        first = run_job(tmp_path, job, "first")
        assert first.returncode == 0, first.stderr[-3000:]
        assert not first.errors("copies"), first.errors("copies")
        db = Database(db_url)
        try:
            with db.read() as s:
                arts = {a.url.removeprefix(site.base_url): a for a in s.scalars(select(Article))}
                others = {u.url.removeprefix(site.base_url): u.article_id
                          for u in s.scalars(select(ArticleUrl))}
            group = {"/copies/a/28491234.html", "/copies/a/kushakbaev-prigovoren/28491234.html",
                     "/copies/amp/a/28491234.html", "/copies/m/a/28491234.html"}
            # Whichever of the four was fetched first is the row; the others lead to it.
            [kept_url] = set(arts) & group
            assert set(arts) == {kept_url, "/copies/a/28491300.html", "/copies/a/28491301.html"}
            kept = arts[kept_url].id
            assert others == dict.fromkeys(group - {kept_url}, kept)
            done = first.done("copies")["stats"]
            assert (done["new"], done["duplicates"]) == (3, 3)

            second = run_job(tmp_path, job, "second")
            assert second.returncode == 0, second.stderr[-3000:]
            hits = site.hit_counts()
            assert all(hits[f"/copies/{p}"] == 1 for p in (
                "a/28491234.html", "a/kushakbaev-prigovoren/28491234.html", "amp/a/28491234.html",
                "m/a/28491234.html", "a/28491300.html", "a/28491301.html")), hits
        finally:
            db.dispose()
