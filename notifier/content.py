"""What a digest holds, before any template: articles grouped by watched entity, then by story."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from notifier.sentences import Snippet
from notifier.settings import EntityInfo, SubscriberSpec
from notifier.updates import UpdateItem


@dataclass(slots=True)
class ArticleRef:
    """One unassigned matching article, with the evidence for each watched entity it names."""

    id: int
    url: str
    title: str
    source: str
    published: datetime | None
    fetched: datetime
    language: str | None
    content_hash: str
    entity_ids: list[str] = field(default_factory=list)  # in the subscriber's order
    snippets: dict[str, Snippet] = field(default_factory=dict)  # entity id -> its sentence

    @property
    def when(self) -> datetime:
        return self.published or self.fetched


@dataclass(slots=True)
class Story:
    """An article and its syndicated copies (same content hash), shown once."""

    primary: ArticleRef
    copies: list[ArticleRef]
    entity_ids: list[str]

    def snippet_for(self, entity_id: str) -> Snippet | None:
        for art in (self.primary, *self.copies):
            if entity_id in art.snippets:
                return art.snippets[entity_id]
        return None


@dataclass(slots=True)
class Group:
    entity: EntityInfo
    stories: list[Story]


@dataclass(slots=True)
class DigestPreview:
    """Everything one subscriber's next digest would hold; building it writes nothing."""

    subscriber: SubscriberSpec
    entities: Mapping[str, EntityInfo]
    groups: list[Group]
    now: datetime
    since: datetime | None = None  # when the subscriber's previous digest was made
    updates: list[UpdateItem] = field(default_factory=list)  # re-checks' changes and removals
    evidence: dict[int, str] = field(default_factory=dict)  # article id -> its archived copy

    @property
    def articles(self) -> list[ArticleRef]:
        """Every article the digest assigns, in display order (copies after their primary)."""
        return [a for g in self.groups for s in g.stories for a in (s.primary, *s.copies)]

    @property
    def story_count(self) -> int:
        return sum(len(g.stories) for g in self.groups)

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.updates

    def entity(self, entity_id: str) -> EntityInfo:
        return self.entities.get(entity_id) or EntityInfo(entity_id, entity_id)

    def to_json(self) -> dict[str, Any]:
        """The dry-run shape scripts read: one object per subscriber."""
        return {
            "subscriber": self.subscriber.id,
            "items": [
                {
                    "url": a.url,
                    "title": a.title,
                    "source": a.source,
                    "published": a.published.isoformat() if a.published else None,
                    "entities": list(a.entity_ids),
                }
                for a in self.articles
            ],
        }


def build_groups(
    articles: list[ArticleRef], subscriber: SubscriberSpec, entities: Mapping[str, EntityInfo]
) -> list[Group]:
    """Group by the first watched entity each story names, then fold syndicated copies together.

    An article naming two watched entities appears once, under the entity the subscriber lists
    first; copies sharing a content hash become one story whose primary is the earliest.
    """
    order = {eid: i for i, eid in enumerate(subscriber.entity_ids)}
    by_hash: dict[str, list[ArticleRef]] = {}
    for art in articles:
        art.entity_ids.sort(key=lambda e: order.get(e, len(order)))
        by_hash.setdefault(art.content_hash, []).append(art)

    stories: list[Story] = []
    for copies in by_hash.values():
        copies.sort(key=lambda a: (a.when, a.id))
        seen: dict[str, None] = {}
        for art in copies:
            seen.update(dict.fromkeys(art.entity_ids))
        ids = sorted(seen, key=lambda e: order.get(e, len(order)))
        stories.append(Story(copies[0], copies[1:], ids))

    grouped: dict[str, list[Story]] = {}
    for story in stories:
        grouped.setdefault(story.entity_ids[0], []).append(story)
    groups = []
    for eid in sorted(grouped, key=lambda e: order.get(e, len(order))):
        items = sorted(grouped[eid], key=lambda s: (s.primary.when, s.primary.id), reverse=True)
        groups.append(Group(entities.get(eid) or EntityInfo(eid, eid), items))
    return groups
