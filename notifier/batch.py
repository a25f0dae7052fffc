"""Many digests at once (the 08:00 rush): chunked transactions, optionally several processes."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime

from notifier import assign
from notifier.digest import DEFAULT_MESSAGE_DOMAIN
from notifier.settings import EntityInfo, SubscriberSpec
from storage.database import Database

CHUNK = 50  # subscribers per write transaction: few commits, a lock held well under a second

_WORKER_DB: Database | None = None


def _worker_init(url: str) -> None:
    global _WORKER_DB
    _WORKER_DB = Database(url)


def _prepare_chunk(
    subs: Sequence[SubscriberSpec], entities: Mapping[str, EntityInfo], now: datetime
) -> list[tuple[SubscriberSpec, assign.Prepared | None]]:
    """In a worker: select and render, read-only; the parent process does every write."""
    assert _WORKER_DB is not None
    with _WORKER_DB.read() as session:
        present = assign.EvidencePresent.of(session)
        return [(s, assign.prepare(session, s, entities, now, present)) for s in subs]


def create_digests(
    db: Database,
    subscribers: Sequence[SubscriberSpec],
    entities: Mapping[str, EntityInfo],
    now: datetime,
    *,
    workers: int = 0,
    message_domain: str = DEFAULT_MESSAGE_DOMAIN,
) -> dict[str, int | None]:
    """create_digest for many subscribers: {subscriber id: digest id or None}.

    workers == 0: each chunk is selected, rendered and written in one write transaction,
    exactly as create_digest does. workers >= 1: that many processes ("spawn", safe from a
    threaded scheduler) select and render under read transactions while this process does
    all the writing (so SQLite writers never wait on each other); on 2 cores, 1 worker is
    right. The unique (subscriber, article) key still decides: an article assigned meanwhile
    is dropped from the digest, and one that arrived meanwhile waits for the next.
    """
    chunks = [subscribers[i : i + CHUNK] for i in range(0, len(subscribers), CHUNK)]
    out: dict[str, int | None] = {}
    if workers <= 0 or len(chunks) < 2:
        for chunk in chunks:
            with db.write() as session:
                present = assign.EvidencePresent.of(session)
                for sub in chunk:
                    prep = assign.prepare(session, sub, entities, now, present)
                    out[sub.id] = (
                        None if prep is None else assign.write(session, prep, entities, message_domain)
                    )
        return out
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_worker_init, initargs=(db.url,)
    ) as pool:
        # A few chunks in flight: enough to keep workers busy, few enough to bound memory.
        pending: deque[Future[list[tuple[SubscriberSpec, assign.Prepared | None]]]] = deque()
        todo = iter(chunks)
        for chunk in todo:
            pending.append(pool.submit(_prepare_chunk, chunk, entities, now))
            if len(pending) >= 2 * workers:
                break
        while pending:
            done = pending.popleft().result()
            for chunk in todo:
                pending.append(pool.submit(_prepare_chunk, chunk, entities, now))
                break
            with db.write() as session:
                for sub, prep in done:
                    out[sub.id] = (
                        None if prep is None else assign.write(session, prep, entities, message_domain)
                    )
    return out
