"""`unionwatch subscriber …`: opt a subscriber's channel out, or back in, by hand."""

from __future__ import annotations

from scheduler.config import Config, SubscriberConfig
from scheduler.output import console, fail, print_json
from scheduler.wiring import open_database
from storage import optouts


def _subscriber(cfg: Config, sub_id: str) -> SubscriberConfig | None:
    return next((s for s in cfg.subscribers if s.id == sub_id), None)


def channel_key(sub: SubscriberConfig | None, given: str) -> str:
    """The channel key for --channel: a key ("telegram:123") or a target of the subscriber's
    channels ("123", "desk@example.org", "HOOK_URL")."""
    keys = [str(c.key) for c in sub.channels] if sub is not None else []
    if given in keys:
        return given
    by_target = [k for k in keys if k.partition(":")[2] == given]
    if len(by_target) == 1:
        return by_target[0]
    if ":" in given:
        return given  # a channel no longer in config.yaml may still have an opt-out
    known = ", ".join(keys) or "none"
    fail(f"'{given}' is not one of the channels of subscriber {sub.id if sub else '?'} "
         f"(known: {known})", 2)


def unsubscribe_command(cfg: Config, sub_id: str, channel: str | None, note: str | None, *,
                        json_out: bool) -> int:
    sub = _subscriber(cfg, sub_id)
    if sub is None:
        known = ", ".join(s.id for s in cfg.subscribers) or "none"
        fail(f"unknown subscriber '{sub_id}' (known: {known})", 2)
    keys = [channel_key(sub, channel)] if channel else [str(c.key) for c in sub.channels]
    db = open_database(cfg)
    try:
        with db.write() as s:
            new = [k for k in keys if optouts.opt_out(s, sub_id, k, "cli", note)]
    finally:
        db.dispose()
    if json_out:
        print_json({"subscriber": sub_id, "opted_out": keys, "new": new})
    else:
        for k in keys:
            console.print(f"{sub_id} → {k}: opted out" + ("" if k in new else " (already)"),
                          highlight=False)
    return 0


def resubscribe_command(cfg: Config, sub_id: str, channel: str | None, *, json_out: bool) -> int:
    sub = _subscriber(cfg, sub_id)
    key = channel_key(sub, channel) if channel else None
    db = open_database(cfg)
    try:
        with db.write() as s:
            keys = optouts.resubscribe(s, sub_id, key)
    finally:
        db.dispose()
    if json_out:
        print_json({"subscriber": sub_id, "resubscribed": keys})
    elif keys:
        for k in keys:
            console.print(f"{sub_id} → {k}: receives digests again", highlight=False)
    if not keys:
        what = f"channel {key}" if key else "any channel"
        if not json_out:
            console.print(f"{sub_id} had not opted out on {what}: nothing changed", highlight=False)
        return 1
    return 0
