"""Turning a DigestPreview into subjects, email bodies, Telegram messages and a file page."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Template
from markupsafe import Markup

from notifier import i18n
from notifier.content import ArticleRef, DigestPreview, Group, Story
from notifier.i18n import DEFAULT_LANGUAGE, ntr, tr
from notifier.sentences import Snippet, clip, squash
from notifier.updates import UpdateView, update_subject
from notifier.updates import views as update_views

TELEGRAM_LIMIT = 4096  # UTF-16 code units per sendMessage text
SUBJECT_LIMIT = 150
MAX_URL = 2048
SUBJECT_NAMES = 3  # main entities a subject names; "+N more" for the rest


@lru_cache(maxsize=65536)
def safe_url(url: str) -> str | None:
    """The URL if it is fit for an href: http(s) only (autoescape does not stop javascript:)."""
    url = url.strip()
    if len(url) > MAX_URL or any(c in url for c in "\r\n\t "):
        return None
    return url if urlsplit(url).scheme.lower() in ("http", "https") else None


@dataclass(frozen=True, slots=True)
class Link:
    source: str  # the source's name, as config.yaml gives it
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
    also_names: tuple[str, ...]  # the other watched names the story mentions
    also_reported: tuple[Link, ...]  # the other outlets' reports and syndicated copies
    story: int = 0
    section: str = ""
    evidence_url: str | None = None  # the archived copy (Wayback snapshot), when there is one
    article_id: int = 0


@dataclass(frozen=True, slots=True)
class GroupView:
    name: str
    kind: str
    stories: list[StoryView]
    id: str = ""


@dataclass(frozen=True, slots=True)
class SentView:
    """An article an instant alert brought already: named in the digest's one line about them."""

    title: str
    url: str | None
    source: str


@dataclass(frozen=True, slots=True)
class DigestView:
    subscriber: str
    date: str
    since: str  # local time of the previous digest: what is new is new since then ("" first)
    subject: str
    story_count: int
    watching: list[str]
    groups: list[GroupView]
    already_sent: tuple[SentView, ...] = ()  # see templates/_already_sent.*.j2
    instant: bool = False  # an instant alert, not the scheduled digest
    lang: str = DEFAULT_LANGUAGE
    older_count: int = 0  # matches too old to list (digest.max_age_days)
    max_age_days: int = 0
    updates: tuple[UpdateView, ...] = ()  # notifier/updates.py
    # article id -> its links into the web for this reader (items.*.j2 `links`); none without web
    item_links: Mapping[int, ItemLinks] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ItemLinks:
    """One item's links into `unionwatch web`, signed for the reader: kept out of the cached
    item fragments, which every reader of the story shares."""

    read: str
    mark: str
    name: str  # the section's entity, whom the mark is about


def _story_view(preview: DigestPreview, group: Group, story: Story, tz: ZoneInfo, lang: str) -> StoryView:
    art = story.primary
    others = [e for e in story.entity_ids if e != group.entity.id]
    return StoryView(
        title=squash(art.title),
        url=safe_url(art.url),
        source=squash(preview.source_name(art.source)),
        date=i18n.short_date(art.published or art.fetched, tz, lang),
        language=(art.language or "").upper(),
        snippet=story.snippet_for(group.entity.id),
        also_names=tuple(squash(preview.entity(e).name_in(lang)) for e in others),
        also_reported=tuple(Link(squash(preview.source_name(c.source)), safe_url(c.url))
                            for c in _distinct_outlets(story)),
        story=story.id,
        section=group.entity.id,
        evidence_url=safe_url(preview.evidence.get(art.id, "")),
        article_id=art.id,
    )


def _distinct_outlets(story: Story) -> list[ArticleRef]:
    """One link per other outlet: a source's second report of the story adds nothing."""
    seen = {story.primary.source}
    out = []
    for c in story.copies:
        if c.source not in seen:
            seen.add(c.source)
            out.append(c)
    return out


