"""The digest in the subscriber's language: complete catalogues, plural forms, dates (issue 15.3)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from notifier import i18n, render
from notifier.content import ArticleRef, DigestPreview, build_groups
from notifier.sentences import snippet
from notifier.settings import ChannelSpec, DigestSchedule, EntityInfo, Subscriber, SubscriberSpec

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)
KEYWORDS = {"tr": (2,), "ntr": (2, 3), "_": None, "gettext": None, "ngettext": (1, 2)}
METHODS = [("notifier/**.py", "python"), ("notifier/templates/**.j2", "jinja2")]
OPTIONS = {"notifier/templates/**.j2": {"trim_blocks": "true", "lstrip_blocks": "true"}}
ENTITIES = {
    "eleusinov": EntityInfo(
        "eleusinov",
        "Amin Eleusinov",
        short="Eleusinov",
        local=(("ru", "Амин Елеусинов", "Елеусинов"), ("kk", "Әмин Елеусінов", "Елеусінов")),
    ),
    "kharkova": EntityInfo(
        "kharkova",
        "Larisa Kharkova",
        short="Kharkova",
        local=(("ru", "Лариса Харькова", "Харькова"), ("kk", "Лариса Харькова", "Харькова")),
    ),
}


def _pairs(catalog: Catalog) -> dict[object, object]:
    def t(x: object) -> object:
        return tuple(x) if isinstance(x, list | tuple) else x

    return {t(m.id): t(m.string) for m in catalog if m.id}


def _source_messages() -> set[str]:
    """Every msgid the code and templates use, as `make i18n` extracts them."""
    out = set()
    for _file, _line, msg, _comments, _ctx in extract_from_dir(
        str(ROOT), METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        out.add(msg[0] if isinstance(msg, tuple) else msg)
    return out


def test_the_extraction_finds_the_strings() -> None:
    found = _source_messages()
    assert "You follow: %(names)s." in found and "%(num)d new: %(names)s" in found
    assert "unionwatch · %(lists)s: nothing new today" in found  # from Python, via tr()
    assert len(found) >= 12


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_each_catalogue_is_complete_not_fuzzy_and_compiled(lang: str) -> None:
    po = ROOT / "notifier" / "locale" / lang / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    wanted = _source_messages()
    have = {m.id[0] if isinstance(m.id, tuple) else m.id: m for m in catalog if m.id}
    assert sorted(wanted - set(have)) == [], f"{lang}: missing from {po.name} (run make i18n)"
    assert sorted(set(have) - wanted) == [], f"{lang}: strings no code uses any more"
    for mid, m in have.items():
        assert not m.fuzzy, f"{lang}: fuzzy {mid!r}"
        forms = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(forms) and len(forms) == (catalog.num_plurals if m.pluralizable else 1), (lang, mid)
        if lang != "en":
            assert forms[0] != (m.id[0] if isinstance(m.id, tuple) else m.id), f"{lang}: untranslated {mid!r}"
        for form in forms:  # every placeholder survives translation
            src = m.id[-1] if isinstance(m.id, tuple) else m.id
            assert set(re.findall(r"%\(\w+\)\w", form)) <= set(re.findall(r"%\(\w+\)\w", src)), (lang, form)
    assert {"ru": 3, "kk": 2, "en": 2}[lang] == catalog.num_plurals  # CLDR's plural forms
    # The committed .mo is this .po compiled: a fresh clone needs no build step.
    mo = po.with_suffix(".mo")
    with mo.open("rb") as f:
        shipped = read_mo(f)
    assert _pairs(shipped) == _pairs(catalog), f"{mo} is stale: run make i18n"
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", str(mo)], cwd=ROOT, capture_output=True, text=True
    )
    assert tracked.returncode == 0, f"{mo} is not committed"


def _article(i: int, title: str, entity: str, body: str, surface: str, hours: int) -> ArticleRef:
    start = body.find(surface)
    return ArticleRef(
        id=i,
        url=f"https://azattyq.example/a/{i}",
        title=title,
        source="azattyq-kk",
        published=NOW - dt.timedelta(hours=hours),
        fetched=NOW,
        language="kk",
        content_hash=f"h{i}",
        entity_ids=[entity],
        snippets={entity: snippet(body, start, start + len(surface))},
        first={entity: (0, 0)},
        counts={entity: 1},
    )


def _view(lang: str, n: int, *, empty: bool = False) -> render.DigestView:
    who = Subscriber(
        id="desk",
        name="Desk",
        timezone="Asia/Almaty",
        language=lang,  # type: ignore[arg-type]
        digest=DigestSchedule(),
        channels=[ChannelSpec(type="file", path="/tmp/x")],
    )
    from notifier.settings import DigestOptions

    spec = SubscriberSpec(
        who,
        ("eleusinov", "kharkova"),
        DigestOptions(source_names={"azattyq-kk": "Radio Azattyq (kk)"}, lists=("KZ unions",)),
    )
    arts = (
        []
        if empty
        else [
            _article(
                i, f"Елеусінов {i}", "eleusinov", f"Сот Әмин Елеусінов ісін қарады {i}.", "Елеусінов", i * 80
            )
            for i in range(n)
        ]
        + [_article(100, "Харькова", "kharkova", "Лариса Харькова сөйледі.", "Харькова", 1)]
    )
    return render.view(
        DigestPreview(
            spec, ENTITIES, build_groups(arts, spec, ENTITIES), NOW, since=NOW - dt.timedelta(days=1)
        )
    )


ENGLISH_CHROME = (
    "You follow",
    "also reported by",
    "new since",
    "unionwatch digest for",
    " stories",
    "No new articles",
    "nothing new today",
)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_no_english_chrome_reaches_a_kazakh_or_russian_reader(lang: str) -> None:
    for v in (_view(lang, 3), _view(lang, 0, empty=True)):
        outputs = [
            render.email_html(v),
            render.email_text(v),
            render.page_html(v),
            *render.telegram_parts(v),
            v.subject,
        ]
        for out in outputs:
            for english in ENGLISH_CHROME:
                assert english not in out, (lang, english, out[:300])
        assert f'<html lang="{lang}">' in render.email_html(
            v
        ) and f'<html lang="{lang}">' in render.page_html(v)


def test_russian_has_three_plural_forms_and_kazakh_two() -> None:
    assert "· 1 сюжет<" in render.email_html(_view("ru", 1)).replace("</span>", "<")
    assert "3 сюжета" in render.email_html(_view("ru", 3))
    assert "5 сюжетов" in render.email_html(_view("ru", 5))
    assert "21 сюжет" in render.email_text(_view("ru", 21))
    assert _view("ru", 4).subject == "5 новостей: Елеусинов (4), Харькова (1)"
    assert _view("ru", 2).subject == "3 новости: Елеусинов (2), Харькова (1)"
    assert _view("kk", 2).subject == "3 жаңа хабар: Елеусінов (2), Харькова (1)"
    assert _view("en", 2).subject == "3 new: Eleusinov (2), Kharkova (1)"
    assert "1 story" in render.email_text(_view("en", 1)) and "2 stories" in render.email_text(_view("en", 2))


def test_dates_and_the_empty_subject_follow_the_language() -> None:
    assert _view("ru", 1).date == "2 декабря 2026\u202fг." and _view("en", 1).date == "December 2, 2026"
    assert "желтоқсан" in _view("kk", 1).date
    assert "2 дек. 2026\u202fг." in render.email_text(_view("ru", 1))  # the story's date
    assert _view("ru", 0, empty=True).subject == "unionwatch · KZ unions: сегодня ничего нового"
    assert _view("kk", 0, empty=True).subject == "unionwatch · KZ unions: бүгін жаңа ештеңе жоқ"
    assert _view("en", 0, empty=True).subject == "unionwatch · KZ unions: nothing new today"
    # Source names, not slugs; entity names in the reader's script.
    ru = render.email_html(_view("ru", 1))
    assert "Radio Azattyq (kk)" in ru and "azattyq-kk" not in ru
    assert "Амин Елеусинов" in ru and "Amin Eleusinov" not in ru


def test_an_unknown_language_is_refused_in_config() -> None:
    with pytest.raises(ValueError, match="language"):
        Subscriber(id="x", language="de", channels=[ChannelSpec(type="file", path="/tmp/x")])  # type: ignore[arg-type]
