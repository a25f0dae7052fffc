"""`watchlists[].include`: entities kept in a spreadsheet's CSV (or a YAML list) beside config.yaml."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import unionwatch

CONFIG = """\
watchlists:
  - id: unions
    include: people.csv
    entities:
      - id: eleusinov
        name: Amin Eleusinov
  - id: more
    include: lists/more.yaml
"""
PEOPLE = """\
id,name,aliases,match,exclude
kharkova,Larisa Kharkova,Лариса Харькова|Харькова Лариса,full_name,
sokolova,Nurbek Sokolov,Нурбек Соколов,,из Соколова|Соколов район
"""
MORE = """\
- id: belyaev
  name: Dmitry Belyaev
  aliases: [Дмитрий Беляев]
"""


def setup(tmp_path: Path, people: str = PEOPLE, more: str = MORE) -> Path:
    (tmp_path / "lists").mkdir(exist_ok=True)
    (tmp_path / "people.csv").write_text(people, encoding="utf-8-sig")  # as Excel saves it
    (tmp_path / "lists" / "more.yaml").write_text(more, encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


def test_included_people_are_checked_and_watched(tmp_path: Path) -> None:
    config = setup(tmp_path)
    run = unionwatch("check", "--config", str(config), "--json")
    assert run.code == 0, run.stdout
    assert "2 watchlists with 4 entities" in " ".join(run.json()["summary"])
    found = unionwatch("match", "Суд над Ларисой Харьковой и Дмитрием Беляевым.", "--config", str(config),
                       "--json")
    assert found.code == 0, found.stderr
    assert set(found.json()["entities"]) == {"kharkova", "belyaev"}


def test_problems_in_an_included_file_are_named_at_its_own_lines(tmp_path: Path) -> None:
    people = PEOPLE + "\nbad id,Someone,,,\nnoname,,,,\nlevin,Ilya Levin,,sometimes,\nextra,A B,,,,,\n"
    more = MORE + "- id: typo\n  nmae: Q\n"
    config = setup(tmp_path, people, more)
    run = unionwatch("check", "--config", str(config), "--json")
    assert run.code == 2
    csv, yml = tmp_path / "people.csv", tmp_path / "lists" / "more.yaml"
    assert run.json()["problems"] == [
        f"{csv}:8: 7 cells, but the header names 5 columns (a cell with a comma needs quotes)",
    ]
    config.write_text(CONFIG, encoding="utf-8")
    (tmp_path / "people.csv").write_text(people.replace("extra,A B,,,,,\n", ""), encoding="utf-8")
    problems = unionwatch("check", "--config", str(config), "--json").json()["problems"]
    assert problems == [
        f"{csv}:5: id: 'bad id' is not a valid id (letters, digits, _ . -; at most 64)",
        f"{csv}:6: name: required key is missing",
        f"{csv}:7: match: Input should be 'surname' or 'full_name' (got 'sometimes')",
        f"{yml}:4: [1].name: required key is missing",
        f"{yml}:5: [1].nmae: unknown key",
    ]


def test_a_missing_or_wrong_include_is_named_in_config_yaml(tmp_path: Path) -> None:
    config = setup(tmp_path)
    (tmp_path / "people.csv").unlink()
    problems = unionwatch("check", "--config", str(config), "--json").json()["problems"]
    assert problems == [f"{config}:3: watchlists[0].include: file not found: {tmp_path / 'people.csv'}"]
    (tmp_path / "people.csv").write_text("id,nom\nx,Y\n", encoding="utf-8")
    problems = unionwatch("check", "--config", str(config), "--json").json()["problems"]
    assert problems == [
        f"{tmp_path / 'people.csv'}:1: unknown column 'nom' (the columns are id, name, kind, aliases, "
        "match, exclude)",
        f"{tmp_path / 'people.csv'}:1: the header names no 'name' column (the columns are id, name, kind, "
        "aliases, match, exclude)",
    ]
    config.write_text(CONFIG.replace("people.csv", "people.xlsx"), encoding="utf-8")
    problems = unionwatch("check", "--config", str(config), "--json").json()["problems"]
    assert problems == [f"{config}:3: watchlists[0].include: people.xlsx: include takes a .csv or .yaml file"]


def test_the_running_service_takes_up_an_edited_included_file(tmp_path: Path) -> None:
    from scheduler.daemon import Service

    config = setup(tmp_path)
    config.write_text(CONFIG + f"database:\n  url: sqlite:///{tmp_path / 'uw.db'}\n", encoding="utf-8")
    now = [0.0]
    service = Service(config, settle=2.0, clock=lambda: now[0])
    try:
        assert "levin" not in {e.id for e in service.cfg.entities}
        (tmp_path / "people.csv").write_text(PEOPLE + "levin,Ilya Levin,Илья Левин,,\n", encoding="utf-8")
        service.watch_config()  # seen changing
        now[0] += 2.5
        service.watch_config()  # settled: read
        assert "levin" in {e.id for e in service.cfg.entities}
        assert "levin" in service.watchlist.entity_ids
    finally:
        service.db.dispose()
