"""The web's archived copy comes from the evidence store: the crawl's capture, as text."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import brotli
import pytest
from sqlalchemy import select

from scheduler.archived import copy_finder, payload_text
from scheduler.config import load_config
from storage.database import Database
from storage.models import Article
from tests.e2e.conftest import unionwatch

pytestmark = pytest.mark.slow


def test_every_crawled_article_has_its_capture_as_the_archived_copy(config_path: Path, db_url: str) -> None:
    run = unionwatch("crawl", "--config", str(config_path), "--json")
    assert run.code == 0, run.stderr
    cfg = load_config(config_path)
    db = Database(db_url)
    try:
        find = copy_finder(cfg, db)
        assert find is not None
        with db.read() as s:
            articles = list(s.execute(select(Article.id, Article.url, Article.title)).tuples())
        assert len(articles) >= 14
        for article_id, url, title in articles:
            copy = find(article_id)
            assert copy is not None, url
            assert copy.url == url and copy.digest.startswith("sha256:")
            # The page as served, decoded: its title is in it (Cyrillic ones too, cp1251 included).
            assert title.split()[0] in copy.html, (url, copy.html[:300])
        assert find(10**9) is None
    finally:
        db.dispose()


PAGE = "<html><head><meta charset=windows-1251></head><body>Харькова</body></html>"


@pytest.mark.parametrize(("coding", "encode"), [
    (None, lambda b: b),
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("br", brotli.compress),
    ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),
])
def test_a_payload_as_sent_reads_back_as_the_page(coding: str | None, encode: object) -> None:
    raw = PAGE.encode("cp1251")
    assert callable(encode)
    assert "Харькова" in payload_text(encode(raw), coding, "text/html")


def test_an_unknown_content_coding_is_refused() -> None:
    with pytest.raises(ValueError, match="zstd"):
        payload_text(b"x", "zstd", None)