def subject_line(preview: DigestPreview) -> str:
    """Say what is inside: '5 new: Kushakbayev (3), Eleusinov (2)', or the headline of one story."""
    lang = preview.subscriber.subscriber.language
    n = preview.story_count
    if n == 0 and preview.updates:
        return clip(update_subject(preview.updates, lang), SUBJECT_LIMIT)
    if n == 0:
        lists = ", ".join(preview.subscriber.options.lists) or ", ".join(
            squash(preview.entity(e).label_in(lang)) for e in preview.subscriber.entity_ids[:SUBJECT_NAMES])
        return clip(tr(lang, "unionwatch · %(lists)s: nothing new today") % {"lists": lists},
                    SUBJECT_LIMIT)
    if n == 1:
        g = preview.groups[0]
        return clip(tr(lang, "1 new: %(name)s — %(title)s")
                    % {"name": squash(g.entity.label_in(lang)), "title": squash(g.stories[0].primary.title)},
                    SUBJECT_LIMIT)
    names = [f"{squash(g.entity.label_in(lang))} ({len(g.stories)})" for g in preview.groups]
    shown = ", ".join(names[:SUBJECT_NAMES])
    if len(names) > SUBJECT_NAMES:
        rest = len(names) - SUBJECT_NAMES
        shown += " " + ntr(lang, "+%(num)d more", "+%(num)d more", rest) % {"num": rest}
    return clip(ntr(lang, "%(num)d new: %(names)s", "%(num)d new: %(names)s", n)
                % {"num": n, "names": shown}, SUBJECT_LIMIT)


def view(preview: DigestPreview) -> DigestView:
    sub = preview.subscriber
    lang = sub.subscriber.language
    tz = ZoneInfo(sub.subscriber.timezone)
    return DigestView(
        subscriber=squash(sub.subscriber.display_name),
        date=i18n.local_date(preview.now, tz, lang),
        since=i18n.local_datetime(preview.since, tz, lang) if preview.since else "",
        subject=subject_line(preview),
        story_count=preview.story_count,
        watching=[squash(preview.entity(e).name_in(lang)) for e in sub.entity_ids],
        groups=[
            GroupView(
                squash(g.entity.name_in(lang)),
                g.entity.kind,
                [_story_view(preview, g, s, tz, lang) for s in g.stories],
                g.entity.id,
            )
            for g in preview.groups
        ],
        lang=lang,
        older_count=len(preview.older),
        max_age_days=sub.subscriber.digest.max_age_days or 0,
        already_sent=tuple(SentView(clip(squash(a.title), ALREADY_SENT_TITLE) or a.url, safe_url(a.url),
                                    squash(preview.source_name(a.source_id)))
                           for a in preview.already_sent),
        updates=update_views(preview.updates, tz, safe_url, lang,
                             lambda source: squash(preview.source_name(source))),
        item_links=_item_links(preview, lang),
    )


def _item_links(preview: DigestPreview, lang: str) -> dict[int, ItemLinks]:
    web = preview.subscriber.options.web
    if web is None:
        return {}
    who = preview.subscriber.id
    return {s.primary.id: ItemLinks(web.read(who, s.primary.id), web.mark(who, s.primary.id, g.entity.id),
                                    squash(g.entity.name_in(lang)))
            for g in preview.groups for s in g.stories}


ALREADY_SENT_TITLE = 80  # characters of each title in the digest's "already sent" line


