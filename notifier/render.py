"""Turning a DigestPreview into subjects, email bodies, Telegram messages and a file page."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, Template, select_autoescape
from markupsafe import Markup

from notifier.content import DigestPreview, Group, Story
from notifier.sentences import Snippet, clip, squash
from notifier.updates import UpdateView, update_subject
from notifier.updates import views as update_views

TELEGRAM_LIMIT = 4096  # UTF-16 code units per sendMessage text
SUBJECT_LIMIT = 150
MAX_URL = 2048

# Autoescape everything but the plain-text templates: scraped titles reach HTML and Telegram.
ENV = Environment(
    loader=PackageLoader("notifier", "templates"),
    autoescape=select_autoescape(
        enabled_extensions=("html.j2",), disabled_extensions=("txt.j2",), default=True
    ),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@lru_cache(maxsize=65536)
def safe_url(url: str) -> str | None:
    """The URL if it is fit for an href: http(s) only (autoescape does not stop javascript:)."""
    url = url.strip()
    if len(url) > MAX_URL or any(c in url for c in "\r\n\t "):
        return None
    return url if urlsplit(url).scheme.lower() in ("http", "https") else None


@dataclass(frozen=True, slots=True)
class Link:
    source: str
    url: str | None


@dataclass(frozen=True, slots=True)
class StoryView:
    """A story as every template shows it, the strings already cut to size."""

    title: str
    url: str | None
    source: str
    date: str
    language: str
    snippet: Snippet | None
    entity_names: tuple[str, ...]
    also_in: tuple[Link, ...]
    evidence_url: str | None = None  # the archived copy (Wayback snapshot), when there is one


@dataclass(frozen=True, slots=True)
class GroupView:
    name: str
    kind: str
    stories: list[StoryView]


@dataclass(frozen=True, slots=True)
class DigestView:
    subscriber: str
    date: str
    since: str  # local time of the previous digest: what is new is new since then ("" first)
    subject: str
    story_count: int
    watching: list[str]
    groups: list[GroupView]
    updates: tuple[UpdateView, ...] = ()  # notifier/updates.py


@lru_cache(maxsize=65536)
def _local_date(dt: datetime | None, tz: ZoneInfo) -> str:
    return dt.astimezone(tz).strftime("%Y-%m-%d") if dt else ""


def _story_view(preview: DigestPreview, group: Group, story: Story, tz: ZoneInfo) -> StoryView:
    art = story.primary
    return StoryView(
        title=squash(art.title),
        url=safe_url(art.url),
        source=art.source,
        date=_local_date(art.published or art.fetched, tz),
        language=(art.language or "").upper(),
        snippet=story.snippet_for(group.entity.id),
        entity_names=tuple(squash(preview.entity(e).name) for e in story.entity_ids),
        also_in=tuple(Link(c.source, safe_url(c.url)) for c in story.copies),
        evidence_url=safe_url(preview.evidence.get(art.id, "")),
    )


def subject_line(preview: DigestPreview) -> str:
    """Say what is inside: '3 new: Eleusinov, Kharkova', or the headline when there is one story."""
    names = [squash(g.entity.name) for g in preview.groups]
    n = preview.story_count
    if n == 0 and preview.updates:
        return clip(update_subject(preview.updates), SUBJECT_LIMIT)
    if n == 0:
        return "Nothing new today"
    if n == 1:
        title = preview.groups[0].stories[0].primary.title
        return clip(f"1 new: {names[0]} — {title}", SUBJECT_LIMIT)
    shown = ", ".join(names[:3]) + (f" +{len(names) - 3} more" if len(names) > 3 else "")
    return clip(f"{n} new: {shown}", SUBJECT_LIMIT)


def view(preview: DigestPreview) -> DigestView:
    sub = preview.subscriber
    tz = ZoneInfo(sub.subscriber.timezone)
    return DigestView(
        subscriber=squash(sub.subscriber.display_name),
        date=_local_date(preview.now, tz),
        since=preview.since.astimezone(tz).strftime("%Y-%m-%d %H:%M") if preview.since else "",
        subject=subject_line(preview),
        story_count=preview.story_count,
        watching=[squash(preview.entity(e).name) for e in sub.entity_ids],
        groups=[
            GroupView(
                squash(g.entity.name),
                g.entity.kind,
                [_story_view(preview, g, s, tz) for s in g.stories],
            )
            for g in preview.groups
        ],
        updates=update_views(preview.updates, tz, safe_url),
    )


@lru_cache(maxsize=8)
def _template(name: str) -> Template:
    return ENV.get_template(name)


# Many subscribers watch the same names, so one story appears in many digests: render each
# story once and reuse the fragment (a StoryView is immutable and hashable, so it is the key).
# A real day has hundreds of matching stories; the size covers the 20,000 of bench/digest.py
# (about 2 KB per story for the three fragments).
ITEM_CACHE = 32768


@lru_cache(maxsize=ITEM_CACHE)
def _html_item(s: StoryView) -> Markup:
    fragment: Markup = _template("items.html.j2").module.item(s)  # type: ignore[attr-defined]
    return fragment  # autoescaped by the template, so already safe


@lru_cache(maxsize=ITEM_CACHE)
def _text_item(s: StoryView) -> str:
    return str(_template("items.txt.j2").module.item(s)).rstrip()  # type: ignore[attr-defined]


@lru_cache(maxsize=ITEM_CACHE)
def _telegram_item(s: StoryView) -> str:
    return str(_template("telegram.html.j2").module.item(s)).strip()  # type: ignore[attr-defined]


ENV.globals.update(html_item=_html_item, text_item=_text_item)


def clear_caches() -> None:
    for fn in (_html_item, _text_item, _telegram_item, _local_date, safe_url):
        fn.cache_clear()


def email_text(v: DigestView) -> str:
    return _template("email.txt.j2").render(d=v)


def email_html(v: DigestView) -> str:
    return _template("email.html.j2").render(d=v)


def page_html(v: DigestView) -> str:
    """The standalone page the file channel writes (and `digest --preview` shows)."""
    return _template("page.html.j2").render(d=v)


# --- Telegram -------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]*>")


def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def html_to_plain(text: str) -> str:
    """Our Telegram HTML as plain text, for resending after 'can't parse entities'."""
    return html.unescape(_TAG.sub("", text))


