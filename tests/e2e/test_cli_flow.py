"""The operator's path through the CLI: crawl, crawl again, digest, digest again."""

from __future__ import annotations

import email
from datetime import timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from storage import leases
from storage.database import Database
from storage.models import Article, Delivery, Digest, DigestItem
from tests.e2e.conftest import unionwatch
from tests.support.sources import DEMO_ARTICLE_PATHS
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

# Titles the digest must hold (one per watched person, in each language) and must not hold.
EXPECTED = [
    "Құқық қорғаушылар Елеусінов пен Құшақбаевты босатуды талап етті",
    "Бюро по правам человека призвало освободить Кушакбаева и Елеусинова",
    "Kazakh Union Leader Yeleusinov Sentenced To Two Years In Prison",
    "Суд оставил в силе решение по иску против Ларисы Харьковой",
]


def rows(db_url: str, model: type) -> int:
    db = Database(db_url)
    with db.read() as s:
        n = s.scalar(select(func.count()).select_from(model)) or 0
    db.dispose()
    return n


def test_crawl_twice_then_digest_twice(config_path: Path, db_url: str, tmp_path: Path) -> None:
    first = unionwatch("crawl", "--config", str(config_path), "--json")
    assert first.code == 0, first.stderr
    report = first.json()
    assert {s["status"] for s in report["sources"]} == {"ok"}
    assert sum(s["new"] for s in report["sources"]) == len(DEMO_ARTICLE_PATHS)
    assert report["matched"] == len(DEMO_ARTICLE_PATHS)
    db = Database(db_url)
    with db.read() as s:
        urls = set(s.scalars(select(Article.canonical_url)))
    db.dispose()
    assert {u.split(":", 2)[2].split("/", 1)[1] for u in urls} == {p.lstrip("/") for p in DEMO_ARTICLE_PATHS}

    second = unionwatch("crawl", "--config", str(config_path), "--json")
    assert second.code == 0, second.stderr
    assert sum(s["new"] for s in second.json()["sources"]) == 0
    assert rows(db_url, Article) == len(DEMO_ARTICLE_PATHS)

    dry = unionwatch("digest", "--config", str(config_path), "--dry-run", "--json")
    assert dry.code == 0, dry.stderr
    [plan] = dry.json()
    assert plan["subscriber"] == "kibhr-desk"
    titles = [i["title"] for i in plan["items"]]
    for t in EXPECTED:
        assert t in titles
    assert all(set(i) == {"url", "title", "source", "source_name", "language", "published", "entities",
                          "section", "story", "primary"} for i in plan["items"])
    assert all(i["entities"] and i["section"] in i["entities"] for i in plan["items"])
    # One story across outlets and languages: Kharkova's sentence in Kazakh (Azattyq) and Russian
    # (Vestnik) share a story id and a section; the other reports of the story are not primary.
    stories: dict[int, list[dict[str, Any]]] = {}
    for i in plan["items"]:
        stories.setdefault(i["story"], []).append(i)
    crossing = [s for s in stories.values() if len({i["language"] for i in s}) > 1]
    assert crossing, stories
    for s in stories.values():
        assert [i["primary"] for i in s].count(True) == 1 and len({i["section"] for i in s}) == 1
    assert {i["source_name"] for i in plan["items"]} >= {"Radio Azattyq (kk)", "Vestnik (ru)"}
    assert rows(db_url, Digest) == 0 and rows(db_url, DigestItem) == 0, "dry run marks nothing"

    sent = unionwatch("digest", "--config", str(config_path), "--json")
    assert sent.code == 0, sent.stderr
    out = sent.json()
    assert [d["state"] for d in out["deliveries"]] == ["sent"]
    files = sorted((tmp_path / "digests").iterdir())
    assert [f.suffix for f in files] == [".eml", ".html"]
    html = files[1].read_text(encoding="utf-8")
    by_title = {i["title"]: i for i in plan["items"]}
    for t in EXPECTED:  # a story's first report by its title, the others as "also reported by" links
        item = by_title[t]
        assert (t in html) if item["primary"] else (f'href="{item["url"]}"' in html and t not in html)
    msg: Message = email.message_from_bytes(files[0].read_bytes())
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.get_payload()] == ["text/plain", "text/html"]  # type: ignore[union-attr]
    assert rows(db_url, DigestItem) == len(titles)

    again = unionwatch("digest", "--config", str(config_path), "--json")
    assert again.code == 0, again.stderr
    assert again.json()["digests"] == {"kibhr-desk": None}
    assert sorted((tmp_path / "digests").iterdir()) == files, "nothing is delivered twice"
    assert rows(db_url, Delivery) == 1


def test_a_source_being_crawled_elsewhere_is_skipped(config_path: Path, db_url: str) -> None:
    db = Database(db_url)
    assert leases.acquire(db, "crawl:azattyq", "daemon-on-host-b", timedelta(minutes=5))
    try:
        run = unionwatch("crawl", "azattyq", "vestnik", "--config", str(config_path), "--json")
        assert run.code == 0, run.stderr
        by_id = {s["source"]: s for s in run.json()["sources"]}
        assert by_id["azattyq"]["status"] == "skipped"
        assert "daemon-on-host-b" in by_id["azattyq"]["reason"]
        assert by_id["vestnik"]["status"] == "ok" and by_id["vestnik"]["new"] > 0
        with db.read() as s:
            assert s.scalar(select(func.count()).where(Article.source_id == "azattyq")) == 0
    finally:
        db.dispose()


