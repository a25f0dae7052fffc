"""What each CLI command does, kept apart from argument parsing."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from scheduler.config import Config, UnknownSource
from scheduler.output import console, err_console, fail, print_json
from storage.crawl_runs import CrawlStatus
from storage.database import Database
from storage.migrate import NotReady
from storage.types import utcnow

ERROR_SHOWN = 200  # characters of an error message in the status table


def source_names(cfg: Config) -> dict[str, str]:
    from scheduler.wiring import source_names as names

    return names(cfg)


def source_label(cfg: Config, source_id: str) -> str:
    """A source as a table shows it: its name, and the id commands take ("RFE/RL (en) · rferl-en")."""
    name = source_names(cfg).get(source_id, source_id)
    return source_id if name == source_id else f"{name} · {source_id}"


def crawl_command(cfg: Config, source_ids: list[str], *, json_out: bool, quiet: bool = False) -> int:
    from scheduler.crawling import SourceSummary, apply_event, crawl_job
    from scheduler.pipeline import crawl_and_match
    from spiders.events import Event

    try:
        job = crawl_job(cfg, source_ids)
    except UnknownSource as exc:
        known = ", ".join(s.id for s in cfg.sources) or "none"
        fail(f"{exc} (known: {known})", 2)
    if not job.sources:
        fail("no sources to crawl: config.yaml has no enabled sources")
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=json_out) as progress:
        tasks = {s.id: progress.add_task(f"{s.id}: waiting", total=None) for s in job.sources}
        shown = {s.id: SourceSummary(s.id) for s in job.sources}

        def on_event(ev: Event) -> None:
            if ev.source not in tasks:
                return
            apply_event(shown, ev)
            s = shown[ev.source]
            state = {CrawlStatus.RUNNING: "crawling", CrawlStatus.PENDING: "crawling"}.get(s.status, s.status)
            progress.update(tasks[ev.source], description=(
                f"{s.source}: {state} · {s.fetched} pages · {s.new} new · {s.errors} errors"))

        started = utcnow()
        outcome = crawl_and_match(cfg, job, on_event=on_event)
        stamps = _stamp_after_crawl(cfg, progress)
    alerts = _instant_alerts(cfg, started)
    result = outcome.crawl
    rows = [s.as_dict() for s in result.sources.values()]
    if quiet:
        pass  # the demo prints its own summary
    elif json_out:
        print_json({"sources": rows, "matched": outcome.matched_articles,
                    "mentions": outcome.mentions, "exit_code": result.exit_code,
                    "killed": result.killed, "instant_alerts": alerts,
                    **({"timestamps": stamps} if stamps is not None else {})})
    else:
        table = Table("source", "status", "fetched", "new", "duplicates", "errors", title="crawl")
        for s in result.sources.values():
            colour = {"ok": "green", "partial": "yellow", "skipped": "cyan"}.get(s.status, "red")
            table.add_row(escape(source_label(cfg, s.source)), f"[{colour}]{s.status}[/]", str(s.fetched),
                          str(s.new), str(s.duplicates), str(s.errors))
        console.print(table)
        for s in result.sources.values():
            if s.reason:
                console.print(f"  {s.source}: {escape(s.reason)}", highlight=False)
            for sample in s.error_samples:
                console.print(f"  [dim]{s.source}: {escape(sample)}[/]", highlight=False)
        console.print(f"matched {outcome.matched_articles} new articles: "
                      f"{outcome.mentions} mentions of watched names", highlight=False)
        for sub_id in alerts:
            console.print(f"instant alert for {sub_id} queued and sent", highlight=False)
        if stamps is not None:
            console.print(f"time-stamped {stamps['stamped']} captures"
                          + (f"; {stamps['failed']} asked again later ({escape(stamps['errors'][0])})"
                             if stamps["failed"] else ""), highlight=False)
    if not result.ok:
        tail = result.stderr_tail.strip().splitlines()[-5:]
        err_console.print("crawl process failed" + (" (killed at its time limit)" if result.killed
                          else f" with exit code {result.exit_code}"), style="red")
        for line in tail:
            err_console.print(f"  {line}", highlight=False, markup=False)
        return 1
    return 1 if any(s.status == CrawlStatus.FAILED for s in result.sources.values()) else 0


def _instant_alerts(cfg: Config, since: datetime) -> dict[str, int]:
    """The crawl's instant alerts, queued and sent (none unless subscribers ask for them)."""
    if not any(s.instant for s in cfg.subscribers):
        return {}
    from scheduler.instant import send_instant_alerts
    from scheduler.wiring import open_database

    db = open_database(cfg)
    try:
        return send_instant_alerts(cfg, db, since)
    finally:
        db.dispose()