def _fit(block: str, limit: int) -> str:
    """A block that alone exceeds the limit loses its markup and is cut (never inside a tag)."""
    if tg_len(block) <= limit:
        return block
    plain = html_to_plain(block)
    while True:
        out = str(Markup.escape(clip(plain, len(plain))))
        if tg_len(out) <= limit:
            return out
        plain = plain[: max(1, len(plain) * 9 // 10)]


def telegram_parts(v: DigestView, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """The digest as Telegram HTML messages of at most `limit` UTF-16 units, split between items.

    Each block is rendered on its own so every message holds only whole, balanced tags; a
    message that starts inside a group repeats the group's heading.
    """
    mod = _template("telegram.html.j2").make_module({"d": v})
    header = _fit(str(mod.header()).strip(), limit)  # type: ignore[attr-defined]
    if not v.groups and not v.updates:
        return [header]
    parts: list[str] = []
    current, size = header, tg_len(header)  # size kept as we go: no re-measuring the message
    for g in v.groups:
        heading = str(mod.group(g)).strip()  # type: ignore[attr-defined]
        cont = str(mod.group(g, True)).strip()  # type: ignore[attr-defined]
        first = True
        for s in g.stories:
            item = _telegram_item(s)
            piece = _fit(f"{heading}\n\n{item}" if first else item, limit)
            piece_size = tg_len(piece)
            if size + 2 + piece_size <= limit:
                current, size = f"{current}\n\n{piece}", size + 2 + piece_size
            else:
                parts.append(current)
                current = piece if first else _fit(f"{cont}\n\n{item}", limit)
                size = tg_len(current)
            first = False
    for block in _telegram_updates(v.updates):
        piece = _fit(block, limit)
        if size + 2 + tg_len(piece) <= limit:
            current, size = f"{current}\n\n{piece}", size + 2 + tg_len(piece)
        else:
            parts.append(current)
            current, size = piece, tg_len(piece)
    parts.append(current)
    return parts


def _telegram_updates(updates: tuple[UpdateView, ...]) -> list[str]:
    """The Updates section's Telegram pieces: the heading with the first, then one per update."""
    mod = _template("_updates.telegram.j2").module
    blocks = [str(mod.update(u)).strip() for u in updates]  # type: ignore[attr-defined]
    if blocks:
        blocks[0] = f"{str(mod.heading()).strip()}\n\n{blocks[0]}"  # type: ignore[attr-defined]
    return blocks
