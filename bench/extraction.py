"""Extraction quality and speed on real pages: `extract_article` against plain trafilatura.

    .venv/bin/python bench/extraction.py                    # every fundus page (258)
    .venv/bin/python bench/extraction.py --details out.jsonl # plus one line per page and tool

The yardstick is the fundus project's test data in ../shared/fixtures/fundus (MIT): 258 real
article pages of about 150 publishers, each with its hand-checked title, authors,
publication time and body. Each page is read, in one run and alternately, by
`spiders.extract.extract_article(html, url)` and by plain
`trafilatura.bare_extraction(html, url=url, with_metadata=True)`, and scored the same way:

- title: exact (whitespace-normalised) and fuzzy (difflib ratio >= 0.9, case-folded);
- published: equal to the minute in UTC, and to the day in UTC, over the pages whose gold
  time carries an offset (240; a gold time without one cannot be placed in UTC);
- authors: precision and recall over names (case-folded, whitespace-normalised), summed
  over the pages whose gold lists authors (253; the other 5 have no `authors` field);
  trafilatura's "; "-joined string and our ", "-joined one are split back;
- body: word tokens (`\\w+`, case-folded) as multisets against the gold body (summary,
  subheadings and paragraphs); precision, recall and F1 per page, averaged over pages,
  with an empty result scoring 0 on all three;
- empty: pages with no body (our ExtractionError, or trafilatura's None / empty text);
- ms per page: median over pages of the call's wall time (ours includes parsing the HTML),
  each page's time the best of --repeat calls (3), the two extractors taking turns, so that
  other work on a shared machine weighs on neither.

A second view of authors follows the tables ("outlet aside"): the same precision and recall
after removing, from the gold and from both outputs, the names that are the page's own
outlet by spiders.bylines' rule (its og:site_name, publisher, host or Twitter handle:
"Salzburger Nachrichten" on sn.at). The gold lists those where a page credits nobody else;
extract_article never returns them (issue 12: outlet names are not authors). The standard
figures above are the ones the targets are read against.

Cyrillic pages are those whose gold body has more Cyrillic than Latin letters.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FUNDUS = ROOT.parent / "shared" / "fixtures" / "fundus"
_TOKEN = re.compile(r"\w+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


@dataclass(frozen=True)
class Gold:
    name: str  # country/Publisher_date
    url: str
    html: str
    title: str
    authors: list[str] | None  # None: not annotated
    published: datetime | None
    body: str

    @property
    def cyrillic(self) -> bool:
        return len(_CYRILLIC.findall(self.body)) > len(_LATIN.findall(self.body))


@dataclass
class Result:
    title: str = ""
    authors: list[str] = field(default_factory=list)
    published: datetime | None = None
    body: str = ""
    ms: float = 0.0
    error: str = ""


def gold_body(body: dict[str, Any]) -> str:
    parts = list(body.get("summary") or [])
    for section in body.get("sections") or []:
        parts += list(section.get("headline") or []) + list(section.get("paragraphs") or [])
    return "\n\n".join(parts)


def gold_pages(root: Path = FUNDUS) -> list[Gold]:
    """Every fundus page with its gold fields (a publisher's keys V1, V1_1, … in date order)."""
    pages: list[Gold] = []
    for country in sorted(p for p in root.iterdir() if p.is_dir()):
        meta = json.loads((country / "meta.info").read_text(encoding="utf-8"))
        for ref in sorted(country.glob("*.json")):
            entries = list(json.loads(ref.read_text(encoding="utf-8")).values())
            files = sorted(country.glob(f"{ref.stem}_*.html.gz"))
            if len(files) != len(entries):
                raise SystemExit(f"{ref}: {len(entries)} entries but {len(files)} pages")
            for page, exp in zip(files, entries, strict=True):
                when = exp.get("publishing_date")
                pages.append(Gold(
                    name=f"{country.name}/{page.name.removesuffix('.html.gz')}",
                    url=meta[page.name]["url"],
                    html=gzip.decompress(page.read_bytes()).decode("utf-8", errors="replace"),
                    title=exp.get("title") or "",
                    authors=exp.get("authors"),
                    published=datetime.fromisoformat(when) if when else None,
                    body=gold_body(exp.get("body") or {}),
                ))
    return pages


# ---- the two extractors -------------------------------------------------------------------


def ours(page: Gold) -> Result:
    from spiders.extract import ExtractionError, extract_article

    start = time.perf_counter()
    try:
        got = extract_article(page.html, page.url)
    except ExtractionError as exc:
        return Result(ms=(time.perf_counter() - start) * 1000, error=str(exc))
    ms = (time.perf_counter() - start) * 1000
    authors = [a for a in (got.author or "").split(", ") if a]
    return Result(got.title, authors, got.published_at, got.body, ms)


def plain_trafilatura(page: Gold) -> Result:
    import trafilatura

    start = time.perf_counter()
    doc: Any = trafilatura.bare_extraction(page.html, url=page.url, with_metadata=True)
    ms = (time.perf_counter() - start) * 1000
    if doc is None:
        return Result(ms=ms, error="None")
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    when = _parse_date(doc.date)
    return Result(doc.title or "", authors, when, doc.text or "", ms, "" if doc.text else "no text")


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)


