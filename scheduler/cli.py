"""The `unionwatch` command line: one entry point for admins and operators."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from scheduler.config import DEFAULT_CONFIG, Config, load_config
from scheduler.output import console, err_console, fail, print_json
from scheduler.yamlsource import ConfigError

app = typer.Typer(
    name="unionwatch",
    help="News monitoring and daily digests for people who follow labour-rights cases.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema: upgrade, show the revision, check for drift.",
                     no_args_is_help=True)
app.add_typer(db_app, name="db")

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="Path to config.yaml.",
                                         envvar="UNIONWATCH_CONFIG")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
DRY_RUN_HELP = "Show what would be sent; mark nothing."
PREVIEW_HELP = "Write the HTML digest(s) to this file; send nothing."
ALIAS_HELP = "Try ENTITY=FORM as one more alias of the entity (repeatable); config.yaml is not changed."
STORED_HELP = "With --alias: try it on the stored articles and show what it would add."
VerboseOpt = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More logging.")]


def _logging(verbose: int) -> None:
    from notifier.channels.telegram import quiet_http_logging

    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    # httpx logs full request URLs at INFO, and a Telegram URL carries the bot token.
    quiet_http_logging()


def _config(path: Path, *, require_secrets: bool = True) -> Config:
    try:
        return load_config(path, require_secrets=require_secrets)
    except ConfigError as exc:
        for p in exc.problems:
            err_console.print(f"[red]{p}[/]", highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(2) from None


@app.command()
def check(config: ConfigOpt = DEFAULT_CONFIG, json_out: JsonOpt = False) -> None:
    """Validate config.yaml (keys, time zones, schedules, secrets) and the database."""
    from scheduler.checks import run_checks

    report = run_checks(config)
    if json_out:
        print_json(report)
    else:
        for p in report["problems"]:
            err_console.print(f"[red]✗[/] {p}", highlight=False, soft_wrap=True)
        for line in report["summary"]:
            console.print(f"[green]✓[/] {line}", highlight=False)
    raise typer.Exit(0 if report["ok"] else 2)


@app.command()
def crawl(
    sources: Annotated[list[str] | None, typer.Argument(help="Source ids (default: all enabled).")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    json_out: JsonOpt = False,
    verbose: VerboseOpt = 0,
) -> None:
    """Crawl sources now, in a child process, then match the new articles."""
    from scheduler.commands import crawl_command

    _logging(verbose)
    cfg = _config(config, require_secrets=False)
    raise typer.Exit(crawl_command(cfg, sources or [], json_out=json_out))


@app.command()
def digest(
    config: ConfigOpt = DEFAULT_CONFIG,
    subscriber: Annotated[str | None, typer.Option(help="Only this subscriber.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=DRY_RUN_HELP)] = False,
    preview: Annotated[Path | None, typer.Option(help=PREVIEW_HELP)] = None,
    json_out: JsonOpt = False,
    verbose: VerboseOpt = 0,
) -> None:
    """Build and send digests: articles matching each subscriber's watchlists, once."""
    from scheduler.commands import digest_command

    _logging(verbose)
    cfg = _config(config, require_secrets=not (dry_run or preview))
    raise typer.Exit(digest_command(cfg, subscriber, dry_run=dry_run, preview=preview, json_out=json_out))


@app.command()
def run(config: ConfigOpt = DEFAULT_CONFIG, verbose: VerboseOpt = 1) -> None:
    """Run the service: scheduled crawls and digests until SIGTERM."""
    from scheduler.daemon import run_daemon

    _logging(verbose)
    _config(config)  # refuse to start on a bad config
    raise typer.Exit(run_daemon(config))


