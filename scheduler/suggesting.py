"""Help for admins: near misses, `unionwatch suggest`, and trying an alias before saving it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from rich.markup import escape

from matching import EntitySpec, compile_watchlist, sentence_span
from matching.inspection import NearMiss
from matching.suggestions import Candidate, Miner
from scheduler.config import Config
from scheduler.matchjob import article_text
from scheduler.output import console, err_console, print_json
from storage import articles
from storage.articles import StoredArticle
from storage.database import Database
from storage.types import utcnow

BATCH = 500  # articles per read transaction
SHOWN = 10  # articles a trial alias lists


# --- near misses, for `unionwatch match` --------------------------------------------------


def near_miss_dict(n: NearMiss) -> dict[str, Any]:
    return {"entity": n.entity_id, "surface": n.surface, "start": n.start, "end": n.end,
            "resembles": n.resembles, "reason": n.reason, "message": n.message}


def print_near_misses(near: Sequence[NearMiss]) -> None:
    if not near:
        return
    console.print("near misses (not counted):", style="bold", highlight=False)
    for n in near:
        console.print(f"  [cyan]{escape(n.entity_id)}[/] {escape(n.message)}", highlight=False,
                      soft_wrap=True)


# --- --alias ENTITY=FORM ----------------------------------------------------------------------


def parse_alias(text: str, known: Sequence[str]) -> tuple[str, str]:
    """ "eleusinov=Елеусинова" -> ("eleusinov", "Елеусинова"); ValueError with a one-line reason."""
    entity, sep, form = text.partition("=")
    entity, form = entity.strip(), form.strip()
    if not sep or not entity or not form:
        raise ValueError(f"--alias {text!r}: expected ENTITY=FORM, e.g. eleusinov=Елеусинова")
    if entity not in known:
        raise ValueError(f"--alias {text!r}: unknown entity '{entity}' (see the watchlists in config.yaml)")
    return entity, form


def with_aliases(entities: Sequence[EntitySpec], aliases: Sequence[tuple[str, str]]) -> list[EntitySpec]:
    """The entities with the trial aliases added (config.yaml is not touched)."""
    extra: dict[str, list[str]] = {}
    for entity, form in aliases:
        extra.setdefault(entity, []).append(form)
    return [dataclasses.replace(e, aliases=(*e.aliases, *extra[e.id])) if e.id in extra else e
            for e in entities]


def archive(db: Database, since: datetime | None) -> Iterator[StoredArticle]:
    """Every stored article (dated since `since`), read in keyset batches."""
    last = 0
    while True:
        with db.read() as s:
            batch = articles.in_id_order(s, last, BATCH, since=since)
        if not batch:
            return
        yield from batch
        last = batch[-1].id


def _articles(n: int) -> str:
    return f"{n} article" + ("" if n == 1 else "s")


def _since(days: int | None) -> datetime | None:
    return utcnow() - timedelta(days=days) if days else None


def try_aliases(cfg: Config, db: Database, aliases: Sequence[tuple[str, str]], *, days: int | None,
                json_out: bool) -> int:
    """Match stored articles with and without the trial aliases; show what they would add."""
    before = compile_watchlist(cfg.entities)
    after = compile_watchlist(with_aliases(cfg.entities, aliases))
    wanted = dict.fromkeys(e for e, _ in aliases)
    report: dict[str, dict[str, Any]] = {
        e: {"before": 0, "after": 0, "gained": [], "lost": 0} for e in wanted
    }
    scanned = 0
    for art in archive(db, _since(days)):
        scanned += 1
        text = article_text(art.title, art.body)
        old = {(m.entity_id, m.start, m.end) for m in before.match(text)}
        new = after.match(text)
        for entity, row in report.items():
            had = any(e == entity for e, _, _ in old)
            has = any(m.entity_id == entity for m in new)
            row["before"] += had
            row["after"] += has
            row["lost"] += had and not has
            added = [m for m in new if m.entity_id == entity and (entity, m.start, m.end) not in old]
            if added and not had and len(row["gained"]) < SHOWN:
                a, b = sentence_span(text, added[0].start, added[0].end)
                row["gained"].append({"id": art.id, "title": art.title, "url": art.url,
                                      "surface": added[0].surface, "sentence": " ".join(text[a:b].split())})
    if json_out:
        print_json({"aliases": [{"entity": e, "form": f} for e, f in aliases], "articles": scanned,
                    "entities": report})
        return 0
    console.print(f"{scanned} stored articles matched with and without "
                  + ", ".join(f"{e}={f}" for e, f in aliases), highlight=False)
    for entity, row in report.items():
        gained = row["after"] - row["before"] + row["lost"]
        console.print(f"[bold]{escape(entity)}[/]: {_articles(row['before'])} now, {row['after']} "
                      f"with the alias ({gained} more, {row['lost']} fewer)", highlight=False)
        for g in row["gained"]:
            console.print(f"  + [bold]{escape(g['title'])}[/] {escape(g['url'])}", highlight=False,
                          soft_wrap=True)
            console.print(f"    {escape(g['sentence'])}", highlight=False, soft_wrap=True)
    return 0


# --- unionwatch suggest -----------------------------------------------------------------------


def companions(cfg: Config) -> dict[str, set[str]]:
    """Per entity id, the other entities of every watchlist it is on."""
    out: dict[str, set[str]] = {}
    for w in cfg.watchlists:
        ids = {e.id for e in w.entities}
        for entity in ids:
            out.setdefault(entity, set()).update(ids - {entity})
    return out


def alias_to_add(spec: EntitySpec, cand: Candidate) -> str:
    """A person's variant goes in with the given name of the alias in the same script."""
    if spec.kind != "person" or cand.kind == "acronym":
        return cand.form
    latin = cand.form.isascii()
    for full in (spec.name, *spec.aliases):
        words = full.split()
        if len(words) >= 2 and full.isascii() == latin:
            return " ".join([*words[:-1], cand.form])
    return cand.form