def _stamp_after_crawl(cfg: Config, progress: Progress) -> dict[str, Any] | None:
    """Trusted time for the newly matched captures, when a TSA is configured (else None)."""
    from scheduler.stamping import stamp_now
    from scheduler.wiring import open_database

    if not cfg.evidence.timestamp.tsa_url:
        return None
    progress.add_task("time-stamping the matched captures", total=None)
    db = open_database(cfg)
    try:
        return stamp_now(cfg, db).as_dict()
    finally:
        db.dispose()


def match_command(cfg: Config, *, text: str | None, file: Path | None, jsonl: Path | None,
                  out: Path | None, json_out: bool, aliases: Sequence[str] = (), stored: bool = False,
                  days: int = 30) -> int:
    from matching import compile_watchlist
    from scheduler.suggesting import near_miss_dict, parse_alias, print_near_misses, try_aliases, with_aliases

    try:
        trial = [parse_alias(a, [e.id for e in cfg.entities]) for a in aliases]
    except ValueError as exc:
        fail(str(exc), 2)
    if stored:
        db = _open_to_read(cfg)
        try:
            return try_aliases(cfg, db, trial, days=days or None, json_out=json_out)
        finally:
            db.dispose()
    wl = compile_watchlist(with_aliases(cfg.entities, trial))
    if jsonl is not None:
        return _match_jsonl(wl, jsonl, out)
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{file}: cannot read: {exc}")
    elif text == "-":
        text = sys.stdin.read()
    assert text is not None
    inspection = wl.inspect(text)
    mentions = inspection.mentions
    found = 0 if mentions else 1  # grep's convention: 1 = nothing matched
    if json_out:
        print_json({"entities": sorted({m.entity_id for m in mentions}),
                    "mentions": [_mention_dict(m) for m in mentions],
                    "near_misses": [near_miss_dict(n) for n in inspection.near_misses]})
        return found
    if not mentions:
        console.print("no watched names found", style="yellow")
    else:
        console.print(_highlight(text, mentions), highlight=False)
        table = Table("entity", "found", "tier", "at", "why")
        for m in mentions:
            table.add_row(m.entity_id, m.surface, m.tier, f"{m.start}-{m.end}", m.explanation)
        console.print(table)
    print_near_misses(inspection.near_misses)
    return found


def _mention_dict(m: Any) -> dict[str, Any]:
    return {"entity": m.entity_id, "surface": m.surface, "start": m.start, "end": m.end,
            "tier": m.tier, "explanation": m.explanation}


def _highlight(text: str, mentions: list[Any]) -> str:
    out, pos = [], 0
    for m in sorted(mentions, key=lambda m: m.start):
        if m.start < pos:
            continue
        out.append(escape(text[pos:m.start]))
        out.append(f"[bold black on yellow]{escape(text[m.start:m.end])}[/]")
        pos = m.end
    out.append(escape(text[pos:]))
    return "".join(out)


def _match_jsonl(wl: Any, path: Path, out: Path | None) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read: {exc}")
    results = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            rid, body = rec["id"], rec["text"]
            title = rec.get("title") or ""
            if not isinstance(body, str) or not isinstance(title, str):
                raise TypeError("text and title must be strings")
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            fail(f"{path}:{n}: expected a JSON object with 'id' and 'text': {exc}")
        from scheduler.matchjob import article_text

        mentions = wl.match(article_text(title, body) if title else body)
        results.append({"id": rid, "entities": sorted({m.entity_id for m in mentions}),
                        "mentions": [_mention_dict(m) for m in mentions]})
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results)
    if out is None:
        sys.stdout.write(data)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(data, encoding="utf-8")
        err_console.print(f"{len(results)} texts matched → {out}", highlight=False)
    return 0 if any(r["entities"] for r in results) else 1


