"""The subscriber's language: gettext catalogues (Babel), one Jinja2 environment per language.

Catalogues live in notifier/locale/<lang>/LC_MESSAGES/messages.po; the compiled .mo beside
each is committed, so a fresh clone (and the wheel) reads them with no build step. `make i18n`
re-extracts the strings (babel.cfg), updates the .po files and compiles them again;
tests/notifier/test_catalogues.py fails on a string missing, untranslated, fuzzy or stale.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.support import NullTranslations, Translations
from jinja2 import Environment, PackageLoader, select_autoescape

Language = Literal["en", "kk", "ru"]
LANGUAGES: tuple[Language, ...] = ("en", "kk", "ru")
DEFAULT_LANGUAGE: Language = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"


@lru_cache(maxsize=8)
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of one language (English too: its strings are the source ones)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown digest language {lang!r} (one of {', '.join(LANGUAGES)})")
    mo = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not mo.is_file():
        raise FileNotFoundError(f"the {lang} catalogue is missing: {mo} (run `make i18n`)")
    return Translations.load(str(LOCALE_DIR), [lang], DOMAIN)


def gettext(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


def ngettext(lang: str, singular: str, plural: str, n: int) -> str:
    return translations(lang).ngettext(singular, plural, n)


def tr(lang: str, message: str) -> str:
    """A fixed string of Python code in the subscriber's language (extracted as `tr:2`)."""
    return gettext(lang, message)


def ntr(lang: str, singular: str, plural: str, n: int) -> str:
    """The plural form for n (extracted as `ntr:2,3`); Russian has three, Kazakh two."""
    return ngettext(lang, singular, plural, n)


@lru_cache(maxsize=8)
def environment(lang: str) -> Environment:
    """Templates rendered in one language: `{% trans %}` and `_()` read its catalogue.

    Autoescape everything but the plain-text templates: scraped titles reach HTML and Telegram.
    """
    env = Environment(
        loader=PackageLoader("notifier", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html.j2",), disabled_extensions=("txt.j2",), default=True
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # newstyle: `_("%(n)s new", n=3)` formats (and escapes) inside gettext itself.
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = lang
    return env


@lru_cache(maxsize=1 << 17)
def local_date(dt: datetime | None, tz: ZoneInfo, lang: str) -> str:
    """A date as the subscriber reads it: '2 December 2026', '2 декабря 2026 г.'."""
    return format_date(dt.astimezone(tz), format="long", locale=lang) if dt else ""


@lru_cache(maxsize=1 << 17)
def short_date(dt: datetime | None, tz: ZoneInfo, lang: str) -> str:
    """A story's date: short, localised (02.12.2026, 12/2/26)."""
    return format_date(dt.astimezone(tz), format="medium", locale=lang) if dt else ""


def local_datetime(dt: datetime, tz: ZoneInfo, lang: str) -> str:
    return format_datetime(dt.astimezone(tz), format="short", locale=lang)


def clear_caches() -> None:
    for fn in (local_date, short_date):
        fn.cache_clear()
