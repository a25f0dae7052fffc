"""Re-checks end to end, through the CLI, on a loopback site the test edits and takes down.

A page removed from the site is reported removed by `recheck` and reaches the next digest and
the admins once; an edited page yields a second version with its diff; an unchanged one is
recorded; a 503 is not a removal (the article is tried again at the next run).
"""

from __future__ import annotations

import email
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage import captures, evidence, versions
from storage.database import Database
from storage.models import Article, ArticleVersion, DigestUpdate, Recheck
from tests.e2e.conftest import unionwatch
from tests.evidence import site as news
from tests.support.fixture_site import FixtureSite

pytestmark = pytest.mark.slow


@pytest.fixture
def site(tmp_path: Path) -> Iterator[FixtureSite]:
    with FixtureSite(roots=(news.build(tmp_path / "site"),)) as s:
        yield s


def _by_slug(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["url"].rsplit("/", 1)[1].removesuffix(".html"): r for r in rows}


def _admin_alerts(tmp_path: Path) -> list[str]:
    folder = tmp_path / "admin"
    return sorted(p.read_text(encoding="utf-8") for p in folder.glob("*.html")) if folder.exists() else []


def _text_of(eml: Path) -> str:
    msg: Message = email.message_from_bytes(eml.read_bytes())
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text/plain part")


