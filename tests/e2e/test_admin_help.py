"""Issue 11's help for admins, run as an admin runs it: near misses in `match`, `match --alias`
(on a text and on the stored articles) and `suggest` over the archive (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import yaml

from storage.articles import ArticleRecord, insert_articles
from storage.database import Database
from tests.e2e.conftest import unionwatch

WATCHLIST = Path(__file__).resolve().parents[1] / "matching" / "data" / "real_style_watchlist.yaml"
NOW = dt.datetime.now(dt.UTC)
ARTICLES = [
    ("Задержан лидер нефтяников", "Талгат Оспанбаев задержан в Жанаозене. Оспанбаев отказался от показаний."),
    ("Суд над нефтяниками", "Суд в Актау начал процесс. Талгат Оспанбаев выступил с последним словом."),
    ("Допрос", "Оспанбаева доставили в отдел полиции."),
    ("Centre report", "The Kazakhstan Centre for Labour Rights and Social Justice (KCLRSJ) published "
                      "a report. KCLRSJ counted 40 dismissals."),
    ("Weather", "Rain is expected in Almaty on Sunday."),
]


def _config(tmp_path: Path, db_url: str | None = None) -> Path:
    config = yaml.safe_load(WATCHLIST.read_text(encoding="utf-8"))
    if db_url is not None:
        config["database"] = {"url": db_url}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def _store(db_url: str) -> None:
    db = Database(db_url)
    recs = [ArticleRecord("src", f"https://news.example/{n}", title, body, published_at=NOW, fetched_at=NOW)
            for n, (title, body) in enumerate(ARTICLES)]
    with db.write() as s:
        insert_articles(s, recs)
    db.dispose()


def test_match_shows_near_misses_with_the_reason(tmp_path: Path) -> None:
    config = str(_config(tmp_path))
    text = "Оспанбаева доставили в отдел полиции. Askhat Zheksenbekof was fired."
    run = unionwatch("match", "--config", config, text)
    assert run.code == 1, "near misses are not matches: exit 1, as grep does on no match"
    assert "no watched names found" in run.stdout
    assert "Оспанбаева ~ Оспанбай: not counted, no given name nearby; add it as an alias?" in run.stdout
    assert "Zheksenbekof ~ Zheksenbekov: not counted, one letter off; add it as an alias?" in run.stdout
    res = unionwatch("match", "--config", config, "--json", text).json()
    assert res["entities"] == []
    assert [(n["entity"], n["surface"], n["reason"]) for n in res["near_misses"]] == [
        ("ospanbai", "Оспанбаева", "no given name nearby"),
        ("zheksenbekov", "Zheksenbekof", "one letter off"),
    ]


def test_match_tries_an_alias_on_a_text(tmp_path: Path) -> None:
    config = _config(tmp_path)
    before = hashlib.sha256(config.read_bytes()).hexdigest()
    text = "Оспанбаева доставили в отдел полиции."
    res = unionwatch("match", "--config", str(config), "--json", "--alias", "ospanbai=Оспанбаев", text).json()
    assert res["entities"] == ["ospanbai"] and res["near_misses"] == []
    assert hashlib.sha256(config.read_bytes()).hexdigest() == before
    bad = unionwatch("match", "--config", str(config), "--alias", "nobody=Оспанбаев", text)
    assert bad.code == 2
    [line] = bad.stderr.strip().splitlines()
    assert "--alias 'nobody=Оспанбаев': unknown entity 'nobody'" in line
    assert unionwatch("match", "--config", str(config), "--alias", "ospanbai", text).code == 2


def test_match_tries_an_alias_on_stored_articles(tmp_path: Path, db_url: str) -> None:
    _store(db_url)
    config = str(_config(tmp_path, db_url))
    run = unionwatch("match", "--config", config, "--alias", "ospanbai=Оспанбаев", "--stored", "--json")
    assert run.code == 0, run.stderr
    res = run.json()
    assert res["articles"] == len(ARTICLES)
    row = res["entities"]["ospanbai"]
    assert (row["before"], row["after"], row["lost"]) == (2, 3, 0)
    [gained] = row["gained"]
    assert (gained["title"], gained["surface"]) == ("Допрос", "Оспанбаева")
    assert gained["sentence"] == "Оспанбаева доставили в отдел полиции."
    text = unionwatch("match", "--config", config, "--alias", "ospanbai=Оспанбаев", "--stored")
    assert "ospanbai: 2 articles now, 3 with the alias (1 more, 0 fewer)" in text.stdout
    assert unionwatch("match", "--config", config, "--stored").code == 2  # nothing to try


def test_suggest_proposes_unlisted_forms_and_never_edits_the_config(tmp_path: Path, db_url: str) -> None:
    _store(db_url)
    config = _config(tmp_path, db_url)
    before = hashlib.sha256(config.read_bytes()).hexdigest()
    run = unionwatch("suggest", "--config", str(config), "--json")
    assert run.code == 0, run.stderr
    res = run.json()
    assert res["articles"] == len(ARTICLES)
    by_form = {(c["entity"], c["form"]): c for c in res["candidates"]}
    variant = by_form[("ospanbai", "Оспанбаев")]
    assert (variant["kind"], variant["count"], variant["articles"]) == ("variant", 3, 2)
    assert variant["evidence"] == {"given name": 2, "given name elsewhere in the text": 1}
    assert variant["counted"] == 3
    assert variant["examples"] == ["Талгат Оспанбаев задержан в Жанаозене.",
                                   "Талгат Оспанбаев выступил с последним словом."]
    assert variant["aliases_line"] == 'aliases: ["Талғат Оспанбай", "Талғат Оспанбаев"]'
    acronym = by_form[("labour-centre", "KCLRSJ")]
    assert (acronym["kind"], acronym["count"]) == ("acronym", 2)
    assert acronym["aliases_line"].endswith('"KCLR", "KCLRSJ"]')
    assert ("ospanbai", "Оспанбаева") not in by_form, "no evidence: a lone variant is not proposed"
    human = unionwatch("suggest", "--config", str(config))
    assert "ospanbai Оспанбаев (variant: 3 times in 2 articles; given name 2" in human.stdout
    assert 'aliases: ["Талғат Оспанбай", "Талғат Оспанбаев"]' in human.stdout
    assert hashlib.sha256(config.read_bytes()).hexdigest() == before
