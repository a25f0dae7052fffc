"""Reading the articles a subscriber should get: watched mentions not yet assigned to them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from notifier.content import ArticleRef
from notifier.sentences import Snippet, clip, snippet
from storage.models import Article, DigestItem, Mention

_CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits
TITLE_LIMIT = 300


def _chunks(ids: Sequence[int], size: int = _CHUNK) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _best_mentions(rows: Iterable[Any]) -> dict[tuple[int, str], Any]:
    """Per (article, entity) the mention to show: the first in the body, else one in the title.

    The body sentence tells more than the title the reader sees anyway.
    """
    best: dict[tuple[int, str], Any] = {}
    for row in rows:
        key = (row.article_id, row.entity_id)
        cur = best.get(key)
        rank = (row.field != "body", row.start)
        if cur is None or rank < (cur.field != "body", cur.start):
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
    if not entity_ids:
        return []
    assigned = exists().where(
        DigestItem.subscriber_id == subscriber_id, DigestItem.article_id == Mention.article_id
    )
    rows = session.execute(
        select(
            Mention.article_id, Mention.entity_id, Mention.field, Mention.start, Mention.end,
            Mention.surface,
        ).where(Mention.entity_id.in_(list(entity_ids)), ~assigned)
    ).all()
    best = _best_mentions(rows)
    ids = sorted({aid for aid, _ in best})
    refs: dict[int, ArticleRef] = {}
    for chunk in _chunks(ids):
        arts = session.execute(
            select(
                Article.id, Article.url, Article.title, Article.source_id, Article.published_at,
                Article.fetched_at, Article.language, Article.content_hash, Article.body,
            ).where(Article.id.in_(chunk))
        ).all()
        for a in arts:
            ref = ArticleRef(
                id=a.id, url=a.url, title=clip(a.title, TITLE_LIMIT) or a.url, source=a.source_id,
                published=a.published_at, fetched=a.fetched_at, language=a.language,
                content_hash=a.content_hash,
            )
            refs[a.id] = ref
            for eid in entity_ids:
                m = best.get((a.id, eid))
                if m is None:
                    continue
                ref.entity_ids.append(eid)
                text = a.title if m.field == "title" else a.body
                ref.snippets[eid] = _make_snippet(text, m.start, m.end, m.surface)
    return [refs[i] for i in ids if i in refs]