@app.command()
def match(
    text: Annotated[str | None, typer.Argument(help="Text to test the watchlists on.")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the text from a file.")] = None,
    jsonl: Annotated[Path | None, typer.Option(help='Input lines {"id", "text"[, "title"]}.')] = None,
    out: Annotated[Path | None, typer.Option(help="With --jsonl: write results here.")] = None,
    alias: Annotated[list[str] | None, typer.Option(help=ALIAS_HELP)] = None,
    stored: Annotated[bool, typer.Option("--stored", help=STORED_HELP)] = False,
    days: Annotated[int, typer.Option(help="With --stored: how far back to look (0 = all).")] = 30,
    json_out: JsonOpt = False,
) -> None:
    """Find watched names in text (and near misses): test a watchlist or an alias, score a data set."""
    from scheduler.commands import match_command

    cfg = _config(config, require_secrets=False)
    given = [x for x in (text, file, jsonl) if x is not None]
    if stored and (given or not alias):
        fail("--stored tries --alias on stored articles: give --alias, and no TEXT, --file or --jsonl", 2)
    if len(given) != 1 and not stored:
        fail("give exactly one of TEXT, --file or --jsonl")
    raise typer.Exit(match_command(cfg, text=text, file=file, jsonl=jsonl, out=out, json_out=json_out,
                                   aliases=alias or [], stored=stored, days=days))


@app.command()
def suggest(
    config: ConfigOpt = DEFAULT_CONFIG,
    days: Annotated[int, typer.Option(help="How far back to look (0 = the whole archive).")] = 0,
    min_count: Annotated[int, typer.Option(help="Only forms seen at least this often.")] = 1,
    json_out: JsonOpt = False,
) -> None:
    """Propose aliases: unlisted forms of watched names in stored articles (config.yaml is not changed)."""
    from scheduler.commands import suggest_command

    cfg = _config(config, require_secrets=False)
    raise typer.Exit(suggest_command(cfg, days=days, min_count=min_count, json_out=json_out))


@app.command()
def search(
    query: Annotated[str | None, typer.Argument(help="Words or a name; inflected forms match too.")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    entity: Annotated[str | None, typer.Option(help="Articles mentioning this watched entity id.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    days: Annotated[int, typer.Option(help="How far back to look.")] = 30,
    limit: Annotated[int, typer.Option(help="At most this many results.")] = 20,
    json_out: JsonOpt = False,
) -> None:
    """Search stored articles by words, a name (any case form), or a watched entity."""
    from scheduler.commands import search_command

    cfg = _config(config, require_secrets=False)
    if (query is None) == (entity is None):
        fail("give a QUERY or --entity (one of them)")
    raise typer.Exit(search_command(cfg, query=query, entity=entity, source=source, days=days,
                                    limit=limit, json_out=json_out))


@app.command()
def status(config: ConfigOpt = DEFAULT_CONFIG, json_out: JsonOpt = False) -> None:
    """Health of every source, the outbox and the scheduler."""
    from scheduler.commands import status_command

    cfg = _config(config, require_secrets=False)
    raise typer.Exit(status_command(cfg, json_out=json_out))


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo database and digests go.")] = Path("out/demo"),
    json_out: JsonOpt = False,
    verbose: VerboseOpt = 0,
) -> None:
    """See the product work offline: crawl bundled sites on loopback, write a digest."""
    from scheduler.demo import run_demo

    _logging(verbose)
    raise typer.Exit(run_demo(workdir, json_out=json_out))


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = DEFAULT_CONFIG, revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from storage import migrate
    from storage.database import Database, display_url

    cfg = _config(config, require_secrets=False)
    db = Database(cfg.database.url)
    before = migrate.current_revision(db)
    migrate.upgrade(db, revision)
    console.print(f"database {display_url(cfg.database.url)}: {before or 'empty'} → "
                  f"{migrate.current_revision(db)}", highlight=False)


@db_app.command("current")
def db_current(config: ConfigOpt = DEFAULT_CONFIG, json_out: JsonOpt = False) -> None:
    """Show the schema revision of the database and the newest one."""
    from storage import migrate
    from storage.database import Database, display_url

    cfg = _config(config, require_secrets=False)
    db = Database(cfg.database.url)
    info: dict[str, Any] = {"database": display_url(cfg.database.url),
                            "current": migrate.current_revision(db), "head": migrate.head_revision(db)}
    info["up_to_date"] = info["current"] == info["head"]
    if json_out:
        print_json(info)
    else:
        console.print(json.dumps(info, indent=2), highlight=False)


@db_app.command("downgrade")
def db_downgrade(revision: str, config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Revert migrations down to REVISION (e.g. -1, or base)."""
    from storage import migrate
    from storage.database import Database

    cfg = _config(config, require_secrets=False)
    migrate.downgrade(Database(cfg.database.url), revision)


if __name__ == "__main__":
    app()