def search_command(cfg: Config, *, query: str | None, entity: str | None, source: str | None,
                   since: str | None, until: str | None, days: int | None, limit: int,
                   json_out: bool) -> int:
    from scheduler.searching import search_articles, window

    if query is not None and not query.strip():
        fail("the search QUERY is empty: give words or a name to look for", 2)
    if limit < 1:
        fail(f"--limit must be 1 or more (got {limit})", 2)
    try:
        dates = window(since=since, until=until, days=days, today=utcnow().date())
    except ValueError as exc:
        fail(str(exc), 2)
    if entity is not None and entity not in {e.id for e in cfg.entities}:
        fail(f"unknown entity '{entity}' (see the watchlists in config.yaml)", 2)
    db = _open_to_read(cfg)
    try:
        found = search_articles(db, query=query, entity=entity, source=source, window=dates, limit=limit)
    finally:
        db.dispose()
    names = source_names(cfg)
    if json_out:
        out = found.as_dict()
        for hit in out["articles"]:
            hit["source_name"] = names.get(hit["source"], hit["source"])
        print_json(out)
        return 0
    if not found.hits:
        console.print("no articles found", style="yellow")
    for h in found.hits:
        when = h.published.strftime("%Y-%m-%d") if h.published else "undated"
        console.print(f"[bold]{escape(h.title)}[/]  [dim]{escape(names.get(h.source, h.source))} · {when} · "
                      f"{h.language or '?'}[/]",
                      highlight=False)
        if h.snippet:
            console.print(f"  {h.snippet_markup()}", highlight=False)
        console.print(f"  [link={h.url}]{escape(h.url)}[/link]", highlight=False)
    for note in found.notes():
        console.print(note, style="dim", highlight=False, soft_wrap=True)
    return 0


def _open_to_read(cfg: Config) -> Database:
    """The database as it is, for commands that only read; missing or outdated: one line, exit 1."""
    from scheduler.wiring import open_database_to_read

    try:
        return open_database_to_read(cfg)
    except NotReady as exc:
        fail(str(exc))


