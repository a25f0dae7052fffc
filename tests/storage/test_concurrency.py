"""Several processes writing at once: no 'database is locked', no duplicate rows."""

from __future__ import annotations

import multiprocessing as mp

from sqlalchemy import func, select

from storage.articles import ArticleRecord, insert_article
from storage.database import Database
from storage.models import Article

WORKERS, ROWS = 4, 150


def _writer(url: str, worker: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    db = Database(url)
    errors, new = 0, 0
    for i in range(ROWS):
        try:
            with db.write() as s:
                # Read-then-write in one transaction: the pattern that fails under a deferred BEGIN.
                s.scalar(select(func.count()).select_from(Article))
                # Every worker inserts the same URLs: exactly one of them wins each.
                if insert_article(s, ArticleRecord("src", f"https://example.org/a/{i}.html", "t", "b")):
                    new += 1
        except Exception as exc:
            errors += 1
            out.put(("error", repr(exc)))
    db.dispose()
    out.put(("done", worker, new, errors))


def test_parallel_writers(db_url: str) -> None:
    ctx = mp.get_context("spawn")
    q: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [ctx.Process(target=_writer, args=(db_url, w, q)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    results, errors = [], []
    while len(results) < WORKERS:
        item = q.get(timeout=120)
        (results if item[0] == "done" else errors).append(item)
    for p in procs:
        p.join(timeout=30)
    assert errors == []
    assert sum(r[2] for r in results) == ROWS, "each URL inserted by exactly one worker"
    db = Database(db_url)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == ROWS
    db.dispose()
