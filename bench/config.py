"""Benchmark of large watchlists: loading config.yaml, and `unionwatch match --jsonl` end to end.

    .venv/bin/python bench/config.py            # 10 and 10,000 people, 2,000 articles
    .venv/bin/python bench/config.py --quick    # 500 articles, one repetition

People and articles are bench/matching.py's (inflected Kazakh / Russian / English mentions).
Measured in the same run, in CPU seconds of the process doing the work (robust to other
processes on a shared machine) and, beside them, wall seconds:
1. `load_config` of a config with 10,000 people written inline, and with the same people in an
   included people.csv; the baseline is a bare `yaml.load` of the same file with PyYAML's C
   loader, below which no loader built on PyYAML goes. Target: at most 1 s for 10,000 people.
2. `unionwatch match --jsonl` over the same articles with 10 and with 10,000 people, as an admin
   runs it: a fresh process each time, so Python start-up, config loading and compiling the
   watchlist are counted. Target: 10,000 people cost at most 3x what 10 cost.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scheduler.config import load_config  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_matching", ROOT / "bench" / "matching.py")
assert _spec is not None and _spec.loader is not None
people_and_articles = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(people_and_articles)


def people(n: int, seed: int) -> tuple[list[dict[str, object]], list[str]]:
    rng = random.Random(seed)
    specs, unwatched = people_and_articles.make_people(rng, n)
    entities = [{"id": s.id, "name": s.name, "aliases": list(s.aliases),
                 **({"match": s.match} if s.match != "surname" else {})} for s in specs]
    return entities, unwatched


def write_config(folder: Path, entities: list[dict[str, object]], *, include: bool) -> Path:
    """config.yaml with the people inline, or in people.csv beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    watchlist: dict[str, object] = {"id": "w"}
    if include:
        with (folder / "people.csv").open("w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(["id", "name", "aliases", "match"])
            for e in entities:
                aliases = e["aliases"]
                assert isinstance(aliases, list)
                out.writerow([e["id"], e["name"], "|".join(aliases), e.get("match", "")])
        watchlist["include"] = "people.csv"
    else:
        watchlist["entities"] = entities
    data = {"database": {"url": f"sqlite:///{folder / 'unused.db'}"}, "watchlists": [watchlist]}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def best_of(repeat: int, fn: Callable[[], object]) -> tuple[float, float]:
    """(CPU s, wall s) of the fastest of `repeat` runs in this process."""
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        fn()
        best = min(best, (time.process_time() - cpu, time.perf_counter() - wall))
    return best


def run_child(args: list[str]) -> tuple[float, float]:
    """(CPU s, wall s) of one child process run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):  # 1: nothing matched, as grep says it
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="500 articles, one repetition")
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--articles", type=int, help="articles for match --jsonl (default 2000)")
    ap.add_argument("--seed", type=int, default=20170516)
    args = ap.parse_args()
    repeat = 1 if args.quick else 3
    n_articles = args.articles or (500 if args.quick else 2000)
    entities, unwatched = people(args.people, args.seed)
    verdicts: list[tuple[str, bool]] = []

    with tempfile.TemporaryDirectory(prefix="unionwatch-bench-") as tmp:
        folder = Path(tmp)
        inline = write_config(folder / "inline", entities, include=False)
        csv_config = write_config(folder / "csv", entities, include=True)
        small = write_config(folder / "small", entities[:10], include=False)
        text = inline.read_text(encoding="utf-8")
        print(f"config.yaml with {args.people:,} people: {len(text.splitlines()):,} lines, "
              f"{len(text.encode()) / 1e6:.1f} MB")
        base = best_of(repeat, lambda: yaml.load(text, Loader=yaml.CSafeLoader))
        loads = {"inline": best_of(repeat, lambda: load_config(inline)),
                 "people.csv": best_of(repeat, lambda: load_config(csv_config)),
                 "10 people": best_of(repeat, lambda: load_config(small))}
        print(f"  baseline, bare yaml.load (C loader) of the same file: {base[0]:.2f} CPU s "
              f"({base[1]:.2f} s wall)")
        for what, (cpu, wall) in loads.items():
            print(f"  load_config, {what:>10}: {cpu:.3f} CPU s ({wall:.3f} s wall) = "
                  f"{cpu / base[0]:.2f}x the baseline")
        worst = max(loads["inline"][0], loads["people.csv"][0])
        verdicts.append((f"loading {args.people:,} people takes {worst:.2f} CPU s <= 1 s", worst <= 1.0))

        rng = random.Random(args.seed + 1)
        named = [(str(e["aliases"][0]).split()[0], str(e["aliases"][0]).split()[1])  # type: ignore[index]
                 for e in entities]
        watched = named[:10] * (len(named) // 10) + named  # half the mentions of the ten in both
        articles = folder / "articles.jsonl"
        with articles.open("w", encoding="utf-8") as f:
            for i in range(n_articles):
                body = people_and_articles.article(rng, watched, unwatched)
                f.write(json.dumps({"id": str(i), "text": body}, ensure_ascii=False) + "\n")
        print(f"unionwatch match --jsonl, {n_articles:,} articles of ~600 tokens, a fresh process each run:")
        cli = [sys.executable, "-m", "scheduler.cli", "match", "--jsonl", str(articles)]
        runs: dict[int, list[tuple[float, float]]] = {10: [], args.people: []}
        for _ in range(repeat):  # taking turns, so that load on the machine falls on both alike
            for n, config in ((10, small), (args.people, inline)):
                out = folder / f"out{n}.jsonl"
                runs[n].append(run_child([*cli, "--out", str(out), "--config", str(config)]))
        cost = {n: min(r) for n, r in runs.items()}
        for n, (cpu, wall) in cost.items():
            print(f"  {n:>6} people: {cpu:.2f} CPU s ({wall:.2f} s wall)")
        ratio = cost[args.people][0] / cost[10][0]
        print(f"  {args.people:,} people cost {ratio:.2f}x what 10 cost (CPU; wall "
              f"{cost[args.people][1] / cost[10][1]:.2f}x)")
        verdicts.append((f"match --jsonl with {args.people:,} people costs {ratio:.2f}x 10 people's <= 3x",
                         ratio <= 3.0))

    for what, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}: {what}")
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
