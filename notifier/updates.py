"""The digest's "Updates" section and evidence links: changes and removals found by re-checks.

A subscriber hears of an update to an article they were sent, naming an entity they still
follow, once: the digest that shows it records it (storage/rechecks.py: digest_update).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from notifier.i18n import DEFAULT_LANGUAGE, local_date, ntr, tr
from notifier.sentences import clip, squash
from storage import rechecks, versions, wayback
from storage.database import Session
from storage.rechecks import RecheckState

DIFF_LINES = 6  # changed sentences shown per update
LINE_LIMIT = 300
TITLE_LIMIT = 300

@dataclass(frozen=True, slots=True)
class UpdateItem:
    recheck_id: int
    article_id: int
    state: RecheckState
    at: datetime
    url: str
    title: str
    source: str
    detail: str | None
    archived_url: str | None
    version: int | None
    changes: tuple[str, ...]  # "-old sentence" / "+new sentence" lines of the diff


@dataclass(frozen=True, slots=True)
class UpdateView:
    """An update as the templates show it, strings cut to size."""

    removed: bool
    date: str
    title: str
    url: str | None
    source: str
    detail: str
    archived_url: str | None
    version: int | None
    changes: tuple[str, ...]


def _changes(session: Session, version_id: int | None) -> tuple[int | None, tuple[str, ...]]:
    if version_id is None:
        return None, ()
    new = versions.by_id(session, version_id)
    old = versions.previous(session, new) if new is not None else None
    if new is None or old is None:
        return (new.version if new else None), ()
    lines = [d for d in versions.diff(old, new, context=0).splitlines()
             if d[:1] in "+-" and not d.startswith(("+++", "---")) and d[1:].strip()]
    return new.version, tuple(clip(d, LINE_LIMIT) for d in lines[:DIFF_LINES])


def pending(session: Session, subscriber_id: str, entity_ids: Sequence[str]) -> list[UpdateItem]:
    """The updates this subscriber's next digest shows."""
    found = rechecks.for_subscriber(session, subscriber_id, entity_ids)
    copies = wayback.snapshots(session, [u.article_id for u in found])
    out = []
    for u in found:
        version, changes = _changes(session, u.version_id)
        out.append(UpdateItem(u.recheck_id, u.article_id, u.state, u.at, u.url, u.title, u.source_id,
                              u.detail, copies.get(u.article_id), version, changes))
    return out


def evidence_links(session: Session, article_ids: Sequence[int]) -> dict[int, str]:
    """Each article's link to its evidence: the Wayback snapshot, when there is one."""
    return wayback.snapshots(session, article_ids)


def views(items: Sequence[UpdateItem], tz: ZoneInfo, check: Callable[[str], str | None],
          lang: str = DEFAULT_LANGUAGE, source_name: Callable[[str], str] = str) -> tuple[UpdateView, ...]:
    """`check`: the renderer's URL filter (http(s) only); dates in the subscriber's language,
    sources by their names."""
    return tuple(
        UpdateView(
            removed=u.state is RecheckState.REMOVED,
            date=local_date(u.at, tz, lang),
            title=clip(squash(u.title), TITLE_LIMIT) or u.url,
            url=check(u.url),
            source=source_name(u.source),
            detail=clip(squash(u.detail or ""), LINE_LIMIT),
            archived_url=check(u.archived_url) if u.archived_url else None,
            version=u.version,
            changes=u.changes,
        )
        for u in items
    )


def update_subject(items: Sequence[UpdateItem], lang: str = DEFAULT_LANGUAGE) -> str:
    """The subject of a digest holding only updates: 'Update: removed — <title>'."""
    if len(items) == 1:
        u = items[0]
        if u.state is RecheckState.REMOVED:
            return tr(lang, "Update: removed — %(title)s") % {"title": squash(u.title)}
        return tr(lang, "Update: changed — %(title)s") % {"title": squash(u.title)}
    removed = sum(u.state is RecheckState.REMOVED for u in items)
    parts = [ntr(lang, "%(num)d removed", "%(num)d removed", removed) % {"num": removed}] if removed else []
    changed = len(items) - removed
    parts += [ntr(lang, "%(num)d changed", "%(num)d changed", changed) % {"num": changed}] if changed else []
    return ntr(lang, "%(num)d update: %(what)s", "%(num)d updates: %(what)s", len(items)) % {
        "num": len(items), "what": ", ".join(parts)}
