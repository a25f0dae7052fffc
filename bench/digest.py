"""Digest building at scale: N subscribers × K matched articles out of a large article table.

    .venv/bin/python bench/digest.py                      # 10,000 × 50 of 100,000, SQLite
    .venv/bin/python bench/digest.py --url postgresql://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/digest.py --subscribers 1000   # quicker

Times create_digest for every subscriber (selection, sections, story grouping across outlets,
rendering the email and the Telegram messages in the reader's language, writing
Digest/DigestItem/Delivery rows); sending is excluded. Prints the ratio to a baseline measured
in the same run (the bare selection query for every subscriber), and the cost of story
grouping: the same digests for as many other readers with grouping off, in the same run.
Targets: ≤ 60 s and ≤ 1 GiB peak RSS for the default sizes, grouping and localisation on.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matching.stories import story_features
from notifier import render, select
from notifier.batch import create_digests
from notifier.content import build_groups
from notifier.digest import preview_digest
from notifier.select import unassigned_articles
from notifier.settings import (
    ChannelSpec,
    DigestOptions,
    DigestSchedule,
    EntityInfo,
    Subscriber,
    SubscriberSpec,
)
from storage import articles, mentions, migrate
from storage.articles import ArticleRecord, insert_articles
from storage.database import Database
from storage.mentions import NewMention

NOW = dt.datetime(2025, 11, 25, 3, 0, tzinfo=dt.UTC)
WORDS = [
    "кәсіподақ", "жетекшісі", "сот", "үкімі", "Ақтау", "мұнай", "жұмысшылары", "аштық",
    "жариялады", "профсоюз", "суд", "приговор", "union", "leader", "court", "hearing",
    "strike", "workers", "confederation", "liquidated",
]
ENTITIES_PER_SUBSCRIBER = 5
LANGS = ("en", "ru", "kk")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _body(rng: random.Random, name: str | None) -> tuple[str, int]:
    words = [rng.choice(WORDS) for _ in range(220)]
    sentences = [" ".join(words[i : i + 11]).capitalize() + "." for i in range(0, 220, 11)]
    offset = -1
    if name:
        sentences[7] = f"Суд над {name} продолжился в Актау."
        # A date per report: now and then two reports of an entity share one, and merge.
        sentences[3] = f"Заседание назначено на {rng.randint(1, 28)} ноября."
    body = " ".join(sentences)
    if name:
        offset = body.find(name)
    return body, offset


def seed(db: Database, n_articles: int, n_entities: int, per_entity: int, seed: int) -> None:
    """Articles 0..n_entities*per_entity-1 each name one entity; the rest name nobody."""
    rng = random.Random(seed)
    matched = n_entities * per_entity
    batch: list[tuple[ArticleRecord, NewMention | None]] = []

    def flush() -> None:
        with db.write() as s:
            ids = insert_articles(s, [rec for rec, _ in batch])
            found = []
            for art_id, (_, m) in zip(ids, batch, strict=True):
                assert art_id is not None
                if m is not None:
                    found.append(m._replace(article_id=art_id))
            mentions.add(s, found)
        batch.clear()

    for i in range(n_articles):
        entity = i % n_entities if i < matched else None
        name = f"Елеусинов{entity}" if entity is not None else None
        body, offset = _body(rng, name)
        rec = ArticleRecord(
            source_id=f"source{i % 40}", url=f"https://news{i % 40}.example/{i}",
            title=f"Новость {i}: суд и профсоюз", body=body, published_at=NOW - dt.timedelta(minutes=i),
            fetched_at=NOW - dt.timedelta(minutes=i), language="ru",
        )
        mention = None
        if name:
            mention = NewMention(0, f"e{entity}", "body", offset, offset + len(name), name, "surname")
        batch.append((rec, mention))
        if len(batch) >= 5000:
            flush()
    flush()


def _story_counts(
    db: Database, subs: list[SubscriberSpec], entities: dict[str, EntityInfo]
) -> tuple[float, float]:
    """Stories and articles per digest, on previews of fresh subscribers with these watchlists."""
    fresh = [SubscriberSpec(s.subscriber.model_copy(update={"id": f"probe-{s.id}"}), s.entity_ids, s.options)
             for s in subs]
    previews = [preview_digest(db, s, entities, NOW) for s in fresh]
    n = max(1, len(previews))
    return sum(p.story_count for p in previews) / n, sum(len(p.articles) for p in previews) / n


def _grouping_alone(
    db: Database, subs: list[SubscriberSpec], entities: dict[str, EntityInfo]
) -> tuple[float, float, float]:
    """ms per digest of build_groups with grouping on and off (best of 5, interleaved, so the
    machine's load hits both alike), and ms per article of the features grouping compares."""
    with db.read() as s:
        lists = [(sub, unassigned_articles(s, f"probe-{sub.id}", sub.entity_ids)) for sub in subs]
    flat = {id(sub): dataclasses.replace(sub, options=dataclasses.replace(sub.options, group_stories=False))
            for sub, _ in lists}
    on, off = [], []
    for _ in range(5):
        for grouping, out in ((True, on), (False, off)):
            t = time.perf_counter()
            for sub, arts in lists:
                build_groups([dataclasses.replace(a, entity_ids=list(a.entity_ids)) for a in arts],
                             sub if grouping else flat[id(sub)], entities)
            out.append(time.perf_counter() - t)
    with db.read() as s:
        sample = sorted({a.id for _, arts in lists for a in arts})[:2000]
        bodies = articles.bodies(s, sample)
    t = time.perf_counter()
    for body in bodies.values():
        story_features("", body, "ru")
    per_article = (time.perf_counter() - t) / max(1, len(bodies)) * 1000
    n = max(1, len(lists))
    return min(on) / n * 1000, min(off) / n * 1000, per_article


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--subscribers", type=int, default=10_000)
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--per-subscriber", type=int, default=50)
    ap.add_argument("--url", help="database URL (default: a fresh SQLite file in a temp dir)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=2,
                    help="render processes (0: all in one); 2 suits this 2-core machine")
    args = ap.parse_args()

    per_entity = args.per_subscriber // ENTITIES_PER_SUBSCRIBER
    # Enough entities that subscribers overlap only partly, as real watchlists do.
    n_entities = max(ENTITIES_PER_SUBSCRIBER, min(args.articles // per_entity, 2000))
    tmp = tempfile.TemporaryDirectory(prefix="uw-bench-")
    url = args.url or f"sqlite:///{tmp.name}/bench.db"
    db = Database(url)
    migrate.downgrade(db, "base")  # a database of an earlier run starts empty again
    migrate.upgrade(db)

    t = time.perf_counter()
    seed(db, args.articles, n_entities, per_entity, args.seed)
    seeded = time.perf_counter() - t
    rss_after_seed = peak_rss_mib()

    entities = {f"e{i}": EntityInfo(f"e{i}", f"Елеусинов {i}", short=f"Елеусинов{i}",
                                    local=(("kk", f"Елеусінов {i}", f"Елеусінов{i}"),))
                for i in range(n_entities)}
    names = {f"source{i}": f"Source {i} ({LANGS[i % 3]})" for i in range(40)}

    def subscribers(prefix: str, grouping: bool) -> list[SubscriberSpec]:
        """The same watchlists each time (one seed); every third reader in en, ru and kk."""
        rng = random.Random(args.seed)
        options = DigestOptions(source_names=names, group_stories=grouping, lists=("bench",))
        return [
            SubscriberSpec(
                Subscriber(id=f"{prefix}{i}", name=f"Subscriber {i}", timezone="Asia/Almaty",
                           language=LANGS[i % 3], digest=DigestSchedule(max_age_days=None),
                           channels=[ChannelSpec(type="email", to=f"sub{i}@example.org"),
                                     ChannelSpec(type="telegram", chat_id=str(10_000 + i))]),
                entity_ids=tuple(f"e{e}" for e in rng.sample(range(n_entities), ENTITIES_PER_SUBSCRIBER)),
                options=options,
            )
            for i in range(args.subscribers)
        ]

    subs = subscribers("sub", grouping=True)
    flat = subscribers("flat", grouping=False)  # other ids: the same articles are unassigned to them

    t = time.perf_counter()
    selected = 0
    with db.read() as s:
        for sub in subs:
            selected += len(unassigned_articles(s, sub.id, sub.entity_ids))
    baseline = time.perf_counter() - t

    def timed(run: list[SubscriberSpec]) -> tuple[float, int]:
        select.clear_caches()  # the baseline warmed them; each timed run starts cold
        render.clear_caches()
        t = time.perf_counter()
        made = sum(d is not None for d in create_digests(db, run, entities, NOW,
                                                          workers=args.workers).values())
        return time.perf_counter() - t, made

    ungrouped, _ = timed(flat)
    built, made = timed(subs)
    stories = _story_counts(db, subs[: min(200, len(subs))], entities)
    g_on, g_off, per_article = _grouping_alone(db, subs[: min(200, len(subs))], entities)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    peak = peak_rss_mib()

    print(f"database: {db.dialect}; {args.articles:,} articles, {n_entities:,} entities, "
          f"seeded in {seeded:.1f} s")
    print(f"subscribers: {args.subscribers:,}; matched articles per subscriber: "
          f"{selected / max(1, len(subs)):.1f}")
    print(f"baseline (selection query only): {baseline:.2f} s "
          f"({baseline / len(subs) * 1000:.2f} ms/subscriber)")
    print(f"create_digests, {args.workers} worker(s) (select, group, render email+telegram, "
          f"write outbox): {built:.2f} s ({built / len(subs) * 1000:.2f} ms/subscriber), "
          f"{made:,} digests")
    print(f"ratio to baseline: {built / baseline:.1f}x")
    print(f"story grouping and localisation on (kk/ru/en readers): {built:.2f} s; grouping off, "
          f"same run: {ungrouped:.2f} s; cost of grouping: {built / ungrouped:.2f}x "
          f"({(built - ungrouped) / len(subs) * 1000:+.2f} ms/subscriber); "
          f"a sample digest holds {stories[0]:.1f} stories of {stories[1]:.1f} articles")
    print(f"grouping alone (build_groups, best of 5): {g_on:.2f} ms/digest on, {g_off:.2f} ms off "
          f"({g_on / max(g_off, 1e-9):.1f}x); features: {per_article:.2f} ms per article, once per "
          f"article and process; per subscriber in all: {(g_on - g_off) / (built / len(subs) * 1000):.1%} "
          f"of a digest's time")
    print(f"peak RSS: {peak:.0f} MiB in the main process (after seeding {rss_after_seed:.0f} MiB), "
          f"{children:.0f} MiB in the largest worker")
    verdict = "OK" if built <= 60 and max(peak, children) <= 1024 else "OVER TARGET"
    print(f"target ≤ 60 s and ≤ 1024 MiB at 10,000 × 50 of 100,000: {verdict}")
    db.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
