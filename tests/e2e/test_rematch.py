"""A name added to a watchlist finds the archive's older articles: on demand and under the service."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from scheduler.config import load_config
from scheduler.daemon import Service
from storage.articles import ArticleRecord, insert_article
from storage.database import Database
from storage.models import Mention
from tests.e2e.conftest import unionwatch

ELEUSINOV = {"id": "eleusinov", "name": "Amin Eleusinov", "aliases": ["Амин Елеусинов"]}
KHARKOVA = {"id": "kharkova", "name": "Larisa Kharkova", "aliases": ["Лариса Харькова"],
            "match": "full_name"}


def _config(tmp_path: Path, url: str, entities: list[dict[str, object]]) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"database": {"url": url},
                                    "watchlists": [{"id": "w", "entities": entities}]},
                                   allow_unicode=True), encoding="utf-8")
    return path


def _archive(db: Database) -> dict[str, int]:
    ids = {}
    for n, (year, body) in enumerate([(2017, "Лариса Харькова осуждена."),
                                      (2019, "Лариса Харькова вновь в суде."),
                                      (2026, "Амин Елеусинов дал интервью.")]):
        with db.write() as s:
            art = insert_article(s, ArticleRecord("src", f"https://example.org/a/{n}.html", "Суд", body,
                                                  published_at=datetime(year, 3, 1, tzinfo=UTC)))
        assert art is not None
        ids[str(year)] = art
    return ids


def _named(db: Database, entity: str) -> set[int]:
    with db.read() as s:
        return set(s.scalars(select(Mention.article_id).where(Mention.entity_id == entity)))


def test_rematch_command_by_entity_and_since(tmp_path: Path, db_url: str) -> None:
    db = Database(db_url)
    ids = _archive(db)
    config = _config(tmp_path, db_url, [ELEUSINOV])
    assert unionwatch("rematch", "--config", str(config), "--json").code == 0
    assert _named(db, "eleusinov") == {ids["2026"]}
    config = _config(tmp_path, db_url, [ELEUSINOV, KHARKOVA])
    run = unionwatch("rematch", "--config", str(config), "--entity", "kharkova", "--since", "2018-01-01",
                     "--json")
    assert run.code == 0, run.stderr
    out = run.json()
    assert out["entities"] == ["kharkova"] and out["articles"] == 2  # 2019 and 2026
    assert _named(db, "kharkova") == {ids["2019"]}
    run = unionwatch("rematch", "--config", str(config), "--entity", "kharkova")
    assert run.code == 0 and "against 3 articles" in run.stdout
    assert _named(db, "kharkova") == {ids["2017"], ids["2019"]}
    bad = unionwatch("rematch", "--config", str(config), "--entity", "nobody")
    assert bad.code == 2 and "unknown entity nobody" in bad.stderr
    db.dispose()


def test_the_service_rematches_an_added_entity_in_a_job_of_its_own(tmp_path: Path, db_url: str) -> None:
    db = Database(db_url)
    ids = _archive(db)
    config = _config(tmp_path, db_url, [ELEUSINOV])
    service = Service(config)
    try:
        service.rematch()  # what the service's start-up job does
        from scheduler.matchjob import match_pending
        from scheduler.wiring import watchlist

        match_pending(db, watchlist(service.cfg))
        assert _named(db, "kharkova") == set()
        # The admin adds Kharkova; a reload installs the one-off rematch job again.
        service.cfg = load_config(_config(tmp_path, db_url, [ELEUSINOV, KHARKOVA]))
        sched = BackgroundScheduler(timezone=UTC)
        service._install_jobs(sched)
        job = sched.get_job("rematch")
        assert job is not None and job.func == service.rematch
        job.func()
        assert _named(db, "kharkova") == {ids["2017"], ids["2019"]}
    finally:
        service.db.dispose()
        db.dispose()
