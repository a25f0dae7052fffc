"""Reading the articles a subscriber should get: watched mentions not yet assigned to them."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from notifier.content import ArticleRef
from notifier.sentences import Snippet, clip, snippet
from storage.models import Article, DigestItem, Mention

TITLE_LIMIT = 300
_CHUNK = 500  # ids per IN (...): well under SQLite's and PostgreSQL's parameter limits

# Built once, so SQLAlchemy reuses the compiled form: this runs for every subscriber.
_CANDIDATES = (
    select(
        Mention.article_id, Mention.entity_id, Mention.field, Mention.start, Mention.end,
        Mention.surface, Article.content_hash, Article.url_key,
    )
    .join(Article, Article.id == Mention.article_id)
    .where(
        Mention.entity_id.in_(bindparam("entity_ids", expanding=True)),
        ~exists().where(
            DigestItem.subscriber_id == bindparam("subscriber_id"),
            DigestItem.article_id == Mention.article_id,
        ),
    )
)
_ARTICLES = select(
    Article.id, Article.url, Article.title, Article.source_id, Article.published_at,
    Article.fetched_at, Article.language, Article.body,
).where(Article.id.in_(bindparam("ids", expanding=True)))

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Lru(Generic[K, V]):
    """A small LRU map; functools.lru_cache cannot be filled from a batch query."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        hit = self._data.get(key)
        if hit is not None:
            self._data.move_to_end(key)
        return hit

    def put(self, key: K, value: V) -> None:
        self._data[key] = value
        if len(self._data) > self.size:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()


@dataclass(frozen=True, slots=True)
class _Meta:
    url: str
    title: str
    source: str
    published: datetime | None
    fetched: datetime
    language: str | None


# Many subscribers share stories: article metadata and sentences are computed once. Keys hold
# the database, the URL key and the content hash, so neither a second database in the process
# nor an article id reused after a deletion can show another article's text.
_METAS: Lru[tuple[Any, ...], _Meta] = Lru(40_000)
_SNIPPETS: Lru[tuple[Any, ...], Snippet] = Lru(40_000)


def clear_caches() -> None:
    _METAS.clear()
    _SNIPPETS.clear()


def _best_mentions(rows: Iterable[Any]) -> dict[tuple[int, str], Any]:
    """Per (article, entity) the mention to show: the first in the body, else one in the title.

    The body sentence tells more than the title the reader sees anyway.
    """
    best: dict[tuple[int, str], Any] = {}
    for row in rows:
        key = (row.article_id, row.entity_id)
        cur = best.get(key)
        if cur is None or (row.field != "body", row.start) < (cur.field != "body", cur.start):
            best[key] = row
    return best


def _make_snippet(text: str, start: int, end: int, surface: str) -> Snippet:
    # Offsets come from the matcher; if the text changed since, find the surface again or
    # show the sentence start without a highlight rather than highlight the wrong words.
    if text[start:end].casefold() != surface.casefold():
        found = text.casefold().find(surface.casefold()) if surface else -1
        if found < 0:
            return snippet(text, 0, 0)
        start, end = found, found + len(surface)
    return snippet(text, start, end)


def candidate_pairs(
    session: Session, subscriber_id: str, entity_ids: Sequence[str]
) -> set[tuple[int, str]]:
    """(article, entity) pairs that unassigned_articles would return: a cheap staleness check."""
    if not entity_ids:
        return set()
    rows = session.execute(
        _CANDIDATES, {"entity_ids": list(entity_ids), "subscriber_id": subscriber_id}
    )
    return {(r.article_id, r.entity_id) for r in rows}


def unassigned_articles(
    session: Session, subscriber_id: str, entity_ids: Sequence[str]
) -> list[ArticleRef]:
    """Articles naming any of entity_ids that no digest of this subscriber holds yet."""
    if not entity_ids:
        return []
    rows = session.execute(
        _CANDIDATES, {"entity_ids": list(entity_ids), "subscriber_id": subscriber_id}
    ).all()
    best = _best_mentions(rows)
    dbkey = str(session.get_bind().engine.url)
    keyed = [
        ((dbkey, aid, m.url_key, m.content_hash, m.field, m.start, m.end, m.surface), eid, m)
        for (aid, eid), m in best.items()
    ]
    # Load articles only for what the caches miss.
    need = sorted(
        {k[1] for k, _, _ in keyed if _METAS.get(k[:4]) is None or _SNIPPETS.get(k) is None}
    )
    loaded: dict[int, Any] = {}
    for i in range(0, len(need), _CHUNK):
        loaded.update((r.id, r) for r in session.execute(_ARTICLES, {"ids": need[i : i + _CHUNK]}))

    refs: dict[int, ArticleRef] = {}
    for key, eid, m in keyed:
        aid, content_hash = key[1], key[3]
        ref = refs.get(aid)
        if ref is None:
            meta = _METAS.get(key[:4])
            if meta is None:
                a = loaded[aid]
                meta = _Meta(a.url, clip(a.title, TITLE_LIMIT) or a.url, a.source_id,
                             a.published_at, a.fetched_at, a.language)
                _METAS.put(key[:4], meta)
            ref = refs[aid] = ArticleRef(
                id=aid, url=meta.url, title=meta.title, source=meta.source,
                published=meta.published, fetched=meta.fetched, language=meta.language,
                content_hash=content_hash,
            )
        snip = _SNIPPETS.get(key)
        if snip is None:
            a = loaded[aid]
            text = a.title if m.field == "title" else a.body
            snip = _make_snippet(text, m.start, m.end, m.surface)
            _SNIPPETS.put(key, snip)
        ref.entity_ids.append(eid)
        ref.snippets[eid] = snip
    return [refs[i] for i in sorted(refs)]
