"""Several processes writing at once: no 'database is locked', no duplicate rows."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import func, select

from storage.database import Database
from storage.models import Article

WORKERS, ROWS = 4, 150

# Each worker is a separate interpreter, as a crawl child and the scheduler are.
WORKER = """
import json, sys
from sqlalchemy import func, select
from storage.articles import ArticleRecord, insert_article
from storage.database import Database
from storage.models import Article
url, rows = sys.argv[1], int(sys.argv[2])
db = Database(url)
new, errors = 0, []
for i in range(rows):
    try:
        with db.write() as s:
            # Read-then-write in one transaction: the pattern that fails under a deferred BEGIN.
            s.scalar(select(func.count()).select_from(Article))
            # Every worker inserts the same URLs: exactly one of them wins each.
            if insert_article(s, ArticleRecord("src", f"https://example.org/a/{i}.html", "t", "b")):
                new += 1
    except Exception as exc:
        errors.append(repr(exc))
print(json.dumps({"new": new, "errors": errors}))
"""


def test_parallel_writers(db_url: str) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, db_url, str(ROWS)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(WORKERS)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    assert [r["errors"] for r in results] == [[]] * WORKERS
    assert sum(r["new"] for r in results) == ROWS, "each URL inserted by exactly one worker"
    db = Database(db_url)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == ROWS
    db.dispose()