# ---- scoring ------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.split())


def _tokens(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(text.casefold()))


def body_prf(got: str, gold: str) -> tuple[float, float, float]:
    g, r = _tokens(got), _tokens(gold)
    overlap = sum((g & r).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    p, rec = overlap / sum(g.values()), overlap / sum(r.values())
    return p, rec, 2 * p * rec / (p + rec)


@dataclass
class Score:
    pages: int = 0
    title_exact: int = 0
    title_fuzzy: int = 0
    dated: int = 0
    minute: int = 0
    day: int = 0
    authors_got: int = 0
    authors_gold: int = 0
    authors_hit: int = 0
    p: list[float] = field(default_factory=list)
    r: list[float] = field(default_factory=list)
    f: list[float] = field(default_factory=list)
    empty: int = 0
    ms: list[float] = field(default_factory=list)
    aside_got: int = 0
    aside_gold: int = 0
    aside_hit: int = 0

    def add(self, page: Gold, got: Result, is_outlet: Callable[[str], bool] = lambda n: False) -> None:
        self.pages += 1
        title, gold_title = _norm(got.title), _norm(page.title)
        self.title_exact += title == gold_title
        ratio = difflib.SequenceMatcher(None, title.casefold(), gold_title.casefold()).ratio()
        self.title_fuzzy += ratio >= 0.9
        if page.published is not None and page.published.tzinfo is not None:
            self.dated += 1
            gold_utc = page.published.astimezone(UTC)
            if got.published is not None:
                mine = got.published.astimezone(UTC)
                self.minute += mine.replace(second=0, microsecond=0) == gold_utc.replace(
                    second=0, microsecond=0)
                self.day += mine.date() == gold_utc.date()
        if page.authors is not None:
            mine_a = {_norm(a).casefold() for a in got.authors}
            gold_a = {_norm(a).casefold() for a in page.authors}
            self.authors_got += len(mine_a)
            self.authors_gold += len(gold_a)
            self.authors_hit += len(mine_a & gold_a)
            mine_a = {a for a in mine_a if not is_outlet(a)}
            gold_a = {a for a in gold_a if not is_outlet(a)}
            self.aside_got += len(mine_a)
            self.aside_gold += len(gold_a)
            self.aside_hit += len(mine_a & gold_a)
        p, r, f = body_prf(got.body, page.body)
        self.p.append(p)
        self.r.append(r)
        self.f.append(f)
        self.empty += not got.body.strip()
        self.ms.append(got.ms)

    def row(self) -> dict[str, str]:
        def share(n: int, d: int) -> str:
            return f"{n / d:.3f}" if d else "-"

        mean = statistics.fmean
        return {
            "pages": str(self.pages),
            "title exact": share(self.title_exact, self.pages),
            "title fuzzy": share(self.title_fuzzy, self.pages),
            "time =minute": share(self.minute, self.dated),
            "time =day": share(self.day, self.dated),
            "author P": share(self.authors_hit, self.authors_got),
            "author R": share(self.authors_hit, self.authors_gold),
            "body P": f"{mean(self.p):.3f}" if self.p else "-",
            "body R": f"{mean(self.r):.3f}" if self.r else "-",
            "body F1": f"{mean(self.f):.3f}" if self.f else "-",
            "empty": str(self.empty),
            "ms/page": f"{statistics.median(self.ms):.0f}" if self.ms else "-",
        }


def aside_table(rows: dict[str, Score]) -> str:
    lines = ["### Authors, the page's own outlet aside", "",
             "| extractor | gold names | author P | author R |", "|---|---:|---:|---:|"]
    for name, s in rows.items():
        lines.append(f"| {name} | {s.aside_gold} | {s.aside_hit / max(s.aside_got, 1):.3f} "
                     f"| {s.aside_hit / max(s.aside_gold, 1):.3f} |")
    return "\n".join(lines)


def page_outlet(page: Gold) -> Callable[[str], bool]:
    """spiders.bylines' test for the page's own outlet (not timed: scoring, not extraction)."""
    from spiders import bylines, metadata
    from spiders.extract import parse_html

    root = parse_html(page.html)
    outlet = bylines.Outlet.of(
        page.url, *metadata.outlet_names(metadata.meta_map(root), metadata.json_ld_article(root))
    )
    return outlet.is_outlet


def table(title: str, rows: dict[str, Score]) -> str:
    cells = {name: s.row() for name, s in rows.items()}
    cols = list(next(iter(cells.values())))
    lines = [f"### {title}", "", "| extractor | " + " | ".join(cols) + " |",
             "|---|" + "---:|" * len(cols)]
    for name, row in cells.items():
        lines.append(f"| {name} | " + " | ".join(row[c] for c in cols) + " |")
    return "\n".join(lines)


EXTRACTORS: dict[str, Callable[[Gold], Result]] = {
    "extract_article": ours,
    "trafilatura": plain_trafilatura,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fundus", type=Path, default=FUNDUS, help="the fundus test data")
    ap.add_argument("--details", type=Path, help="write one JSON line per page and extractor")
    ap.add_argument("--repeat", type=int, default=3, help="calls per page and extractor (best time)")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    import logging

    logging.disable(logging.WARNING)  # trafilatura and htmldate log every odd page
    pages = gold_pages(args.fundus)
    for fn in EXTRACTORS.values():  # imports and first-call set-up are not a page's cost
        fn(pages[0])
    overall = {name: Score() for name in EXTRACTORS}
    cyrillic = {name: Score() for name in EXTRACTORS}
    empty_only_ours: list[str] = []
    details = args.details.open("w", encoding="utf-8") if args.details else None
    for i, page in enumerate(pages):
        # Alternate which goes first, so neither always meets a warm cache.
        order = list(EXTRACTORS.items()) if i % 2 == 0 else list(reversed(EXTRACTORS.items()))
        got = {name: fn(page) for name, fn in order}
        for _ in range(args.repeat - 1):
            for name, fn in order:
                got[name].ms = min(got[name].ms, fn(page).ms)
        is_outlet = page_outlet(page)
        for name in EXTRACTORS:
            overall[name].add(page, got[name], is_outlet)
            if page.cyrillic:
                cyrillic[name].add(page, got[name], is_outlet)
            if details is not None:
                p, r, f = body_prf(got[name].body, page.body)
                row = {"page": page.name, "extractor": name, **asdict(got[name]),
                       "body_p": p, "body_r": r, "body_f1": f, "gold_title": page.title,
                       "gold_authors": page.authors, "gold_published": page.published}
                details.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")
        if not got["extract_article"].body.strip() and got["trafilatura"].body.strip():
            empty_only_ours.append(page.name)
    if details is not None:
        details.close()
    print(table(f"All fundus pages ({len(pages)})", overall))
    print()
    print(table(f"Cyrillic pages ({cyrillic['trafilatura'].pages})", cyrillic))
    print()
    print(f"Empty for extract_article where trafilatura found text: {len(empty_only_ours)}"
          + (f" ({', '.join(empty_only_ours)})" if empty_only_ours else ""))
    print()
    print(aside_table(overall))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
