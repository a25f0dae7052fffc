"""Extraction on real pages (issue 12): each test shows one defect that the fundus pages and
the saved outlet pages revealed (tests/spiders/realpages/SOURCES.md says where each is from)."""

from __future__ import annotations

import asyncio
import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from spiders import bylines, metadata
from spiders.extract import Extracted, ExtractionError, extract_article, parse_html
from spiders.jobspec import SourceSpec
from spiders.source_spiders import FeedSpider
from tests.support.aio import collect

REAL = Path(__file__).parent / "realpages"
URLS = {
    "NetzpolitikOrg_2024_04_28": "https://netzpolitik.org/2024/breakpoint-hilfe-die-fundis-kommen/",
    "PoliticoEu_2025_10_23": "https://www.politico.eu/article/catherine-connolly-socialist-critic-nato-eu-"
    "poised-win-ireland-presidency/",
    "FAZ_2023_04_28": "https://www.faz.net/aktuell/rhein-main/frankfurt/49-euro-ticket-pendler-zahlen-60-"
    "prozent-weniger-18857107.html",
    "NTV_2023_04_28": "https://www.n-tv.de/leben/Judy-Lybke-ganz-und-gar-nicht-eigenartig-article24075843.html",
    "FrankfurterRundschau_2024_04_26": "https://www.fr.de/ratgeber/wohnen/ambrosia-giftig-garten-allergische-"
    "reaktionen-pflanze-erkennen-bekaempfen-zr-93036630.html",
    "BoersenZeitung_2024_10_23": "https://www.boersen-zeitung.de/kapitalmaerkte/steigende-us-zinsen-setzen-dax-zu",
    "AnadoluAjansi_2026_04_20": "https://www.aa.com.tr/tr/gundem/vekalet-yoluyla-kurban-kesim-bedelleri-"
    "belirlendi/3912126",
    "Postillon_2024_04_25": "https://www.der-postillon.com/2018/04/ostsee-krokodil.html",
    "StuttgarterZeitung_2025_10_25": "https://www.stuttgarter-zeitung.de/inhalt.rueckbau-von-atomkraftwerk-"
    "kuehltuerme-von-akw-gundremmingen-gesprengt.e4f07910-3c72-4551-a37d-96207f2c9b02.html",
    "LaVanguardia_2026_07_11": "https://www.lavanguardia.com/local/andalucia/20260710/11588570/mueren-seis-"
    "personas-incendio-forestal-gallardos.html",
    "BSZ_2024_05_16": "https://www.braunschweiger-zeitung.de/sport/mehr-sport/article242348272/Fury-und-Usyk-"
    "kaempfen-um-Schwergewichts-Krone.html",
    "rferl-2013-sokh-exclave-kyrgyzstan-uzbekistan-24877127":
    "http://www.rferl.org/content/sokh-exclave-kyrgyzstan-uzbekistan/24877127.html",
    "slobodnaevropa-2020-30657941": "https://www.slobodnaevropa.org/a/30657941.html",
    "amnesty-org-en-what-we-do-corporate-accountability-2017":
    "https://www.amnesty.org/en/what-we-do/corporate-accountability/",
}


def html(name: str) -> str:
    return gzip.decompress((REAL / f"{name}.html.gz").read_bytes()).decode("utf-8")


def extract(name: str, zone: str | None = None) -> Extracted:
    return extract_article(html(name), URLS[name], zone=zone)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# ---- body -----------------------------------------------------------------------------


def test_a_caption_class_on_body_does_not_prune_the_whole_page() -> None:
    """<body class="… wp-featherlight-captions …">: the caption rule used to drop <body>."""
    page = html("NetzpolitikOrg_2024_04_28")
    assert "captions" in page.split("<body", 1)[1].split(">", 1)[0]
    got = extract_article(page, URLS["NetzpolitikOrg_2024_04_28"])
    assert got.body.startswith("Die Schürze sitzt, der Ofen ist vorgeheizt")
    assert got.body.endswith("ein unfreies Lebens für alle Frauen, die ihr zum Opfer fallen.")
    assert got.author == "Carla Siepmann"


def test_every_paragraph_of_a_long_article_is_kept() -> None:
    """favor_precision kept 3 of the 21 paragraphs of this article."""
    body = extract("PoliticoEu_2025_10_23").body
    paragraphs = body.split("\n\n")
    assert paragraphs[0].startswith("DUBLIN — She’s slammed NATO, voted against EU treaties")
    assert body.endswith("the capacity to damage Ireland’s reputation and interests.”")
    assert len(paragraphs) >= 21


# ---- dates ----------------------------------------------------------------------------


def test_a_zone_name_is_its_offset_not_utc() -> None:
    """FAZ's JSON-LD: "Fri Apr 28 19:20:36 CEST 2023"."""
    assert '"datePublished":"Fri Apr 28 19:20:36 CEST 2023"' in html("FAZ_2023_04_28")
    got = extract("FAZ_2023_04_28")
    assert got.published_at == utc(2023, 4, 28, 17, 20, 36)


def test_a_meta_date_with_an_offset_beats_json_ld_without_one() -> None:
    """n-tv: JSON-LD "2023-04-28 18:11:01.0", meta date "2023-04-28T18:11:01+02:00"."""
    got = extract("NTV_2023_04_28")
    assert got.published_at == utc(2023, 4, 28, 16, 11, 1)


def test_a_time_element_without_offset_gives_way_to_json_ld_with_one() -> None:
    """fr.de: <time datetime="2024-04-26 20:44"> and, inside WebPage.mainEntity, the JSON-LD
    datePublished "2024-04-26T20:44:00+0200"."""
    page = html("FrankfurterRundschau_2024_04_26")
    assert '<time datetime="2024-04-26 20:44">' in page
    got = extract("FrankfurterRundschau_2024_04_26")
    assert got.published_at == utc(2024, 4, 26, 18, 44)


