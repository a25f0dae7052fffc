"""Ingest throughput: what our crawl child costs over bare Scrapy and over Scrapy+trafilatura.

    .venv/bin/python bench/ingest.py              # 500 generated Pangea pages, 3 rounds
    .venv/bin/python bench/ingest.py --quick      # 30 pages, 1 round (smoke test)
    .venv/bin/python bench/ingest.py --pages 2000 --rounds 5

Serves N generated article pages in the Pangea layout (plus a feed listing them) from a
keep-alive server on 127.0.0.1 (a thread of this process, so its CPU is not counted), then
runs three crawlers as child processes, interleaved, each once on an empty feed (start-up
cost) and once on the full feed:

  (a) bare     a Scrapy spider that only downloads the feed and the pages
  (b) traf     the same spider running trafilatura.bare_extraction on each page inline
  (c) ours     `unionwatch crawl` end to end into a temporary SQLite database: the crawl
               child (Pangea adapter, decoding and SSRF middlewares, robots.txt, batched
               inserts, evidence capture: each article fetch written as WARC records) and
               then matching the new articles against the shipped watchlist
  (e) nocap    (c) with `evidence.enabled: false`: what capture costs is (c) over (e)
  (d) child    `python -m spiders` alone, the crawl child without the matching

CPU-ms per article = (child CPU on N pages - child CPU on the empty feed) / N, from
resource.getrusage(RUSAGE_CHILDREN) deltas (for (c) that is the CLI, its crawl child and
the matching). Articles/s = N / (wall time on N pages - wall time on the empty feed), so
process start-up does not count but everything a page costs does, matching included. All use the same
concurrency (8 per host and 8 in total: with 16 in total bare Scrapy stalled ~1 s on short
runs), no delay. Prints medians over rounds and the ratios (c)/(a) and (c)/(b); the targets:
(c) at least 2x the throughput of (b) (issue 12), capture overhead (c) over (e) at most 15 %
and the WARC bytes per 1,000 articles (issue 13).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "scheduler" / "demo" / "sites" / "rferl" / "a" / "29220970.html"
CONCURRENCY = 8
WORDS = [
    "union", "leader", "court", "sentence", "strike", "workers", "oil", "company",
    "confederation", "appeal", "parole", "prison", "rights", "group", "statement",
    "government", "law", "registration", "hunger", "region", "city", "judge", "lawyer",
    "charge", "embezzlement", "hearing", "ruling",
]


# ---- the server ----------------------------------------------------------------------


def make_pages(n: int, seed: int = 7) -> tuple[dict[int, bytes], str]:
    """N pages in the Pangea layout with varied bodies (6-12 paragraphs), and the template."""
    template = TEMPLATE.read_text(encoding="utf-8")
    start = template.index('<div class="wsw">') + len('<div class="wsw">')
    end = template.index("</div>\n<ul>\n</ul>", start)
    rng = random.Random(seed)
    pages = {}
    for i in range(n):
        paras = []
        for _ in range(rng.randint(6, 12)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(30, 70))]
            paras.append("<p>" + " ".join(words).capitalize() + ".</p>")
        title = f"Bench article {i}: " + " ".join(rng.choice(WORDS) for _ in range(6))
        page = template[:start] + "\n".join(paras) + template[end:]
        page = page.replace("Jailed Kazakh Labor Union Leader Ordered Released On Parole",
                            html.escape(title)).replace("29220970", str(40000000 + i))
        pages[i] = page.encode("utf-8")
    return pages, template


class BenchServer:
    def __init__(self, n: int) -> None:
        self.pages, _ = make_pages(n)
        self.first: float | None = None
        self.last: float | None = None
        self.count = 0
        self.lock = threading.Lock()
        self.feed_size = n
        bench = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; with Nagle on, each response waits
            # for the client's delayed ACK (~40 ms on Linux).
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/robots.txt":
                    self.reply(b"User-agent: *\nDisallow: /private/\n", "text/plain")
                elif path.startswith("/feed/"):
                    size = int(path.rsplit("/", 1)[1])
                    self.reply(bench.feed(self.server_base(), size), "application/rss+xml")
                elif path.startswith("/a/") and path.endswith(".html"):
                    i = int(path[3:-5]) - 40000000
                    now = time.monotonic()
                    with bench.lock:
                        bench.first = now if bench.first is None else bench.first
                        bench.last = now
                        bench.count += 1
                    self.reply(bench.pages[i], "text/html; charset=utf-8")
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def server_base(self) -> str:
                return bench.base

            def reply(self, body: bytes, ctype: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def feed(self, base: str, size: int) -> bytes:
        items = "".join(
            f"<item><title>Article {i}</title><link>{base}/a/{40000000 + i}.html</link>"
            f"<guid>{base}/a/{40000000 + i}.html</guid>"
            "<pubDate>Tue, 16 May 2017 10:00:00 GMT</pubDate></item>"
            for i in range(size)
        )
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>bench</title><link>{base}/</link><description>bench</description>"
                f"{items}</channel></rss>").encode()

    def reset(self) -> None:
        with self.lock:
            self.first = self.last = None
            self.count = 0

    def stop(self) -> None:
        self.httpd.shutdown()


# ---- children (a) and (b): run as `bench/ingest.py --child MODE FEED_URL` ------------------


def child(mode: str, feed_url: str) -> None:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    extract: Any = None
    if mode == "traf":
        import trafilatura

        def extract(text: str, url: str) -> Any:
            return trafilatura.bare_extraction(text, url=url, with_metadata=True,
                                               include_comments=False)

    class Bench(scrapy.Spider):
        name = f"bench-{mode}"

        async def start(self) -> Any:
            yield scrapy.Request(feed_url, callback=self.parse_feed)

        def parse_feed(self, response: Any) -> Any:
            for link in response.xpath("//item/link/text()").getall():
                yield scrapy.Request(link, callback=self.parse_page)

        def parse_page(self, response: Any) -> None:
            if extract is not None:
                extract(response.text, response.url)

    process = CrawlerProcess({
        "LOG_LEVEL": "WARNING", "ROBOTSTXT_OBEY": True, "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
        "DOWNLOAD_DELAY": 0, "COOKIES_ENABLED": False, "CONCURRENT_REQUESTS": CONCURRENCY,
    })
    process.crawl(Bench)
    process.start()


# ---- measuring -----------------------------------------------------------------------


@dataclass
class Sample:
    cpu_s: float
    wall_s: float
    fetched: int
    warc_bytes: int = 0


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_variant(mode: str, server: BenchServer, size: int, workdir: Path) -> Sample:
    feed = f"{server.base}/feed/{size}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    warc_bytes = 0
    if mode in ("ours", "nocap"):
        import yaml

        from storage import migrate
        from storage.database import Database

        db_file = workdir / f"ours-{size}-{time.monotonic_ns()}.db"
        config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
        config["database"] = {"url": f"sqlite:///{db_file}"}
        config["crawl"].update(per_host_concurrency=CONCURRENCY, per_host_delay=0.0,
                               allow_private_networks=True)
        config["sources"] = [{"id": "bench", "type": "feed", "url": feed, "language": "en"}]
        config.pop("subscribers", None)
        evidence_dir = workdir / f"evidence-{time.monotonic_ns()}"
        config["evidence"] = {"enabled": mode == "ours", "dir": str(evidence_dir)}
        cfg_file = workdir / "config.yaml"
        cfg_file.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        db = Database(config["database"]["url"])
        migrate.upgrade(db)
        db.dispose()
        cmd = [sys.executable, "-m", "scheduler.cli", "crawl", "--config", str(cfg_file), "--json"]
    elif mode == "child":
        from spiders.jobspec import CrawlJob, CrawlSettings, SourceSpec
        from storage import migrate
        from storage.database import Database

        db_file = workdir / f"ours-{size}-{time.monotonic_ns()}.db"
        url = f"sqlite:///{db_file}"
        db = Database(url)
        migrate.upgrade(db)
        db.dispose()
        job = CrawlJob(database_url=url,
                       settings=CrawlSettings(per_host_concurrency=CONCURRENCY, per_host_delay=0.0,
                                              allow_private_networks=True),
                       sources=[SourceSpec(id="bench", type="feed", urls=[feed], language="en")])
        job_file = workdir / "job.json"
        job_file.write_text(job.to_json(), encoding="utf-8")
        cmd = [sys.executable, "-m", "spiders", str(job_file)]
    else:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, feed]
    server.reset()
    before = children_cpu()
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - t0
    cpu = children_cpu() - before
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    if mode in ("ours", "nocap") and size:
        new = sum(s["new"] for s in json.loads(proc.stdout)["sources"])
        if new != size:
            raise SystemExit(f"{mode} stored {new} of {size} articles:\n{proc.stderr[-3000:]}")
        warc_bytes = sum(p.stat().st_size for p in evidence_dir.glob("*.warc.gz"))
        if mode == "ours" and not warc_bytes:
            raise SystemExit("ours archived nothing")
    if mode == "child" and size:
        done = [json.loads(x) for x in proc.stdout.splitlines() if '"done"' in x]
        new = done[0]["stats"]["new"] if done else 0
        if new != size:
            raise SystemExit(f"ours stored {new} of {size} articles:\n{proc.stderr[-3000:]}")
    return Sample(cpu, wall, server.count, warc_bytes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="30 pages, 1 round")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    pages, rounds = (30, 1) if args.quick else (args.pages, args.rounds)
    modes = ("bare", "traf", "ours", "nocap", "child")
    server = BenchServer(pages)
    results: dict[str, list[tuple[Sample, Sample]]] = {m: [] for m in modes}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for r in range(rounds):
                for mode in modes:  # interleaved, so drift hits all three alike
                    empty = run_variant(mode, server, 0, Path(tmp))
                    full = run_variant(mode, server, pages, Path(tmp))
                    if full.fetched != pages:
                        raise SystemExit(f"{mode} fetched {full.fetched} of {pages} pages")
                    results[mode].append((empty, full))
                print(f"round {r + 1}/{rounds} done", file=sys.stderr)
    finally:
        server.stop()

    def cpu_ms(mode: str) -> float:
        return statistics.median(1000 * (f.cpu_s - e.cpu_s) / pages for e, f in results[mode])

    def rate(mode: str) -> float:
        return statistics.median(pages / max(f.wall_s - e.wall_s, 1e-6) for e, f in results[mode])

    def startup(mode: str) -> float:
        return statistics.median(e.cpu_s for e, _ in results[mode])

    print(f"ingest benchmark: {pages} Pangea pages x {rounds} round(s), "
          f"concurrency {CONCURRENCY}, CPU from RUSAGE_CHILDREN (medians)")
    print(f"{'variant':<8} {'articles/s':>10} {'CPU-ms/article':>15} {'start-up CPU s':>15}")
    for mode in modes:
        print(f"{mode:<8} {rate(mode):>10.1f} {cpu_ms(mode):>15.2f} {startup(mode):>15.2f}")
    traf_only = cpu_ms("traf") - cpu_ms("bare")
    print(f"trafilatura alone ≈ {traf_only:.2f} CPU-ms/article ((b) - (a))")
    print(f"(c)/(a): CPU {cpu_ms('ours') / cpu_ms('bare'):.2f}x, "
          f"throughput {rate('ours') / rate('bare'):.2f}x")
    ratio_b = rate("ours") / rate("traf")
    print(f"(c)/(b): CPU {cpu_ms('ours') / cpu_ms('traf'):.2f}x, throughput {ratio_b:.2f}x "
          f"(target >= 2.00x: {'PASS' if ratio_b >= 2.0 else 'FAIL'})")
    print(f"(d)/(b): crawl child alone, throughput {rate('child') / rate('traf'):.2f}x")
    overhead = rate("nocap") / rate("ours") - 1
    cpu_overhead = cpu_ms("ours") / cpu_ms("nocap") - 1
    print(f"evidence capture: (c) over (e) {overhead:+.1%} wall per article, {cpu_overhead:+.1%} CPU "
          f"(target <= 15 %: {'PASS' if overhead <= 0.15 else 'FAIL'}); (e)/(b) throughput "
          f"{rate('nocap') / rate('traf'):.2f}x")
    per_1000 = statistics.median(f.warc_bytes for _, f in results["ours"]) / pages * 1000
    raw = statistics.median(len(p) for p in server.pages.values()) if server.pages else 0
    print(f"evidence space: {per_1000 / 1e6:.2f} MB of WARC (gzip) per 1,000 Pangea articles "
          f"(pages ~{raw / 1000:.0f} kB each uncompressed)")


if __name__ == "__main__":
    main()