@pytest.mark.timeout(480)  # eleven commands, four of them with a crawl child: minutes on a busy machine
def test_removed_edited_unchanged_and_transient(tmp_path: Path, db_url: str, site: FixtureSite) -> None:
    cfg = str(news.config(tmp_path, db_url, site.base_url))
    crawl = unionwatch("crawl", "--config", cfg, "--json")
    assert crawl.code == 0, crawl.stderr
    assert crawl.json()["matched"] == len(news.ARTICLES)
    first = unionwatch("digest", "--config", cfg, "--json")
    assert first.code == 0, first.stderr

    # Just fetched: nothing is a day old yet.
    early = unionwatch("recheck", "--config", cfg, "--json")
    assert early.code == 0, early.stderr
    assert early.json() == []

    root = tmp_path / "site" / "news"
    (root / "gone.html").unlink()
    (root / "edited.html").write_text(news.page("edited", news.EDITED_NEW), encoding="utf-8")
    site.answers["/news/flaky.html"] = (503, {})
    site.answers["/news/moved.html"] = (301, {"Location": "/"})
    # A new slug for the same story is still the article.
    (root / "renamed-new-slug.html").write_text(news.page("renamed"), encoding="utf-8")
    site.answers["/news/renamed.html"] = (301, {"Location": "/news/renamed-new-slug.html"})
    site.reset_log()

    run = unionwatch("recheck", "--config", cfg, "--all", "--json")
    assert run.code == 0, run.stderr
    rows = _by_slug(run.json())
    assert {k: r["state"] for k, r in rows.items()} == {
        "gone": "removed", "moved": "removed", "edited": "changed", "same": "unchanged", "flaky": "failed",
        "renamed": "unchanged"}, run.stdout
    assert all(set(r) >= {"url", "article_id", "state", "at"} for r in rows.values())
    assert rows["gone"]["status"] == 404
    assert "home page" in rows["moved"]["detail"]
    assert rows["renamed"]["detail"].endswith("/news/renamed-new-slug.html")
    assert site.hits("/news/flaky.html") >= 2, "a 503 is retried within the run, as crawls do"
    assert run.stderr.count("admin alert: unionwatch: re-check: 2 removed, 1 changed") == 1, run.stderr
    [alert] = _admin_alerts(tmp_path)
    assert "gone.html" in alert and "moved.html" in alert and "edited.html" in alert
    assert "flaky" not in alert and "same.html" not in alert
    assert "+The court agreed to hear" in alert

    db = Database(db_url)
    try:
        with db.read() as s:
            edited_id = s.scalar(select(Article.id).where(Article.url.like("%/edited.html")))
            assert edited_id is not None
            vs = versions.of_article(s, edited_id)
            assert [v.version for v in vs] == [1, 2]
            assert news.EDITED_OLD in vs[0].body and news.EDITED_NEW in vs[1].body
            diff = versions.diff(vs[0], vs[1])
            assert f"-{news.EDITED_OLD}" in diff and f"+{news.EDITED_NEW}" in diff
            # The article row keeps the text first stored: the mentions' offsets point into it.
            assert news.EDITED_OLD in (s.get(Article, edited_id) or Article()).body
            assert s.scalar(select(ArticleVersion.id).where(ArticleVersion.article_id != edited_id)) is None
            # Each re-fetch's answer is archived (evidence capture), the 404 page too.
            assert vs[1].capture_id is not None and vs[0].capture_id is None
            edited_capture = captures.get(s, vs[1].capture_id)
            assert edited_capture is not None and edited_capture.status == 200
            gone_capture = s.scalar(select(Recheck.capture_id).join(Article, Article.id == Recheck.article_id)
                                    .where(Article.url.like("%/gone.html")))
            assert gone_capture is not None
            gone_row = captures.get(s, gone_capture)
            assert gone_row is not None and gone_row.status == 404
        record = evidence.read(tmp_path / "data" / "evidence", edited_capture)
        assert news.EDITED_NEW.encode() in record.payload
    finally:
        db.dispose()

    # Again: the removal is not news any more, the edit is now the text compared against, and
    # the site is back up for the flaky page.
    del site.answers["/news/flaky.html"]
    again = unionwatch("recheck", "--config", cfg, "--all", "--json")
    assert again.code == 0, again.stderr
    assert {k: r["state"] for k, r in _by_slug(again.json()).items()} == {
        "gone": "removed", "moved": "removed", "edited": "unchanged", "same": "unchanged",
        "flaky": "unchanged", "renamed": "unchanged"}, again.stdout
    assert "admin alert" not in again.stderr
    assert len(_admin_alerts(tmp_path)) == 1

    # The next digest has an Updates section with both removals and the change, once.
    second = unionwatch("digest", "--config", cfg, "--json")
    assert second.code == 0, second.stderr
    out = tmp_path / "out"
    emls = sorted(out.glob("*.eml"), key=lambda p: int(p.name.split("-")[0]))
    assert len(emls) == 2
    text = _text_of(emls[-1])
    assert "== Updates ==" in text
    assert text.count("Removed on ") == 2 and text.count("Changed on ") == 1
    assert ": not found (404);" in text and ": redirected to the home page" in text
    assert f"+{news.EDITED_NEW}" in text and f"-{news.EDITED_OLD}" in text
    assert "flaky" not in text.split("== Updates ==")[1].split("--")[0]
    html = sorted(out.glob("*.html"), key=lambda p: int(p.name.split("-")[0]))[-1].read_text(encoding="utf-8")
    assert ">Updates</h2>" in html and "Removed on" in html

    status = unionwatch("status", "--config", cfg, "--json")
    assert status.code == 0, status.stderr
    assert status.json()["checks"]["rechecks_7d"] == {"removed": 4, "changed": 1, "unchanged": 6, "failed": 1}
    assert "re-checks (7 days): 1 changed, 1 failed, 4 removed, 6 unchanged" in \
        unionwatch("status", "--config", cfg).stdout

    third = unionwatch("digest", "--config", cfg, "--json")
    assert third.code == 0, third.stderr
    assert len(list(out.glob("*.eml"))) == 2, "updates are shown once"
    db = Database(db_url)
    try:
        with db.read() as s:
            shown = s.scalars(select(DigestUpdate.recheck_id)).all()
            updates = s.scalars(select(Recheck.id).where(Recheck.is_update.is_(True))).all()
            assert sorted(shown) == sorted(updates) and len(updates) == 3
    finally:
        db.dispose()