def test_unknown_source_is_named(config_path: Path) -> None:
    run = unionwatch("crawl", "nope", "--config", str(config_path))
    assert run.code == 2  # a bad argument (issue 10.11; it was 1)
    assert "unknown source nope" in run.stderr and "azattyq" in run.stderr


def test_two_crawls_at_once_neither_lock_nor_crawl_a_source_twice(config_path: Path, db_url: str) -> None:
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "scheduler.cli", "crawl", "--config", str(config_path), "--json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert "database is locked" not in err
    import json

    reports = [json.loads(o) for o, _ in outs]
    per_source: dict[str, list[str]] = {}
    for r in reports:
        for s in r["sources"]:
            per_source.setdefault(s["source"], []).append(s["status"])
    # Each source was crawled by one of the two, or by both one after the other; never twice at once.
    assert all("ok" in statuses for statuses in per_source.values()), per_source
    assert sum(s["new"] for r in reports for s in r["sources"]) == len(DEMO_ARTICLE_PATHS)
    assert rows(db_url, Article) == len(DEMO_ARTICLE_PATHS)


def test_a_crawl_past_its_time_limit_is_stopped_and_the_next_run_finishes(
    config_path: Path, db_url: str, site: object
) -> None:
    import time

    import yaml

    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    base = data["sources"][0]["urls"][0].split("/azattyq/")[0]
    # 30 s gives the child 15 s to close gracefully after its spider opens. With 10 s (5 s after
    # opening) a loaded CI machine spent the whole budget starting the child, and the parent's
    # hard kill came before any article was stored.
    data["crawl"]["max_run_seconds"] = 30
    data["crawl"]["per_host_concurrency"] = 1
    # 24 pages of 1 s each, one at a time: more than 15 s can fetch, few enough that on a
    # quick machine the second run fetches the rest well within its own limit.
    n = 24
    data["sources"] = [{"id": "slow", "type": "listing", "urls": [f"{base}/faults/listing?n={n}&sleep=1"],
                        "language": "en", "link_selector": "a.item", "schedule": "1h"}]
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    started = time.monotonic()
    run = unionwatch("crawl", "--config", str(config_path), "--json")
    took = time.monotonic() - started
    assert took < 60, f"the crawl ran {took:.0f} s despite its 30 s limit"
    [slow] = run.json()["sources"]
    assert slow["status"] in ("partial", "failed"), slow
    stored = rows(db_url, Article)
    assert 0 < stored < n
    again = unionwatch("crawl", "--config", str(config_path), "--json")
    [slow2] = again.json()["sources"]
    assert slow2["status"] != "skipped", "the first run's lease was released"
    assert rows(db_url, Article) > stored, "the next run picks up where the first stopped"
    if slow2["status"] == "ok":  # it had the time to finish: every page is stored, once
        assert rows(db_url, Article) == n and slow2["new"] == n - stored, slow2


def test_kill_9_mid_crawl_leaves_a_consistent_database_and_the_next_run_finishes(
    config_path: Path, db_url: str
) -> None:
    import os
    import signal
    import subprocess
    import sys

    import yaml

    from storage.models import CrawlRun

    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    base = data["sources"][0]["urls"][0].split("/azattyq/")[0]
    data["crawl"]["per_host_concurrency"] = 1
    n = 24
    data["sources"] = [{"id": "slowpages", "type": "listing", "language": "en",
                        "urls": [f"{base}/faults/listing?n={n}&sleep=0.25"], "link_selector": "a.item"}]
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "crawl", "--config", str(config_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_for(lambda: rows(db_url, Article) >= 3, 60, "the crawl to store three articles")
    db = Database(db_url)
    holder = leases.holder(db, "crawl:slowpages")
    assert holder is not None
    child = int(holder.owner.split(":")[1])
    os.kill(child, signal.SIGKILL)  # the crawl child, mid-batch (as the OOM killer would)
    os.killpg(proc.pid, signal.SIGKILL)  # and the CLI that started it
    proc.wait(timeout=10)
    try:
        with db.read() as s:
            arts = s.scalars(select(Article)).all()
            assert 0 < len(arts) < n
            assert all(a.title and a.body and a.content_hash for a in arts), "no half-written article"
            assert s.scalars(select(CrawlRun.status)).all() == ["running"]
        run = unionwatch("crawl", "--config", str(config_path), "--json")
        assert run.code == 0, run.stderr
        [src] = run.json()["sources"]
        assert src["status"] == "ok", "the dead crawl's lease was taken over, not waited out"
        with db.read() as s:
            urls = s.scalars(select(Article.url_key)).all()
            statuses = sorted(s.scalars(select(CrawlRun.status)).all())
        assert len(urls) == len(set(urls)) == n, "every page stored exactly once"
        assert statuses == ["failed", "ok"], "the interrupted run is closed as failed"
    finally:
        db.dispose()
