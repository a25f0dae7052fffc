"""Reading the articles a subscriber should get: watched mentions not yet assigned to them."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from notifier.content import ArticleRef
from notifier.sentences import Snippet, clip, snippet
from storage import articles, mentions
from storage.database import Session, url_of
from storage.mentions import Evidence

TITLE_LIMIT = 300

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


# Many subscribers share stories: each sentence is cut once. The key holds the database, the
# URL key and the content hash, so neither a second database in the process nor an article id
# reused after a deletion can show another article's sentence.
_SNIPPETS: Lru[tuple[Any, ...], Snippet] = Lru(40_000)


def clear_caches() -> None:
    _SNIPPETS.clear()


def _best_mentions(rows: Iterable[Evidence]) -> dict[tuple[int, str], Evidence]:
    """Per (article, entity) the mention to show: the first in the body, else one in the title.

    The body sentence tells more than the title the reader sees anyway.
    """
    best: dict[tuple[int, str], Evidence] = {}
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


def unassigned_articles(
    session: Session, subscriber_id: str, entity_ids: Sequence[str]
) -> list[ArticleRef]:
    """Articles naming any of entity_ids that no digest of this subscriber holds yet."""
    return _refs(session, mentions.unassigned(session, subscriber_id, entity_ids))


def unassigned_fetched_since(
    session: Session, subscriber_id: str, entity_ids: Sequence[str], since: datetime
) -> list[ArticleRef]:
    """unassigned_articles() first fetched at or after `since`: what one crawl found."""
    return _refs(session, mentions.unassigned_fetched_since(session, subscriber_id, entity_ids, since))


def articles_by_id(
    session: Session, entity_ids: Sequence[str], article_ids: Sequence[int]
) -> list[ArticleRef]:
    """These articles, with their evidence for entity_ids (to rebuild a digest after a race)."""
    return _refs(session, mentions.in_articles(session, entity_ids, article_ids))


def _refs(session: Session, rows: Sequence[Evidence]) -> list[ArticleRef]:
    """ArticleRefs from mention rows, loading article text only for what the caches miss."""
    best = _best_mentions(rows)
    dbkey = url_of(session)
    keyed = [
        ((dbkey, aid, m.url_key, m.content_hash, m.field, m.start, m.end, m.surface), eid, m)
        for (aid, eid), m in best.items()
    ]
    # Bodies only for body mentions whose sentence is not cached yet.
    need = sorted({k[1] for k, _, m in keyed if m.field == "body" and _SNIPPETS.get(k) is None})
    bodies = articles.bodies(session, need)

    refs: dict[int, ArticleRef] = {}
    for key, eid, m in keyed:
        aid = m.article_id
        ref = refs.get(aid)
        if ref is None:
            ref = refs[aid] = ArticleRef(
                id=aid, url=m.url, title=clip(m.title, TITLE_LIMIT) or m.url, source=m.source_id,
                published=m.published_at, fetched=m.fetched_at, language=m.language,
                content_hash=m.content_hash,
            )
        snip = _SNIPPETS.get(key)
        if snip is None:
            text = m.title if m.field == "title" else bodies.get(aid, "")
            snip = _make_snippet(text, m.start, m.end, m.surface)
            _SNIPPETS.put(key, snip)
        ref.entity_ids.append(eid)
        ref.snippets[eid] = snip
    return [refs[i] for i in sorted(refs)]