def test_article_published_time_spelt_with_colons_is_read() -> None:
    assert 'property="article:published:time"' in html("BoersenZeitung_2024_10_23")
    got = extract("BoersenZeitung_2024_10_23")
    assert got.published_at == utc(2024, 10, 23, 15, 48, 15)


def test_times_without_offset_are_read_in_the_sources_time_zone() -> None:
    """Anadolu's JSON-LD and meta times carry no offset: Turkish wall-clock time."""
    got = extract("AnadoluAjansi_2026_04_20", zone="Europe/Istanbul")
    assert got.published_at == datetime(2026, 4, 20, 11, 9, 42, 493000, tzinfo=UTC)
    got = extract("AnadoluAjansi_2026_04_20")
    assert got.published_at == datetime(2026, 4, 20, 14, 9, 42, 493000, tzinfo=UTC)


def test_the_crawl_hands_the_sources_time_zone_to_extraction() -> None:
    name = "AnadoluAjansi_2026_04_20"
    source = SourceSpec.model_validate(
        {"id": "aa", "type": "feed", "urls": ["https://www.aa.com.tr/tr/rss/default?cat=guncel"],
         "timezone": "Europe/Istanbul"}
    )
    spider = FeedSpider(source=source)
    spider.crawler = get_crawler(FeedSpider)
    response = HtmlResponse(URLS[name], body=html(name).encode(), encoding="utf-8",
                            request=Request(URLS[name]))
    (record,) = asyncio.run(collect(spider.parse_article(response)))
    assert record.published_at == datetime(2026, 4, 20, 11, 9, 42, 493000, tzinfo=UTC)


# ---- authors --------------------------------------------------------------------------


def test_a_rejected_byline_falls_through_to_the_next_source() -> None:
    """Börsen-Zeitung's meta author is an e-mail address; the byline in the page names him."""
    page = html("BoersenZeitung_2024_10_23")
    assert '<meta name="author" property="author" content="d.kuckelkorn@boersen-zeitung.de">' in page
    got = extract("BoersenZeitung_2024_10_23")
    assert got.author == "Dieter Kuckelkorn"


def test_an_outlet_suffix_is_stripped_from_the_name() -> None:
    name = "rferl-2013-sokh-exclave-kyrgyzstan-uzbekistan-24877127"
    root = parse_html(html(name))
    meta = metadata.meta_map(root)
    assert meta["author"] == "Daisy  Sindelar - RFE/RL"
    outlet = bylines.Outlet.of(URLS[name], *metadata.outlet_names(meta, {}))
    assert bylines.authors([[meta["author"]]], outlet) == ["Daisy Sindelar"]


def test_lowercase_particles_are_part_of_a_name() -> None:
    got = extract("LaVanguardia_2026_07_11")
    assert got.author == "Chus del Pino, Martí Abad"


def test_und_between_two_names_splits_them() -> None:
    """"Felix Schröder und Jörg Soldwisch, dpa": two reporters and the agency."""
    got = extract("BSZ_2024_05_16")
    assert got.author == "Felix Schröder, Jörg Soldwisch, dpa"


def test_russian_and_kazakh_conjunctions_split_names() -> None:
    # No saved page has a Russian two-name byline; the rule is the one "und" goes through.
    nowhere = bylines.Outlet.of("https://rus.azattyq.org/a/1.html", "Радио Азаттык")
    assert bylines.names("Ольга Лукина и Дмитрий Ким", nowhere) == ["Ольга Лукина", "Дмитрий Ким"]
    assert bylines.names("Айгүл Сейтқали және Ерлан Мұқанов", nowhere) == ["Айгүл Сейтқали", "Ерлан Мұқанов"]


@pytest.mark.parametrize(("name", "author"), [("Postillon_2024_04_25", None),
                                              ("StuttgarterZeitung_2025_10_25", "dpa")])
def test_the_outlets_own_name_is_no_author(name: str, author: str | None) -> None:
    """Der Postillon credits "Der Postillon" in JSON-LD and meta; Stuttgarter Zeitung's meta
    author is "Stuttgarter Zeitung" while JSON-LD credits dpa."""
    got = extract(name)
    assert got.author == author


# ---- adapters on real markup ----------------------------------------------------------


def test_old_rferl_layout_keeps_the_lead_and_the_byline() -> None:
    got = extract("rferl-2013-sokh-exclave-kyrgyzstan-uzbekistan-24877127")
    body = got.body
    assert got.method == "pangea"
    assert body.startswith("They say good fences make good neighbors.")
    assert "contributed to this report." in body
    assert got.author == "Daisy Sindelar"
    assert got.published_at == utc(2013, 1, 18)
    assert got.title == "Sokh: In One Tiny Territory, A World Of Problems"


def test_an_adapter_that_finds_no_body_does_not_choose_the_title() -> None:
    """amnesty.org's topic page: no .entry-content; a "Related content" teaser has an <h1>."""
    page = html("amnesty-org-en-what-we-do-corporate-accountability-2017")
    assert "Human rights abuses in your shopping basket" in page
    got = extract("amnesty-org-en-what-we-do-corporate-accountability-2017")
    assert got.method == "trafilatura"
    assert got.title == "Corporations"


def test_a_pangea_video_page_is_no_article() -> None:
    with pytest.raises(ExtractionError, match="video or audio page"):
        extract("slobodnaevropa-2020-30657941")


def test_other_latin_languages_are_undetermined_not_english() -> None:
    got = extract("BSZ_2024_05_16")
    assert got.language == "und"
    got = extract("rferl-2013-sokh-exclave-kyrgyzstan-uzbekistan-24877127")
    assert got.language == "en"
