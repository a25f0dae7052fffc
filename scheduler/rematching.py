"""`unionwatch rematch`: match watched entities again against the stored archive, on demand."""

from __future__ import annotations

from datetime import UTC, date, datetime

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from matching import entity_fingerprint
from scheduler.config import Config
from scheduler.matchjob import match_pending, rematch, rematch_total
from scheduler.output import console, err_console, fail, print_json
from scheduler.wiring import open_database, watchlist
from storage import entity_state
from storage.types import utcnow


def rematch_command(cfg: Config, entity_ids: list[str], since: date | None, *, json_out: bool) -> int:
    by_id = {e.id: e for e in cfg.entities}
    unknown = [e for e in entity_ids if e not in by_id]
    if unknown:
        fail(f"unknown entity {', '.join(unknown)} (known: {', '.join(by_id) or 'none'})", code=2)
    chosen = [by_id[e] for e in entity_ids] if entity_ids else list(cfg.entities)
    after = datetime(since.year, since.month, since.day, tzinfo=UTC) if since else None
    db = open_database(cfg)
    try:
        total = rematch_total(db, after)
        with Progress(TextColumn("rematching"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=err_console, transient=True, disable=json_out) as bar:
            task = bar.add_task("rematch", total=total)
            summary = rematch(db, chosen, since=after, progress=lambda n: bar.advance(task, n))
        if after is None:
            # Matched against the whole archive as defined now: the service need not redo it.
            with db.write() as s:
                for e in chosen:
                    entity_state.record(s, e.id, entity_fingerprint(e), utcnow())
        fresh = match_pending(db, watchlist(cfg))
    finally:
        db.dispose()
    names = list(summary.backfilled_entities)
    result = {"entities": names, "since": since,
              "articles": summary.backfilled_articles, "mentions": summary.mentions,
              "newly_matched_articles": fresh.articles}
    if json_out:
        print_json(result)
    else:
        console.print(f"rematched {', '.join(names)} against {result['articles']} articles"
                      f"{f' dated since {since}' if since else ''}: {result['mentions']} mentions",
                      highlight=False, markup=False, soft_wrap=True)
    return 0