def status_command(cfg: Config, *, json_out: bool) -> int:
    from scheduler.evidencing import GONE_SHOWN, evidence_health
    from scheduler.health import (
        RECENT_ERRORS,
        opt_outs,
        outbox_counts,
        scheduler_holder,
        source_health,
        unsettled_deliveries,
    )
    from scheduler.rechecking import describe_checks, evidence_checks
    from scheduler.stamping import describe_health, stamp_health

    db = _open_to_read(cfg)
    try:
        health = source_health(db, cfg)
        outbox = outbox_counts(db)
        stuck = unsettled_deliveries(db)
        holder = scheduler_holder(db)
        archive = evidence_health(db, cfg)
        stopped = opt_outs(db)
        stamps = stamp_health(cfg, db)
        checks = evidence_checks(cfg, db)
    finally:
        db.dispose()
    if json_out:
        names = source_names(cfg)
        print_json({"sources": [{**h.as_dict(), "name": names.get(h.source, h.source)} for h in health],
                    "outbox": outbox,
                    "deliveries": [{**d._asdict(), "state": d.state.value} for d in stuck],
                    "scheduler": holder, "evidence": archive.as_dict(), "timestamps": stamps,
                    "checks": checks, "opt_outs": [o._asdict() for o in stopped]})
        return 0
    table = Table("source", "last run", "status", "last success", "articles 7d", "error rate",
                  "why", title="sources")
    for h in health:
        colour = {"ok": "green", "partial": "yellow"}.get(h.last_status or "", "red")
        table.add_row(
            escape(source_label(cfg, h.source)),
            h.last_run.strftime("%Y-%m-%d %H:%M") if h.last_run else "never",
            f"[{colour}]{h.last_status or '-'}[/]",
            h.last_success.strftime("%Y-%m-%d %H:%M") if h.last_success else "never",
            str(h.articles_7d),
            f"{h.error_rate:.0%}" if h.error_rate is not None else "-",
            escape(h.last_reason),
        )
    console.print(table)
    for h in health:
        for w in h.warnings:
            console.print(f"[yellow]⚠ {h.source}: {escape(w)}[/]", highlight=False)
    for h in health:
        if h.recent_errors:
            console.print(f"[bold]recent crawl errors of {h.source}[/] "
                          f"(up to {RECENT_ERRORS}, newest first):", highlight=False)
        for e in h.recent_errors:  # whole lines, not a table: URLs and messages must not be cut
            console.print(f"  {e.at:%Y-%m-%d %H:%M} [red]{escape(e.kind)}[/] {escape(e.url)}: "
                          f"{escape(e.message[:ERROR_SHOWN])}", highlight=False, soft_wrap=True)
    console.print("outbox: " + (", ".join(f"{n} {k}" for k, n in sorted(outbox.items())) or "empty"))
    for d in stuck:  # whole lines: the reason is what the operator needs
        when = (f"next attempt {d.next_attempt_at:%Y-%m-%d %H:%M} UTC"
                if d.state == "retrying" and d.next_attempt_at else "gave up")
        console.print(f"  [{'yellow' if d.state == 'retrying' else 'red'}]{d.state}[/] "
                      f"{escape(d.subscriber_id)} → {escape(d.channel)} (attempt {d.attempts}, {when}): "
                      f"{escape((d.last_error or '')[:ERROR_SHOWN])}", highlight=False, soft_wrap=True)
    console.print(f"opt-outs: {len(stopped) or 'none'}"
                  + (" (undo one: unionwatch subscriber resubscribe SUB --channel KEY)" if stopped else ""))
    for o in stopped:
        console.print(f"  {escape(o.subscriber_id)} → {escape(o.channel)}: opted out {o.at:%Y-%m-%d %H:%M} "
                      f"UTC via {o.via}" + (f" ({escape(o.note)})" if o.note else ""),
                      highlight=False, soft_wrap=True)
    console.print("scheduler: " + (f"running ({holder['owner']})" if holder else "not running"))
    console.print(escape(archive.describe()), style="red" if archive.gone else None, highlight=False,
                  soft_wrap=True)
    for p in archive.gone[:GONE_SHOWN]:
        article = f"article {p.article_id}" if p.article_id is not None else "no article"
        console.print(f"  [red]gone[/] capture {p.capture_id} ({article}) {escape(p.url)}: "
                      f"{escape(p.reason)}", highlight=False, soft_wrap=True)
    if len(archive.gone) > GONE_SHOWN:
        console.print(f"  and {len(archive.gone) - GONE_SHOWN} more (status --json lists them all)")
    console.print(escape(describe_health(stamps)), style="yellow" if stamps["failing"] else None,
                  highlight=False, soft_wrap=True)
    console.print(escape(describe_checks(checks)), highlight=False, soft_wrap=True)
    return 0


def suggest_command(cfg: Config, *, days: int, min_count: int, json_out: bool) -> int:
    from scheduler.suggesting import suggest

    db = _open_to_read(cfg)
    try:
        return suggest(cfg, db, days=days or None, min_count=min_count, json_out=json_out)
    finally:
        db.dispose()


def digest_command(cfg: Config, subscriber: str | None, *, dry_run: bool, preview: Path | None,
                   json_out: bool) -> int:
    from scheduler.digesting import run_digests

    if subscriber is not None and subscriber not in {s.id for s in cfg.subscribers}:
        known = ", ".join(s.id for s in cfg.subscribers) or "none"
        fail(f"unknown subscriber '{subscriber}' (known: {known})", 2)
    return run_digests(cfg, subscriber, dry_run=dry_run, preview=preview, json_out=json_out)