def aliases_line(spec: EntitySpec, added: Sequence[str]) -> str:
    """A ready-to-paste `aliases:` line: the entity's aliases and the new ones (flow style)."""
    return "aliases: " + json.dumps([*spec.aliases, *dict.fromkeys(added)], ensure_ascii=False)


def mine(cfg: Config, db: Database, *, days: int | None, min_count: int) -> tuple[int, list[Candidate]]:
    """(articles read, candidate aliases) over the stored archive."""
    miner = Miner(compile_watchlist(cfg.entities), companions(cfg))
    scanned = 0
    for art in archive(db, _since(days)):
        miner.add(article_text(art.title, art.body))
        scanned += 1
    return scanned, miner.candidates(min_count)


def suggest(cfg: Config, db: Database, *, days: int | None, min_count: int, json_out: bool) -> int:
    scanned, found = mine(cfg, db, days=days, min_count=min_count)
    specs = {e.id: e for e in cfg.entities}
    aliases = {id(c): alias_to_add(specs[c.entity_id], c) for c in found}
    if json_out:
        rows = [{"entity": c.entity_id, "form": c.form, "kind": c.kind, "count": c.count,
                 "articles": c.texts, "counted": c.counted, "evidence": c.evidence,
                 "examples": c.examples, "alias": aliases[id(c)],
                 "aliases_line": aliases_line(specs[c.entity_id], [aliases[id(c)]])} for c in found]
        print_json({"articles": scanned, "candidates": rows})
        return 0
    if not found:
        err_console.print(f"{scanned} stored articles: no unlisted forms of watched names found",
                          style="yellow", highlight=False)
        return 0
    console.print(f"{scanned} stored articles: {len(found)} unlisted forms (config.yaml is not changed)",
                  highlight=False)
    for c in found:
        why = ", ".join(f"{k} {n}" for k, n in c.evidence.items())
        console.print(f"\n[bold]{escape(c.entity_id)}[/] [yellow]{escape(c.form)}[/] ({c.kind}: "
                      f"{c.count} times in {_articles(c.texts)}; {escape(why)})", highlight=False)
        for example in c.examples:
            console.print(f"  · {escape(example)}", highlight=False, soft_wrap=True)
        line = aliases_line(specs[c.entity_id], [aliases[id(c)]])
        console.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
    return 0
