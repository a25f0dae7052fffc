"""What a digest holds, before any template: stories of one event, filed under what they are about."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from matching.stories import Report, StoryFeatures, group_reports, name_stems
from notifier.sentences import Snippet
from notifier.settings import EntityInfo, SubscriberSpec
from notifier.updates import UpdateItem
from storage.digests import SentBefore

TITLE, LEAD, BODY = 0, 1, 2  # where an entity is first named, best first


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
    counts: dict[str, int] = field(default_factory=dict)  # entity id -> mentions in the article
    first: dict[str, tuple[int, int]] = field(default_factory=dict)  # entity -> (TITLE|LEAD|BODY, offset)
    features: StoryFeatures | None = None  # what story grouping compares
    section: str = ""  # the entity the article is mainly about (set by build_groups)

    @property
    def when(self) -> datetime:
        return self.published or self.fetched


def main_entity(art: ArticleRef, order: Mapping[str, int]) -> str:
    """The watched entity an article is mainly about.

    The one named in the title, else in the first paragraph, else the one named most often;
    among several at that level the most often named, then the first named, and only then
    the subscriber's watchlist order: config order decides nothing while the text does.
    """
    if not art.entity_ids:
        return ""
    best = min(art.first.get(e, (BODY + 1, 0))[0] for e in art.entity_ids)
    level = [e for e in art.entity_ids if art.first.get(e, (BODY + 1, 0))[0] == best]
    return min(level, key=lambda e: (-art.counts.get(e, 0), art.first.get(e, (BODY + 1, 0))[1],
                                     order.get(e, len(order)), e))


@dataclass(slots=True)
class Story:
    """One event: its first report, then the other outlets' reports and syndicated copies."""

    primary: ArticleRef
    copies: list[ArticleRef]
    entity_ids: list[str]
    section: str = ""
    id: int = 0  # the lowest article id among its reports: one id for the whole story

    def snippet_for(self, entity_id: str) -> Snippet | None:
        for art in (self.primary, *self.copies):
            if entity_id in art.snippets:
                return art.snippets[entity_id]
        return None

    @property
    def reports(self) -> list[ArticleRef]:
        return [self.primary, *self.copies]


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
    older: list[ArticleRef] = field(default_factory=list)  # matched, too old to show; assigned
    # articles instant alerts brought since then: the digest names them in one line, no more
    already_sent: list[SentBefore] = field(default_factory=list)
    updates: list[UpdateItem] = field(default_factory=list)  # re-checks' changes and removals
    evidence: dict[int, str] = field(default_factory=dict)  # article id -> its archived copy

    @property
    def articles(self) -> list[ArticleRef]:
        """Every article the digest assigns: display order (copies after their primary), then
        the older ones it counts but does not show."""
        return [a for g in self.groups for s in g.stories for a in s.reports] + self.older

    @property
    def story_count(self) -> int:
        return sum(len(g.stories) for g in self.groups)

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.older and not self.updates

    def entity(self, entity_id: str) -> EntityInfo:
        return self.entities.get(entity_id) or EntityInfo(entity_id, entity_id)

    def source_name(self, source_id: str) -> str:
        return self.subscriber.options.source_names.get(source_id) or source_id

    def to_json(self) -> dict[str, Any]:
        """The dry-run shape scripts read: one object per subscriber."""
        return {
            "subscriber": self.subscriber.id,
            "language": self.subscriber.subscriber.language,
            "items": [
                {
                    "url": a.url,
                    "title": a.title,
                    "source": a.source,
                    "source_name": self.source_name(a.source),
                    "language": a.language,
                    "published": a.published.isoformat() if a.published else None,
                    "entities": list(a.entity_ids),
                    "section": s.section,
                    "story": s.id,
                    "primary": a is s.primary,
                }
                for g in self.groups for s in g.stories for a in s.reports
            ],
            "older_not_shown": len(self.older),
        }


def split_by_age(
    articles: list[ArticleRef], now: datetime, max_age_days: int | None
) -> tuple[list[ArticleRef], list[ArticleRef]]:
    """(recent, older): a whole-archive rematch must not flood a digest with old articles."""
    if max_age_days is None:
        return articles, []
    cutoff = now - timedelta(days=max_age_days)
    recent = [a for a in articles if a.when >= cutoff]
    return recent, [a for a in articles if a.when < cutoff]


def _names_written(art: ArticleRef) -> list[str]:
    """The watched names as the article writes them, with a capitalised word just before
    (the given name before a surname the matcher found alone)."""
    out: list[str] = []
    for snip in art.snippets.values():
        prev = ""
        for text, marked in snip.parts:
            if marked:
                out.append(text)
                words = prev.split()
                if words and words[-1][:1].isupper():
                    out.append(words[-1])
            prev = text
    return out


def _stories(articles: list[ArticleRef], group: bool) -> list[list[ArticleRef]]:
    """Reports of one event together: identical copies always, other outlets' when sure."""
    by_hash: dict[str, list[ArticleRef]] = {}
    for art in articles:
        by_hash.setdefault(art.content_hash, []).append(art)
    heads = [sorted(c, key=lambda a: (a.when, a.id)) for c in by_hash.values()]
    if not group:
        return heads
    reports = [
        Report(c[0].id, c[0].when, c[0].language or "", frozenset(e for a in c for e in a.entity_ids),
               c[0].features or StoryFeatures.empty(), name_stems(_names_written(c[0])))
        for c in heads
    ]
    by_id = {c[0].id: c for c in heads}
    return [[a for rid in cluster for a in by_id[rid]] for cluster in group_reports(reports)]


def build_groups(
    articles: list[ArticleRef], subscriber: SubscriberSpec, entities: Mapping[str, EntityInfo]
) -> list[Group]:
    """Stories filed under the entity they are mainly about; sections by number of stories.

    Each article's main entity comes from its text (main_entity); a story goes under the one
    most of its reports are about (its first report's on a tie).
    """
    order = {eid: i for i, eid in enumerate(subscriber.entity_ids)}
    for art in articles:
        art.entity_ids.sort(key=lambda e: order.get(e, len(order)))
        art.section = main_entity(art, order)

    stories: list[Story] = []
    for members in _stories(articles, subscriber.options.group_stories):
        members.sort(key=lambda a: (a.when, a.id))
        primary = members[0]
        seen: dict[str, None] = {}
        for art in members:
            seen.update(dict.fromkeys(art.entity_ids))
        ids = sorted(seen, key=lambda e: order.get(e, len(order)))
        votes = Counter(a.section for a in members)
        top = max(votes.values())
        section = primary.section if votes[primary.section] == top else min(
            (e for e, n in votes.items() if n == top), key=lambda e: order.get(e, len(order)))
        stories.append(Story(primary, members[1:], ids, section, min(a.id for a in members)))

    grouped: dict[str, list[Story]] = {}
    for story in stories:
        grouped.setdefault(story.section, []).append(story)
    groups = []
    for eid in sorted(grouped, key=lambda e: (-len(grouped[e]), order.get(e, len(order)), e)):
        items = sorted(grouped[eid], key=lambda s: (s.primary.when, s.primary.id), reverse=True)
        groups.append(Group(entities.get(eid) or EntityInfo(eid, eid), items))
    return groups
