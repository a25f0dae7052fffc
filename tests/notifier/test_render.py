"""Templates: escaping, highlighting, subjects, and Telegram messages cut between items."""

from __future__ import annotations

import datetime as dt
import html

from notifier import render
from notifier.content import ArticleRef, DigestPreview, build_groups
from notifier.sentences import sentence_span, snippet
from tests.notifier.conftest import ENTITIES, NOW, subscriber, telegram_html_error, utf16_len


def _article(i: int, title: str, entity: str = "eleusinov", **kw: object) -> ArticleRef:
    body = kw.pop("body", f"Кіріспе. Сотталған Әмин Елеусінов туралы мақала {i}. Соңы.")
    assert isinstance(body, str)
    start = body.find("Елеусінов")
    return ArticleRef(
        id=i, url=str(kw.pop("url", f"https://azattyq.example/a/{i}")), title=title,
        source=str(kw.pop("source", "azattyq")), published=NOW - dt.timedelta(minutes=i),
        fetched=NOW, language="kk", content_hash=str(kw.pop("content_hash", f"h{i}")),
        entity_ids=[entity], snippets={entity: snippet(body, start, start + 9)},
    )


def _view(articles: list[ArticleRef]) -> render.DigestView:
    sub = subscriber()
    return render.view(DigestPreview(sub, ENTITIES, build_groups(articles, sub, ENTITIES), NOW))


def test_scraped_markup_is_escaped_everywhere_and_javascript_links_dropped() -> None:
    evil = _article(1, "Title <script>alert(1)</script> & <b>unclosed", url="javascript:alert(1)")
    v = _view([evil, _article(2, "Ordinary")])

    page = render.email_html(v)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;unclosed" in page
    assert 'href="javascript:' not in page
    assert 'href="https://azattyq.example/a/2"' in page

    text = render.email_text(v)
    assert "Title <script>alert(1)</script> & <b>unclosed" in text  # plain text stays plain

    for part in render.telegram_parts(v):
        assert telegram_html_error(part) is None
        assert "javascript:" not in part
    assert "&lt;script&gt;" in render.telegram_parts(v)[0]


def test_subject_says_what_is_inside() -> None:
    one = _view([_article(1, "Сот үкімі")])
    assert one.subject == "1 new: Әмин Елеусінов — Сот үкімі"
    many = _view([
        _article(1, "A"), _article(2, "B"), _article(3, "C", entity="kharkova"),
    ])
    assert many.subject == "3 new: Әмин Елеусінов (2), Kharkova (1)"
    long = _view([_article(1, "x" * 400)])
    assert len(long.subject) <= render.SUBJECT_LIMIT and long.subject.endswith("…")


def test_long_cyrillic_emoji_digest_splits_between_items_within_4096_utf16_units() -> None:
    articles = [
        _article(i, f"{i:03d} Кәсіподақ жетекшісі 😀🎉 туралы жаңалық «Ақтау» & <сот>",
                 body=("Ұзын сөйлем 😀 " * 12) + f"Әмин Елеусінов {i}. " + "Қосымша. " * 5)
        for i in range(60)
    ]
    v = _view(articles)
    parts = render.telegram_parts(v)

    assert len(parts) > 1
    joined = "\n".join(parts)
    assert sum(utf16_len(html.unescape(p)) for p in parts) > 5000
    for part in parts:
        assert utf16_len(part) <= 4096
        assert telegram_html_error(part) is None  # whole tags and entities only
    # every item exactly once, in order
    positions = [joined.find(f"{i:03d} Кәсіподақ") for i in range(60)]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)
    assert all(joined.count(f"{i:03d} Кәсіподақ") == 1 for i in range(60))
    assert "(continued)" in parts[1]  # a message that starts mid-group names its group


def test_an_oversized_single_item_is_cut_to_plain_text_not_inside_a_tag() -> None:
    v = _view([_article(1, "Ә" * 3000 + "😀" * 800)])
    parts = render.telegram_parts(v, limit=4096)
    assert all(utf16_len(p) <= 4096 and telegram_html_error(p) is None for p in parts)


def test_sentence_splitter_keeps_initials_and_abbreviations() -> None:
    text = "Бірінші сөйлем. Сот А. Елеусиновты г. Ақтау қаласында соттады! Келесі."
    start = text.find("Елеусиновты")
    s, e = sentence_span(text, start, start + 11)
    assert text[s:e] == "Сот А. Елеусиновты г. Ақтау қаласында соттады!"
    para = "Бюро мәлімдемесінде\nҚұқық қорғаушылар Харькова туралы айтты\nСоңы"
    start = para.find("Харькова")
    s, e = sentence_span(para, start, start + 8)
    assert para[s:e] == "Құқық қорғаушылар Харькова туралы айтты"


def test_snippet_of_a_run_on_sentence_is_clipped_around_the_mention() -> None:
    text = "сөз " * 300 + "Елеусінов " + "сөз " * 300
    start = text.find("Елеусінов")
    snip = snippet(text, start, start + 9, limit=120)
    assert snip.match == "Елеусінов"
    assert snip.before.startswith("…") and snip.after.endswith("…")
    assert len(snip.text) <= 125


def test_a_snippet_shows_exactly_the_span_of_the_one_clipper() -> None:
    words = " ".join(f"сөз{i}" for i in range(150))
    text = f"Алдыңғы сөйлем. {words} Елеусінов {words} соңы. Келесі сөйлем."
    start = text.find("Елеусінов")
    s, e = sentence_span(text, start, start + 9)
    snip = snippet(text, start, start + 9)
    assert snip.before.startswith("…") and snip.after.endswith("…")
    assert snip.text.strip("…") == text[s:e]
    short = snippet("Алдыңғы сөйлем. Сот Елеусіновке жаза берді. Келесі.", 20, 31)
    assert short.text == "Сот Елеусіновке жаза берді."


def test_the_header_says_since_when_the_news_is_new() -> None:
    sub = subscriber()
    groups = build_groups([_article(1, "Ordinary")], sub, ENTITIES)
    first = render.view(DigestPreview(sub, ENTITIES, groups, NOW))
    assert first.since == "" and "new since" not in render.email_text(first)
    later = render.view(DigestPreview(sub, ENTITIES, groups, NOW, since=NOW - dt.timedelta(days=1)))
    # The previous digest, on Almaty's clock (UTC+6 in 2017), as CLDR writes it in English.
    since = "new since 5/11/17, 9:00\u202fAM"
    assert since in render.email_text(later) and since in render.email_html(later)
    assert since in render.telegram_parts(later)[0]
