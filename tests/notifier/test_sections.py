"""Sections by what an article is about, every watched name marked, the age bound (issue 15.1)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import yaml
from sqlalchemy import select

from notifier import render
from notifier.digest import create_digest, preview_digest
from notifier.settings import ChannelSpec, DigestSchedule, Subscriber, SubscriberSpec
from scheduler.config import load_config
from scheduler.wiring import entity_infos, subscriber_spec
from storage.articles import ArticleRecord, insert_article
from storage.database import Database
from storage.models import DigestItem, Mention
from tests.notifier.conftest import ENTITIES, NOW, telegram_html_error

SURFACES = {
    "eleusinov": ("Елеусинов", "Елеусинова", "Елеусинову"),
    "kushakbayev": ("Кушакбаев", "Кушакбаева", "Кушакбаеву"),
    "kharkova": ("Харькова", "Харьковой", "Харькову"),
}


def seed(
    db: Database, title: str, body: str, *, source: str = "bureau", hours_ago: float = 5, language: str = "ru"
) -> int:
    """An article with a Mention at every place a watched surface occurs, as the matcher stores."""
    with db.write() as s:
        aid = insert_article(
            s,
            ArticleRecord(
                source_id=source,
                url=f"https://{source}.example/{abs(hash((title, body)))}",
                title=title,
                body=body,
                published_at=NOW - dt.timedelta(hours=hours_ago),
                language=language,
                fetched_at=NOW - dt.timedelta(hours=1),
            ),
        )
        assert aid is not None
        for eid, forms in SURFACES.items():
            for fld, text in (("title", title), ("body", body)):
                spans: set[tuple[int, int]] = set()
                for form in sorted(forms, key=len, reverse=True):
                    for m in re.finditer(re.escape(form), text):
                        if not any(a <= m.start() < b for a, b in spans):
                            spans.add((m.start(), m.end()))
                for a, b in sorted(spans):
                    s.add(
                        Mention(
                            article_id=aid,
                            entity_id=eid,
                            field=fld,
                            start=a,
                            end=b,
                            surface=text[a:b],
                            tier="surname",
                        )
                    )
        return aid


def sub(
    order: tuple[str, ...] = ("eleusinov", "kushakbayev", "kharkova"),
    *,
    language: str = "en",
    max_age_days: int | None = 14,
) -> SubscriberSpec:
    who = Subscriber(
        id="desk",
        name="Desk",
        timezone="Asia/Almaty",
        language=language,  # type: ignore[arg-type]
        digest=DigestSchedule(max_age_days=max_age_days),
        channels=[ChannelSpec(type="file", path="/tmp/unused")],
    )
    return SubscriberSpec(who, order)


STATEMENT = (  # the bureau's statement on Kushakbayev's sentence that once sat under Eleusinov
    "Заявление в связи с приговором Нурбеку Кушакбаеву",
    "Как и Амин Елеусинов, осуждённый ранее, Нурбек Кушакбаев отрицает вину.\n"
    "Бюро считает приговор Кушакбаеву несправедливым. Защита Кушакбаева обжалует его.",
)
LEAD = (  # no name in the title: the first paragraph decides, not the most named
    "Приговор профсоюзному лидеру",
    "Суд в Актау приговорил Ларису Харькову к ограничению свободы.\n"
    "Вспомнили и дело Кушакбаева. Кушакбаев, Кушакбаев и ещё раз Кушакбаев.",
)
COUNT = (  # neither title nor lead: the most often named
    "Профсоюзы под давлением",
    "Обзор недели в Казахстане.\n"
    "Елеусинов упомянут раз. Харькова упомянута дважды: суд над Харьковой продолжается.",
)


def _sections(db: Database, spec: SubscriberSpec) -> dict[str, str]:
    p = preview_digest(db, spec, ENTITIES, NOW)
    return {s.primary.title: g.entity.id for g in p.groups for s in g.stories}


def test_an_article_is_filed_under_its_title_then_its_lead_then_the_most_named(db: Database) -> None:
    for title, body in (STATEMENT, LEAD, COUNT):
        seed(db, title, body)
    found = _sections(db, sub())
    assert found == {STATEMENT[0]: "kushakbayev", LEAD[0]: "kharkova", COUNT[0]: "kharkova"}
    # Any order of the watchlist gives the same sections.
    for order in (("kharkova", "kushakbayev", "eleusinov"), ("kushakbayev", "eleusinov", "kharkova")):
        assert _sections(db, sub(order)) == found


def test_swapping_entities_in_config_changes_no_section(db: Database, tmp_path: Path) -> None:
    for title, body in (STATEMENT, LEAD, COUNT):
        seed(db, title, body)
    base = {
        "database": {"url": db.url},
        "watchlists": [
            {
                "id": "w",
                "entities": [
                    {"id": "eleusinov", "name": "Amin Eleusinov", "aliases": ["Амин Елеусинов"]},
                    {"id": "kushakbayev", "name": "Nurbek Kushakbayev", "aliases": ["Нурбек Кушакбаев"]},
                    {"id": "kharkova", "name": "Larisa Kharkova", "aliases": ["Лариса Харькова"]},
                ],
            }
        ],
        "subscribers": [{"id": "desk", "watchlists": ["w"], "channels": [{"type": "file", "path": "x"}]}],
        "sources": [{"id": "bureau", "name": "KIBHR (ru)", "type": "feed", "url": "http://127.0.0.1:9/f"}],
    }
    seen = []
    for entities in (base["watchlists"][0]["entities"], base["watchlists"][0]["entities"][::-1]):  # type: ignore[index]
        data = {**base, "watchlists": [{"id": "w", "entities": entities}]}
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        cfg = load_config(path)
        spec = subscriber_spec(cfg, cfg.subscribers[0])
        p = preview_digest(db, spec, entity_infos(cfg), NOW)
        seen.append({s.primary.title: (g.entity.id, s.section) for g in p.groups for s in g.stories})
        view = render.view(p)
        assert {st.source for g in view.groups for st in g.stories} == {
            "KIBHR (ru)"
        }  # the name, not the slug
    assert seen[0] == seen[1]
    assert seen[0][STATEMENT[0]] == ("kushakbayev", "kushakbayev")


def test_sections_go_by_number_of_stories_and_the_subject_names_them(db: Database) -> None:
    for i in range(3):
        seed(
            db,
            f"Кушакбаев: новость {i}",
            f"Нурбек Кушакбаев, событие номер {i * 17 + 3}.",
            hours_ago=2 + i * 30,
        )
    for i in range(2):
        seed(
            db,
            f"Елеусинов: новость {i}",
            f"Амин Елеусинов, событие номер {i * 19 + 5}.",
            hours_ago=3 + i * 30,
        )
    p = preview_digest(db, sub(), ENTITIES, NOW)
    assert [(g.entity.id, len(g.stories)) for g in p.groups] == [("kushakbayev", 3), ("eleusinov", 2)]
    assert render.view(p).subject == "5 new: Nurbek Kushakbayev (3), Әмин Елеусінов (2)"


def test_every_watched_name_is_marked_and_the_others_listed(db: Database) -> None:
    seed(db, STATEMENT[0], STATEMENT[1])
    v = render.view(preview_digest(db, sub(), ENTITIES, NOW))
    [story] = v.groups[0].stories
    assert story.snippet is not None
    assert story.snippet.marked == ("Елеусинов", "Кушакбаев")  # the surfaces, as written
    assert story.also_names == ("Әмин Елеусінов",)
    page = render.email_html(v)
    assert "<mark>Елеусинов</mark>" in page and "<mark>Кушакбаев</mark>" in page
    assert "also: Әмин Елеусінов" in page
    text = render.email_text(v)
    assert "[Елеусинов]" in text and "[Кушакбаев]" in text
    [part] = render.telegram_parts(v)
    assert "<b>Елеусинов</b>" in part and "<b>Кушакбаев</b>" in part
    assert telegram_html_error(part) is None


def test_old_matches_are_counted_assigned_and_not_listed(db: Database) -> None:
    new = seed(db, "Кушакбаев сегодня", "Нурбек Кушакбаев сегодня.", hours_ago=3)
    old = [
        seed(
            db, f"Кушакбаев в {2010 + i} году", f"Нурбек Кушакбаев, {2010 + i}.", hours_ago=24 * 400 * (i + 1)
        )
        for i in range(3)
    ]
    spec = sub(language="ru")
    p = preview_digest(db, spec, ENTITIES, NOW)
    assert [s.primary.id for g in p.groups for s in g.stories] == [new]
    assert sorted(a.id for a in p.older) == sorted(old)
    assert p.to_json()["older_not_shown"] == 3
    v = render.view(p)
    assert v.older_count == 3
    assert "3 более ранних материала не показаны (опубликованы более 14 дн. назад)" in render.email_html(v)
    assert "3 более ранних материала" in render.telegram_parts(v)[-1]
    digest_id = create_digest(db, spec, ENTITIES, NOW)
    with db.read() as s:
        assigned = s.scalars(select(DigestItem.article_id).where(DigestItem.digest_id == digest_id)).all()
    assert sorted(assigned) == sorted([new, *old])  # told once, never again
    assert preview_digest(db, spec, ENTITIES, NOW).is_empty
    # No bound: every match is listed.
    unbounded = sub(max_age_days=None)
    assert not preview_digest(db, unbounded, ENTITIES, NOW).older
