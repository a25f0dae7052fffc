"""Evidence through the CLI: a crawl archives every article, `status` reports the archive and
the captures a deleted file took with it, `evidence prune` keeps matched articles' captures."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from storage import captures
from storage.database import Database
from storage.models import Article, Mention
from tests.e2e.conftest import unionwatch

pytestmark = pytest.mark.slow


def archive_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.glob("*.warc.gz"))


def test_crawl_archives_prune_keeps_matched_status_names_the_gone(
    config_path: Path, db_url: str, tmp_path: Path
) -> None:
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["evidence"] = {"keep_unmatched_days": 0}  # so that prune drops every unmatched capture now
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    root = tmp_path / "data" / "evidence"  # evidence.dir's default, next to config.yaml

    run = unionwatch("crawl", "--config", str(config_path), "--json")
    assert run.code == 0, run.stderr
    db = Database(db_url)
    try:
        with db.read() as s:
            ids = list(s.scalars(select(Article.id)))
            matched = set(s.scalars(select(Mention.article_id)))
            per_article = {i: captures.for_article(s, i) for i in ids}
        assert len(ids) >= 14 and matched and set(matched) < set(ids)
        for i, got in per_article.items():
            assert [(c.article_id, c.status) for c in got] == [(i, 200)]

        status = unionwatch("status", "--config", str(config_path), "--json")
        assert status.code == 0, status.stderr
        ev = status.json()["evidence"]
        assert ev["enabled"] and ev["dir"] == str(root.resolve())
        assert ev["captures"] >= len(ids) and ev["gone"] == [] and ev["files"] == 1
        size = archive_bytes(root)
        assert ev["bytes"] == size

        prune = unionwatch("evidence", "prune", "--config", str(config_path), "--json")
        assert prune.code == 0, prune.stderr
        done = prune.json()
        assert done["dropped"] == ev["captures"] - len(matched)
        assert done["files_compacted"] == 1 and done["bytes_freed"] > 0
        assert archive_bytes(root) == size - done["bytes_freed"]
        with db.read() as s:
            left = captures.every(s)
        assert {c.article_id for c in left} == matched  # matched articles keep their evidence

        [warc] = list(root.glob("*.warc.gz"))
        warc.unlink()
        text = unionwatch("status", "--config", str(config_path))
        assert text.code == 0, text.stderr
        assert f"{len(left)} captures gone" in text.stdout
        assert f"capture {left[0].id} (article {left[0].article_id})" in text.stdout
        gone = unionwatch("status", "--config", str(config_path), "--json").json()["evidence"]["gone"]
        assert sorted(g["capture_id"] for g in gone) == sorted(c.id for c in left)
        assert all(g["reason"] == f"file {warc.name} is missing" for g in gone)
    finally:
        db.dispose()


def test_evidence_off_writes_nothing(config_path: Path, db_url: str, tmp_path: Path) -> None:
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["evidence"] = {"enabled": False}
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    run = unionwatch("crawl", "--config", str(config_path), "--json")
    assert run.code == 0, run.stderr
    assert not (tmp_path / "data" / "evidence").exists()
    ev = unionwatch("status", "--config", str(config_path), "--json").json()["evidence"]
    assert (ev["enabled"], ev["captures"], ev["files"]) == (False, 0, 0)


def test_a_bad_evidence_key_names_file_line_and_key(config_path: Path) -> None:
    with open(config_path, "a", encoding="utf-8") as f:
        f.write("evidence:\n  keep_unmatched_days: -1\n  max_files: 3\n")
    run = unionwatch("check", "--config", str(config_path))
    assert run.code != 0
    assert "evidence.keep_unmatched_days" in run.stderr + run.stdout
    assert "evidence.max_files: unknown key" in run.stderr + run.stdout
