"""Many digests at once (the 08:00 rush): rendering off the write lock, on several cores."""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime

from notifier import assign
from notifier.digest import DEFAULT_MESSAGE_DOMAIN
from notifier.settings import EntityInfo, SubscriberSpec
from storage.database import Database

CHUNK = 50  # subscribers per write transaction: a short lock, few commits


def _create_chunk(
    db: Database,
    subs: Sequence[SubscriberSpec],
    entities: Mapping[str, EntityInfo],
    now: datetime,
    domain: str,
) -> dict[str, int | None]:
    """Prepare every digest under a read transaction, then write them under one write lock.

    The write transaction checks that each prepared digest still holds exactly the due
    articles (and channels) and prepares it again if not, so the result is what create_digest
    would give; only the rendering, the bulk of the work, ran without the lock.
    """
    with db.read() as session:
        prepared = {s.id: assign.prepare(session, s, entities, now) for s in subs}
    out: dict[str, int | None] = {}
    with db.write() as session:
        for sub in subs:
            prep = prepared[sub.id]
            if prep is None or not assign.still_valid(session, prep):
                prep = assign.prepare(session, sub, entities, now)
            out[sub.id] = None if prep is None else assign.write(session, prep, domain)
    return out


_WORKER_DB: Database | None = None


def _worker_init(url: str) -> None:
    global _WORKER_DB
    _WORKER_DB = Database(url)


def _worker_chunk(
    subs: Sequence[SubscriberSpec], entities: Mapping[str, EntityInfo], now: datetime, domain: str
) -> dict[str, int | None]:
    assert _WORKER_DB is not None
    return _create_chunk(_WORKER_DB, subs, entities, now, domain)


def create_digests(
    db: Database,
    subscribers: Sequence[SubscriberSpec],
    entities: Mapping[str, EntityInfo],
    now: datetime,
    *,
    workers: int = 1,
    message_domain: str = DEFAULT_MESSAGE_DOMAIN,
) -> dict[str, int | None]:
    """create_digest for many subscribers: {subscriber id: digest id or None}.

    With workers > 1, chunks run in that many processes ("spawn": safe from a threaded
    scheduler), each rendering while another holds the write lock.
    """
    chunks = [subscribers[i : i + CHUNK] for i in range(0, len(subscribers), CHUNK)]
    out: dict[str, int | None] = {}
    if workers <= 1 or len(chunks) < 2:
        for chunk in chunks:
            out.update(_create_chunk(db, chunk, entities, now, message_domain))
        return out
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_worker_init, initargs=(db.url,)
    ) as pool:
        futures = [
            pool.submit(_worker_chunk, chunk, entities, now, message_domain) for chunk in chunks
        ]
        for f in futures:
            out.update(f.result())
    return out
