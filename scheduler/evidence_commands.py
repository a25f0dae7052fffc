"""`unionwatch recheck` and `unionwatch wayback`: re-check matched articles, archive them now."""

from __future__ import annotations

from contextlib import nullcontext

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from scheduler.config import Config
from scheduler.output import console, err_console, fail, print_json
from scheduler.wiring import open_database
from spiders.events import Rechecked


def recheck_command(cfg: Config, *, every: bool, json_out: bool) -> int:
    from scheduler.digesting import alert_admins
    from scheduler.rechecking import run_rechecks

    db = open_database(cfg)
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      console=err_console, transient=True, disable=json_out) as progress:
            task = progress.add_task("re-checking", total=None)

            def on_result(ev: Rechecked) -> None:
                progress.update(task, advance=1, description=f"re-checking · {ev.state}: {ev.url[:80]}")

            run = run_rechecks(cfg, db, every=every, on_result=on_result,
                               notify=lambda subject, text: alert_admins(cfg, subject, text))
    finally:
        db.dispose()
    if run.skipped:
        fail(run.skipped)
    rows = [{"url": r.url, "article_id": r.article_id, "state": r.state, "at": r.at}
            | ({"status": r.status} if r.status is not None else {})
            | ({"detail": r.detail} if r.detail else {}) for r in run.results]
    if json_out:
        print_json(rows)
    else:
        table = Table("article", "state", "status", "url", "detail", title=f"re-check: {run.due} due")
        colour = {"unchanged": "green", "changed": "yellow", "removed": "red", "failed": "magenta"}
        for r in run.results:
            table.add_row(str(r.article_id), f"[{colour.get(r.state, 'white')}]{r.state}[/]",
                          str(r.status or ""), escape(r.url), escape(r.detail or ""))
        console.print(table)
        failed = sum(r.state == "failed" for r in run.results)
        if failed:
            console.print(f"{failed} could not be fetched; they are tried again at the next run "
                          "(a failure is never taken for a removal)", highlight=False)
        if run.alerted:
            console.print(f"admins alerted of {len(run.alerted)} update(s)", highlight=False)
    if not run.ok and run.crawl is not None:
        tail = run.crawl.stderr_tail.strip().splitlines()[-3:]
        err_console.print(escape("re-check child failed: " + " | ".join(tail)), highlight=False)
        return 1
    return 0


def wayback_command(cfg: Config, *, json_out: bool) -> int:
    from scheduler.wayback import run_wayback

    if not cfg.evidence.wayback.enabled:
        fail("evidence.wayback.enabled is false in config.yaml: nothing is sent to the Wayback Machine", 2)
    db = open_database(cfg)
    try:
        with err_console.status("submitting to the Wayback Machine") if not json_out else nullcontext():
            run = run_wayback(cfg, db)
    except RuntimeError as exc:
        fail(str(exc))
    finally:
        db.dispose()
    if json_out:
        print_json(run.as_dict())
    else:
        console.print(f"queued {run.queued} · archived {len(run.archived)} · pending {run.pending} · "
                      f"retrying {len(run.retrying)} · refused {len(run.refused)}", highlight=False)
        for _, snap in run.archived:
            console.print(f"  {escape(snap)}", highlight=False)
        for _, error in run.retrying + run.refused:
            console.print(f"  [dim]{escape(error)}[/]", highlight=False)
        if run.stopped:
            console.print(escape(run.stopped), highlight=False)
    return 0
