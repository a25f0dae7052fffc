"""The Updates section and evidence links in every format, escaped where the format needs it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from notifier import render
from notifier.render import DigestView, StoryView, safe_url
from notifier.updates import UpdateItem, update_subject, views
from storage.rechecks import RecheckState

AT = datetime(2026, 12, 2, 22, 30, tzinfo=UTC)
SNAP = "https://web.archive.org/web/20261201080000/https://news.example/a/2.html"


def _items() -> list[UpdateItem]:
    return [
        UpdateItem(1, 1, RecheckState.REMOVED, AT, "https://news.example/a/2.html",
                   "Court <b>rejects</b> appeal", "rightswatch", "not found (404)", SNAP, None, ()),
        UpdateItem(2, 3, RecheckState.CHANGED, AT, "javascript:alert(1)", "Edited & report", "vlast",
                   None, None, 2, ("-Old <i>sentence</i>.", "+New sentence.")),
    ]


def _view(items: list[UpdateItem], lang: str = "en") -> DigestView:
    names = {"rightswatch": "Rights Watch (en)"}
    return DigestView(subscriber="desk", date="2026-12-03", since="", subject=update_subject(items, lang),
                      story_count=0, watching=["Amin Eleusinov"], groups=[], lang=lang,
                      updates=views(items, ZoneInfo("Asia/Almaty"), safe_url, lang,
                                    lambda source: names.get(source, source)))


def test_updates_only_digest_in_text_html_and_telegram() -> None:
    v = _view(_items())
    assert v.subject == "2 updates: 1 removed, 1 changed"
    text = render.email_text(v)
    # Local date of the subscriber: 22:30 UTC is the next day in Almaty.
    assert f"Removed on December 3, 2026: not found (404); archived copy: {SNAP}" in text
    assert "Changed on December 3, 2026 (version 2)" in text and "+New sentence." in text
    assert "Rights Watch (en)" in text  # the source by its name
    html = render.page_html(v)
    assert "Court &lt;b&gt;rejects&lt;/b&gt; appeal" in html and "<b>rejects</b>" not in html
    assert f'href="{SNAP}"' in html and "javascript:" not in html
    parts = render.telegram_parts(v)
    assert len(parts) == 1 and "<b>▶ Updates</b>" in parts[0]
    assert "<s>Old &lt;i&gt;sentence&lt;/i&gt;.</s>" in parts[0]
    assert f'<a href="{SNAP}">' in parts[0]


def test_a_removed_update_without_a_snapshot_says_where_the_evidence_is() -> None:
    item = dataclasses.replace(_items()[0], archived_url=None)
    assert update_subject([item]) == "Update: removed — Court <b>rejects</b> appeal"
    assert "archived copy: kept by unionwatch (no Wayback copy yet)" in render.email_text(_view([item]))


def test_an_item_links_to_its_archived_copy() -> None:
    s = StoryView(title="t", url="https://news.example/a/1.html", source="src", date="", language="",
                  snippet=None, also_names=("A",), also_reported=(), evidence_url=SNAP)
    assert f'Archived copy: <a href="{SNAP}">' in str(render._html_item(s, "en"))
    assert f"Archived copy: {SNAP}" in render._text_item(s, "en")
    assert f'<a href="{SNAP}">Archived copy</a>' in render._telegram_item(s, "en")
    assert f'Архивная копия: <a href="{SNAP}">' in str(render._html_item(s, "ru"))
    assert f'<a href="{SNAP}">Мұрағаттағы көшірме</a>' in render._telegram_item(s, "kk")
    plain = dataclasses.replace(s, evidence_url=None)
    assert "Archived copy" not in str(render._html_item(plain, "en"))


def test_updates_read_in_the_subscribers_language() -> None:
    ru = _view(_items(), "ru")
    assert ru.subject == "2 обновления: 1 удалена, 1 изменена"
    text = render.email_text(ru)
    assert "Удалено 3 декабря 2026" in text and "Изменено 3 декабря 2026" in text
    assert "Removed" not in text and "Updates" not in text and "archived copy" not in text
    kk = render.telegram_parts(_view(_items(), "kk"))[0]
    assert "Жаңартулар" in kk and "Updates" not in kk
