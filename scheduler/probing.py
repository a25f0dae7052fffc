"""`unionwatch digest --test SUBSCRIBER`: try each of a subscriber's channels with the real senders."""

from __future__ import annotations

from rich.markup import escape

from notifier.probe import probe
from notifier.senders import open_senders
from scheduler.config import Config
from scheduler.digesting import message_domain
from scheduler.output import console, fail, print_json
from scheduler.wiring import delivery_settings, open_database
from storage.types import utcnow


def probe_command(cfg: Config, sub_id: str, *, json_out: bool) -> int:
    sub = next((s for s in cfg.subscribers if s.id == sub_id), None)
    if sub is None:
        known = ", ".join(s.id for s in cfg.subscribers) or "none"
        fail(f"unknown subscriber '{sub_id}' (known: {known})", 2)
    db = open_database(cfg)
    try:
        with open_senders(delivery_settings(cfg)) as senders:
            results = probe(db, sub, senders, utcnow(), message_domain(cfg))
    finally:
        db.dispose()
    failed = [r for r in results if not r.ok]
    if json_out:
        print_json({"subscriber": sub_id, "ok": not failed, "channels": [r.as_dict() for r in results]})
    else:
        for r in results:
            mark = "[yellow]–[/]" if r.skipped else "[green]✓[/]" if r.ok else "[red]✗[/]"
            moved = f" (now {escape(r.sent_to)})" if r.sent_to else ""
            console.print(f"{mark} {escape(r.channel)}{moved}: {escape(r.answer)}", highlight=False,
                          soft_wrap=True)
        console.print(f"test message to {len(results) - len(failed)} of {len(results)} channels of "
                      f"{sub_id}" + (f"; {len(failed)} failed" if failed else ""), highlight=False)
    return 1 if failed else 0
