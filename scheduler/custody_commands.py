"""`unionwatch evidence export | verify | stamp`: packages others can check, and trusted time now."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from scheduler.config import Config
from scheduler.evidence_package import (
    ArticleEntry,
    CaptureUnreadable,
    CustodyEvent,
    Selection,
    write_package,
)
from scheduler.evidence_verify import VerifyReport, verify_package
from scheduler.output import console, err_console, fail, print_json
from scheduler.stamping import stamp_now
from scheduler.wiring import open_database
from storage import captures, custody, timestamps
from storage.captures import CaptureRow
from storage.types import utcnow


def software() -> str:
    return f"unionwatch {version('unionwatch')}"


def export_command(cfg: Config, *, article: int | None, entity: str | None, since: date | None,
                   out: Path, json_out: bool) -> int:
    if (article is None) == (entity is None):
        fail("give --article ID or --entity ID (one of them)", 2)
    if since is not None and entity is None:
        fail("--since goes with --entity", 2)
    if entity is not None and entity not in {e.id for e in cfg.entities}:
        fail(f"unknown entity {entity} (known: {', '.join(e.id for e in cfg.entities) or 'none'})", 2)
    if out.exists() and out.is_dir():
        fail(f"--out {out} is a folder; name the package file (e.g. {out / 'evidence.wacz'})", 2)
    after = datetime(since.year, since.month, since.day, tzinfo=UTC) if since else None
    db = open_database(cfg)
    try:
        with db.read() as s:
            if article is not None:
                one = custody.article(s, article)
                if one is None:
                    fail(f"no article {article} in {cfg.database.url}", 2)
                infos = [one]
            else:
                assert entity is not None
                infos = custody.articles_of_entity(s, entity, after)
            caps: list[CaptureRow] = [c for a in infos for c in captures.for_article(s, a.id)]
            stamps = timestamps.of(s, [c.id for c in caps])
            rechecks = custody.rechecks_of(s, [a.id for a in infos])
            versions = custody.versions_by_capture(s, [a.id for a in infos])
    finally:
        db.dispose()
    if not infos:
        fail(f"no article names {entity}" + (f" since {since}" if since else ""))
    if not caps:
        what = f"article {article}" if article is not None else f"the articles naming {entity}"
        fail(f"no captures of {what} are in the evidence archive "
             "(were they fetched before evidence capture was on?)")
    # A re-check's capture is the one its recheck row names, whatever kind the writer gave it.
    by_recheck = {r.capture_id for r in rechecks if r.capture_id is not None}
    caps = [replace(c, kind="recheck") if c.id in by_recheck else c for c in caps]
    articles = [ArticleEntry(a.id, a.url, a.title, a.source_id, a.published_at, a.fetched_at, a.entities)
                for a in infos]
    events = [CustodyEvent(r.at, "rechecked", r.article_id, {
        k: v for k, v in (("state", r.state), ("status", r.status_code), ("final_url", r.final_url),
                          ("detail", r.detail), ("capture_id", r.capture_id), ("version", r.version))
        if v is not None}) for r in rechecks]
    ca = cfg.evidence.timestamp.ca_file
    selection = Selection(article=article, entity=entity, since=since.isoformat() if since else None)
    with Progress(TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), console=err_console,
                  transient=True, disable=json_out) as bar:
        task = bar.add_task("export", total=len(caps))
        try:
            summary = write_package(
                out, evidence_dir=cfg.evidence.dir, articles=articles, captures=caps, stamps=dict(stamps),
                events=events, versions=versions, selection=selection, software=software(),
                exported_at=utcnow(),
                ca_pem=ca.read_bytes() if ca and ca.is_file() else None,
                progress=lambda n: bar.advance(task, n))
        except CaptureUnreadable as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror or exc}")
    result = {"package": str(out), "articles": summary.articles, "captures": summary.captures,
              "stamped": summary.stamped, "not_included": summary.missing}
    if json_out:
        print_json(result)
    else:
        console.print(f"wrote {out}: {summary.articles} article(s), {summary.captures} capture(s), "
                      f"{summary.stamped} with a trusted time-stamp", highlight=False, markup=False)
        for missing in summary.missing:
            err_console.print(f"[yellow]not included:[/] {escape(missing)}", highlight=False, soft_wrap=True)
        console.print(f"check it with: unionwatch evidence verify {out}", highlight=False, markup=False)
    return 1 if summary.missing else 0


def _print_report(report: VerifyReport) -> None:
    for f in report.files:
        if not f["ok"]:
            console.print(f"[red]✗[/] file {escape(f['path'])}: {escape(f['problem'] or '')}",
                          highlight=False, soft_wrap=True)
    for r in report.records:
        mark = "[green]✓[/]" if r.ok else "[red]✗[/]"
        when = f"fetched {r.fetched_at}" + (f" from {r.ip}" if r.ip else "")
        stamp = {"verified": f"time-stamped {r.gen_time} (signature checked)",
                 "imprint only": f"time-stamped {r.gen_time} (signature not checked)",
                 "pending": "no time-stamp yet (it was still owed at export)",
                 "none": "no time-stamp", "failed": "time-stamp FAILED",
                 "unchecked": "time-stamp not checked (the records cannot be read)"}[r.timestamp]
        console.print(f"{mark} capture {r.capture_id} {escape(r.url)}: {when}; sha256 {r.sha256}; {stamp}",
                      highlight=False, soft_wrap=True)
        for p in r.problems:
            console.print(f"    {escape(p)}", highlight=False, soft_wrap=True)
    for p in report.problems:
        console.print(f"[red]✗[/] {escape(p)}", highlight=False, soft_wrap=True)
    for m in report.not_included:
        console.print(f"[yellow]note:[/] the export could not include {escape(m)}", highlight=False,
                      soft_wrap=True)
    console.print(f"time-stamp signatures checked against {escape(report.trust)}", highlight=False,
                  soft_wrap=True)
    if report.ok:
        console.print(f"[green]verified[/]: {len(report.records)} record(s), every file and digest intact",
                      highlight=False)
    else:
        what = ", ".join(report.failed_names()) or "; ".join(report.problems)
        err_console.print("[bold red]error:[/] verification failed: " + escape(what), highlight=False,
                          soft_wrap=True)


def verify_command(file: Path, *, ca: Path | None, tsa_cert: Path | None, json_out: bool) -> int:
    if not file.is_file():
        fail(f"no such file: {file}", 2)
    try:
        report = verify_package(file, ca=ca, tsa_cert=tsa_cert)
    except ValueError as exc:  # a certificate file given that cannot be read
        fail(str(exc), 2)
    if json_out:
        print_json(report.as_dict())
    else:
        _print_report(report)
    return 0 if report.ok else 1


def stamp_command(cfg: Config, *, json_out: bool) -> int:
    if not cfg.evidence.timestamp.tsa_url:
        fail("no time-stamping authority configured (evidence.timestamp.tsa_url)", 2)
    db = open_database(cfg)
    try:
        summary = stamp_now(cfg, db)
        with db.read() as s:
            counts = timestamps.counts(s)
    finally:
        db.dispose()
    result = {**summary.as_dict(), "owed": counts.pending, "stamped_total": counts.stamped}
    if json_out:
        print_json(result)
    else:
        console.print(f"time-stamped {summary.stamped} capture(s); {counts.pending} still owed",
                      highlight=False, markup=False)
        for e in summary.errors:
            err_console.print(f"[yellow]retrying later:[/] {escape(e)}", highlight=False, soft_wrap=True)
    return 1 if summary.failed and not summary.stamped else 0