def instant_subject(subject: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """An instant alert's subject: the digest's, marked as an alert."""
    return clip(tr(lang, "⚡ Alert: %(subject)s") % {"subject": subject}, SUBJECT_LIMIT)


@lru_cache(maxsize=32)
def _template(name: str, lang: str) -> Template:
    return i18n.environment(lang).get_template(name)


# Many subscribers watch the same names, so one story appears in many digests: render each
# story once per language and reuse the fragment (a StoryView is immutable and hashable).
# A real day has hundreds of matching stories; the size covers the 20,000 of bench/digest.py
# in three languages (about 2 KB per story and language for the three fragments).
ITEM_CACHE = 65536


@lru_cache(maxsize=ITEM_CACHE)
def _html_item(s: StoryView, lang: str) -> Markup:
    fragment: Markup = _template("items.html.j2", lang).module.item(s)  # type: ignore[attr-defined]
    return fragment  # autoescaped by the template, so already safe


@lru_cache(maxsize=ITEM_CACHE)
def _text_item(s: StoryView, lang: str) -> str:
    return str(_template("items.txt.j2", lang).module.item(s)).rstrip()  # type: ignore[attr-defined]


@lru_cache(maxsize=ITEM_CACHE)
def _telegram_item(s: StoryView, lang: str) -> str:
    return str(_template("telegram.html.j2", lang).module.item(s)).strip()  # type: ignore[attr-defined]


def _item_globals(lang: str) -> dict[str, object]:
    return {"html_item": lambda s: _html_item(s, lang), "text_item": lambda s: _text_item(s, lang)}


def _telegram_links(v: DigestView, s: StoryView) -> str:
    links = v.item_links.get(s.article_id)
    if links is None:
        return ""
    mod = _template("_item_links.j2", v.lang).module
    return "\n" + str(mod.telegram(links)).strip()  # type: ignore[attr-defined]


def clear_caches() -> None:
    for fn in (_html_item, _text_item, _telegram_item, safe_url):
        fn.cache_clear()
    i18n.clear_caches()


def email_text(v: DigestView) -> str:
    return _template("email.txt.j2", v.lang).render(d=v, **_item_globals(v.lang))


def email_html(v: DigestView) -> str:
    return _template("email.html.j2", v.lang).render(d=v, **_item_globals(v.lang))


def page_html(v: DigestView) -> str:
    """The standalone page the file channel writes (and `digest --preview` shows)."""
    return _template("page.html.j2", v.lang).render(d=v, **_item_globals(v.lang))


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
    mod = _template("telegram.html.j2", v.lang).make_module({"d": v})
    header = _fit(str(mod.header()).strip(), limit)  # type: ignore[attr-defined]
    footer = _fit(str(mod.footer()).strip(), limit)  # type: ignore[attr-defined]
    if not v.groups and not v.updates:
        return [f"{header}\n\n{footer}" if footer else header]
    parts: list[str] = []
    current, size = header, tg_len(header)  # size kept as we go: no re-measuring the message
    for g in v.groups:
        heading = str(mod.group(g)).strip()  # type: ignore[attr-defined]
        cont = str(mod.group(g, True)).strip()  # type: ignore[attr-defined]
        first = True
        for s in g.stories:
            item = _telegram_item(s, v.lang) + _telegram_links(v, s)
            piece = _fit(f"{heading}\n\n{item}" if first else item, limit)
            piece_size = tg_len(piece)
            if size + 2 + piece_size <= limit:
                current, size = f"{current}\n\n{piece}", size + 2 + piece_size
            else:
                parts.append(current)
                current = piece if first else _fit(f"{cont}\n\n{item}", limit)
                size = tg_len(current)
            first = False
    for block in _telegram_updates(v.updates, v.lang):
        piece = _fit(block, limit)
        if size + 2 + tg_len(piece) <= limit:
            current, size = f"{current}\n\n{piece}", size + 2 + tg_len(piece)
        else:
            parts.append(current)
            current, size = piece, tg_len(piece)
    if footer:
        if size + 2 + tg_len(footer) <= limit:
            current = f"{current}\n\n{footer}"
        else:
            parts.append(current)
            current = footer
    parts.append(current)
    return parts


def _telegram_updates(updates: tuple[UpdateView, ...], lang: str) -> list[str]:
    """The Updates section's Telegram pieces: the heading with the first, then one per update."""
    mod = _template("_updates.telegram.j2", lang).module
    blocks = [str(mod.update(u)).strip() for u in updates]  # type: ignore[attr-defined]
    if blocks:
        blocks[0] = f"{str(mod.heading()).strip()}\n\n{blocks[0]}"  # type: ignore[attr-defined]
    return blocks
