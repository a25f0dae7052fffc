"""The web on a large archive: 100,000 stored articles on SQLite, through HTTP.

    .venv/bin/python bench/web.py                 # 100,000 articles
    .venv/bin/python bench/web.py --articles 5000 # a smoke run

Fills a temporary SQLite database in bulk through storage (articles, their mentions, the
full-text index kept by its triggers), serves the app with uvicorn on 127.0.0.1 (a thread of
this process), then times name search, word search and the entity page (p50/p95 over repeated
requests with varied queries), and runs 50 concurrent clients. Prints the figures, the ratio of
each p95 to the p95 of a static file measured in the same run (the baseline), and the database
size. Targets: name search, word search and entity page p95 < 300 ms; 50 clients, no errors.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching import EntitySpec, compile_watchlist
from scheduler.webserve import listening_socket
from storage import migrate
from storage.articles import ArticleRecord, insert_articles
from storage.database import Database
from storage.mentions import NewMention, add
from web import EntityView, ReaderView, WebSettings, create_app
from web.tokens import Signer

ENTITIES = [
    EntitySpec("eleusinov", "person", "Amin Eleusinov", aliases=("Әмин Елеусінов", "Амин Елеусинов")),
    EntitySpec(
        "kushakbayev", "person", "Nurbek Kushakbayev", aliases=("Нұрбек Құшақбаев", "Нурбек Кушакбаев")
    ),
    EntitySpec("kharkova", "person", "Larisa Kharkova", aliases=("Лариса Харькова",), match="full_name"),
]
WORDS = [
    "суд",
    "профсоюз",
    "забастовка",
    "нефтяники",
    "рабочие",
    "зарплата",
    "приговор",
    "адвокат",
    "апелляция",
    "колония",
    "министерство",
    "компания",
    "шахта",
    "город",
    "область",
    "депутат",
    "закон",
    "право",
    "свобода",
    "журналист",
    "газета",
    "сот",
    "кәсіподақ",
    "жұмысшы",
    "жалақы",
    "үкімет",
    "құқық",
    "бостандық",
    "ереуіл",
    "мұнайшы",
    "қала",
    "court",
    "union",
    "strike",
    "workers",
    "wages",
    "sentence",
    "lawyer",
    "appeal",
    "prison",
    "ministry",
    "company",
    "mine",
]
NAMES = {"eleusinov": "Амин Елеусинов", "kushakbayev": "Нурбек Кушакбаев", "kharkova": "Лариса Харькова"}
SOURCES = ("azattyq", "kloop", "vlast", "kaztag", "tengri", "orda", "rfe", "eurasianet")
SECRET = b"bench-secret-0123456789-0123456789-0123456789"


def fill(db: Database, n: int, seed: int = 1) -> None:
    rnd = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    batch = 2000
    for lo in range(0, n, batch):
        recs, named = [], []
        for i in range(lo, min(n, lo + batch)):
            words = [rnd.choice(WORDS) for _ in range(rnd.randint(60, 200))]
            who = [
                e
                for e, p in (("eleusinov", 0.05), ("kushakbayev", 0.03), ("kharkova", 0.01))
                if rnd.random() < p
            ]
            for e in who:
                words.insert(rnd.randrange(len(words)), NAMES[e])
            body = " ".join(words).capitalize() + "."
            title = " ".join(rnd.choice(WORDS) for _ in range(6)).capitalize()
            when = start + timedelta(minutes=i * 10)
            recs.append(
                ArticleRecord(
                    source_id=SOURCES[i % len(SOURCES)],
                    url=f"https://{SOURCES[i % len(SOURCES)]}.example/{i}",
                    title=title,
                    body=body,
                    published_at=when,
                    fetched_at=when,
                    language="ru",
                )
            )
            named.append([(e, body.find(NAMES[e])) for e in who])
        with db.write() as s:
            ids = insert_articles(s, recs)
            add(
                s,
                [
                    NewMention(aid, e, "body", at, at + len(NAMES[e]), NAMES[e], "full_name", "bench")
                    for aid, spots in zip(ids, named, strict=True)
                    if aid
                    for e, at in spots
                ],
            )


def serve(db: Database) -> tuple[uvicorn.Server, threading.Thread, int]:
    wl = compile_watchlist(ENTITIES)
    cfg = WebSettings(
        db=db,
        base_url="",
        secret=SECRET,
        admin_password_hash=None,
        entities={e.id: EntityView(e.id, e.name, e.kind) for e in ENTITIES},
        watchlists={"kz": tuple(e.id for e in ENTITIES)},
        readers={"desk": ReaderView("desk", "Desk", frozenset(e.id for e in ENTITIES), ("file:x",))},
        sources=SOURCES,
        names=wl,
        cookie_secure=False,
    )
    sock = listening_socket("127.0.0.1", 0, backlog=256)
    port = sock.getsockname()[1]
    cfg.base_url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(cfg), log_level="warning", access_log=False, backlog=256, limit_concurrency=None
        )
    )
    th = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    th.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("the server did not start")
        time.sleep(0.05)
    return server, th, port


def timed(c: httpx.Client, paths: list[str], rounds: int) -> list[float]:
    out = []
    for i in range(rounds):
        t = time.perf_counter()
        r = c.get(paths[i % len(paths)])
        out.append((time.perf_counter() - t) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{paths[i % len(paths)]}: HTTP {r.status_code}")
    return out


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=60)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--db", type=Path, help="Keep the filled database here and reuse it on the next run.")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the child: serve --db
    args = ap.parse_args()
    if args.serve:
        db = Database(f"sqlite:///{args.db}")
        server, th, port = serve(db)
        print(port, flush=True)
        sys.stdin.read()  # until the parent closes our stdin
        server.should_exit = True
        th.join(10)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.db"
        reuse = path.exists()
        db = Database(f"sqlite:///{path}")
        migrate.upgrade(db)
        t = time.perf_counter()
        if not reuse:
            fill(db, args.articles)
        print(
            f"filled {args.articles:,} articles in {time.perf_counter() - t:.1f} s; "
            f"database {path.stat().st_size / 2**20:.0f} MiB"
        )
        # The server in a child process, so the 50 client threads here do not share its GIL.
        child = subprocess.Popen([sys.executable, __file__, "--serve", "--db", str(path)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None and child.stdin is not None
        port = int(child.stdout.readline())
        base = f"http://127.0.0.1:{port}"
        token = Signer(SECRET).make("admin", "login", days=1)
        with httpx.Client(base_url=base, timeout=60) as c:
            assert c.get(f"/l/{token}", follow_redirects=False).status_code == 303
            cases = {
                "static (baseline)": ["/static/style.css"],
                "name search": [
                    "/search?q=Елеусинова",
                    "/search?q=кушакбаева",
                    "/search?q=Eleusinov",
                    "/search?q=Лариса+Харькова",
                    "/search?q=Елеусинов&page=5",
                ],
                "word search": [
                    "/search?q=забастовка",
                    "/search?q=кәсіподақ+жалақы",
                    "/search?q=апелляция",
                    "/search?q=нефтяники+приговор",
                    "/search?q=court&source=kloop",
                    "/search?q=суд&since=2024-03-01&until=2024-04-01",
                    "/search?q=шахта&page=3",
                ],
                "entity page": ["/e/eleusinov", "/e/kushakbayev", "/e/kharkova", "/e/eleusinov?page=4"],
            }
            for paths in cases.values():
                timed(c, paths, len(paths))  # warm the caches
            results = {name: timed(c, paths, args.rounds) for name, paths in cases.items()}
            cookies = dict(c.cookies)
        base_p95 = p95(results["static (baseline)"])
        print(f"{'page':<20}{'p50 ms':>9}{'p95 ms':>9}{'x baseline':>12}   target")
        ok = True
        for name, xs in results.items():
            target = (
                "" if name.startswith("static") else ("p95 < 300 ms " + ("ok" if p95(xs) < 300 else "MISSED"))
            )
            ok &= name.startswith("static") or p95(xs) < 300
            med = statistics.median(xs)
            print(f"{name:<20}{med:>9.1f}{p95(xs):>9.1f}{p95(xs) / base_p95:>12.1f}   {target}")

        all_paths = [p for k, v in cases.items() if not k.startswith("static") for p in v]
        errors, lat = [], []
        lock = threading.Lock()

        def client(i: int) -> None:
            with httpx.Client(base_url=base, timeout=60, cookies=cookies) as cc:
                for j in range(10):
                    t0 = time.perf_counter()
                    try:
                        r = cc.get(all_paths[(i + j) % len(all_paths)])
                        bad = r.status_code != 200
                    except httpx.HTTPError as exc:
                        bad, r = True, exc  # type: ignore[assignment]
                    with lock:
                        lat.append((time.perf_counter() - t0) * 1000)
                        if bad:
                            errors.append(str(getattr(r, "status_code", r)))

        t = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(client, range(args.clients)))
        wall = time.perf_counter() - t
        print(
            f"{args.clients} concurrent clients x 10 requests: {len(errors)} errors, "
            f"{len(lat) / wall:.0f} req/s, p95 {p95(lat):.0f} ms "
            f"({'ok' if not errors else 'ERRORS: ' + ', '.join(errors[:5])})"
        )
        ok &= not errors
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        print(
            f"database size: {size / 2**20:.0f} MiB with WAL "
            f"({path.stat().st_size / 2**20:.0f} MiB main file)"
        )
        child.stdin.close()
        child.wait(30)
        db.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
