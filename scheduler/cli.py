"""The `unionwatch` command line: one entry point for admins and operators."""

from __future__ import annotations

import gc
import json
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from scheduler.config import DEFAULT_CONFIG, Config, load_config
from scheduler.output import Failed, console, err_console, fail, print_json, report_failure
from scheduler.yamlsource import ConfigError
from storage.database import Unavailable

app = typer.Typer(
    name="unionwatch",
    help="News monitoring and daily digests for people who follow labour-rights cases.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="The database: schema upgrade and downgrade, revision, backup.",
                     no_args_is_help=True, rich_markup_mode=None)
app.add_typer(db_app, name="db")
evidence_app = typer.Typer(help="The evidence archive: WARC captures of the articles fetched, trusted "
                           "time-stamps, and packages that others can check.",
                           no_args_is_help=True, rich_markup_mode=None)
app.add_typer(evidence_app, name="evidence")
web_app = typer.Typer(help="The case workspace on the web: archive, people, digests, unsubscribe, admin.",
                      invoke_without_command=True, rich_markup_mode=None)
app.add_typer(web_app, name="web")
subscriber_app = typer.Typer(help="A subscriber's opt-outs: stop a channel, or undo an opt-out.",
                             no_args_is_help=True, rich_markup_mode=None)
app.add_typer(subscriber_app, name="subscriber")

def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import version

        console.print(f"unionwatch {version('unionwatch')}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Tracebacks for expected errors too.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """News monitoring and daily digests for people who follow labour-rights cases."""
    # main() reads --debug from the arguments: failures are reported after click has returned.


ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="Path to config.yaml.",
                                         envvar="UNIONWATCH_CONFIG")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
DRY_RUN_HELP = "Show what would be sent; mark nothing."
TEXT_HELP = "Text to test the watchlists on; - reads standard input."
PREVIEW_HELP = "Write the HTML digest(s) to this file; send nothing."
TEST_HELP = ("Send a marked test message to each channel of SUBSCRIBER now (not through the outbox) "
             "and show what each server answered; exit 1 if any failed.")
DEMO_PORT = 8780  # `demo --serve`: one port across restarts, so out/demo/config.yaml stays valid
ALIAS_HELP = "Try ENTITY=FORM as one more alias of the entity (repeatable); config.yaml is not changed."
STORED_HELP = "With --alias: try it on the stored articles and show what it would add."
VerboseOpt = Annotated[int, typer.Option("--verbose", "-v", count=True,
                                         help="-v: what happens; -vv: debug lines, the libraries' too.")]


QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors.")]
# Routine lines of libraries: every job run, every job (re)added, every migration context.
# They drown what happened; -vv shows them.
ROUTINE_LOGGERS = ("apscheduler", "alembic", "scrapy")


def _logging(verbose: int, quiet: bool = False, *, base: int = logging.WARNING) -> None:
    """Log to stderr at `base`, one step more per -v (DEBUG at most); -q: warnings and errors.

    The libraries' routine lines show only with -vv.
    """
    from notifier.channels.telegram import quiet_http_logging

    level = logging.WARNING if quiet else max(logging.DEBUG, base - 10 * verbose)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    for name in ROUTINE_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose >= 2 and not quiet else logging.WARNING)
    # httpx logs full request URLs at INFO, and a Telegram URL carries the bot token.
    quiet_http_logging()


def _config(path: Path, *, require_secrets: bool = True) -> Config:
    try:
        return load_config(path, require_secrets=require_secrets)
    except ConfigError as exc:
        raise Failed(exc.problems, 2) from None


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
    test: Annotated[str | None, typer.Option("--test", metavar="SUBSCRIBER", help=TEST_HELP)] = None,
    json_out: JsonOpt = False,
    verbose: VerboseOpt = 0,
) -> None:
    """Build and send digests: articles matching each subscriber's watchlists, once."""
    from scheduler.commands import digest_command

    _logging(verbose)
    if test is not None:
        from scheduler.probing import probe_command

        if subscriber or dry_run or preview:
            fail("--test sends a test message only: give it alone, without --subscriber, --dry-run "
                 "or --preview", 2)
        raise typer.Exit(probe_command(_config(config), test, json_out=json_out))
    cfg = _config(config, require_secrets=not (dry_run or preview))
    raise typer.Exit(digest_command(cfg, subscriber, dry_run=dry_run, preview=preview, json_out=json_out))


@app.command()
def run(config: ConfigOpt = DEFAULT_CONFIG, verbose: Annotated[int, typer.Option(
        "--verbose", "-v", count=True, help="-v: debug lines too; -vv: the libraries' too.")] = 0,
        quiet: QuietOpt = False) -> None:
    """Run the service: scheduled crawls and digests until SIGTERM.

    Logs what happened at INFO (each crawl's summary, each digest delivered, each alert, one
    line per job at start); -q only warnings and errors.
    """
    from scheduler.daemon import run_daemon

    _logging(verbose, quiet, base=logging.INFO)
    _config(config)  # refuse to start on a bad config
    raise typer.Exit(run_daemon(config))


@app.command()
def match(
    text: Annotated[str | None, typer.Argument(help=TEXT_HELP)] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the text from a file.")] = None,
    jsonl: Annotated[Path | None, typer.Option(help='Input lines {"id", "text"[, "title"]}.')] = None,
    out: Annotated[Path | None, typer.Option(help="With --jsonl: write results here.")] = None,
    alias: Annotated[list[str] | None, typer.Option(help=ALIAS_HELP)] = None,
    stored: Annotated[bool, typer.Option("--stored", help=STORED_HELP)] = False,
    days: Annotated[int, typer.Option(help="With --stored: how far back to look (0 = all).")] = 30,
    json_out: JsonOpt = False,
) -> None:
    """Find watched names in text (and near misses): test a watchlist or an alias, score a data set.

    Exit 0 when a watched name was found, 1 when none was (as grep does)."""
    from scheduler.commands import match_command

    cfg = _config(config, require_secrets=False)
    given = [x for x in (text, file, jsonl) if x is not None]
    if stored and (given or not alias):
        fail("--stored tries --alias on stored articles: give --alias, and no TEXT, --file or --jsonl", 2)
    if len(given) != 1 and not stored:
        fail("give exactly one of TEXT (- for standard input), --file or --jsonl", 2)
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
    since: Annotated[str | None, typer.Option(help="Only articles published on or after this day "
                                             "(YYYY-MM-DD, UTC).")] = None,
    until: Annotated[str | None, typer.Option(help="Only articles published on or before this day "
                                             "(YYYY-MM-DD, UTC).")] = None,
    days: Annotated[int | None, typer.Option(help="Only the last N days: --since N days ago.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many results.")] = 20,
    json_out: JsonOpt = False,
) -> None:
    """Search stored articles by words, a name (any case form), or a watched entity.

    The whole archive, newest first; --since, --until or --days narrow it, and say how many
    hits they hide."""
    from scheduler.commands import search_command

    cfg = _config(config, require_secrets=False)
    if (query is None) == (entity is None):
        fail("give a QUERY or --entity (one of them)", 2)
    raise typer.Exit(search_command(cfg, query=query, entity=entity, source=source, since=since,
                                    until=until, days=days, limit=limit, json_out=json_out))


@app.command()
def recheck(
    config: ConfigOpt = DEFAULT_CONFIG,
    every: Annotated[bool, typer.Option("--all", help="Every matched article, whatever its age.")] = False,
    json_out: JsonOpt = False,
    verbose: VerboseOpt = 0,
) -> None:
    """Fetch matched articles again at their ages (evidence.recheck_after): unchanged, changed, removed."""
    from scheduler.evidence_commands import recheck_command

    _logging(verbose)
    cfg = _config(config, require_secrets=False)
    raise typer.Exit(recheck_command(cfg, every=every, json_out=json_out))


@app.command()
def wayback(config: ConfigOpt = DEFAULT_CONFIG, json_out: JsonOpt = False, verbose: VerboseOpt = 0) -> None:
    """Submit newly matched articles to the Wayback Machine (Save Page Now) and record the snapshots."""
    from scheduler.evidence_commands import wayback_command

    _logging(verbose)
    cfg = _config(config, require_secrets=False)
    raise typer.Exit(wayback_command(cfg, json_out=json_out))


@app.command()
def status(config: ConfigOpt = DEFAULT_CONFIG, json_out: JsonOpt = False) -> None:
    """Health of every source, the outbox, the scheduler and the evidence archive."""
    from scheduler.commands import status_command

    cfg = _config(config, require_secrets=False)
    raise typer.Exit(status_command(cfg, json_out=json_out))


@evidence_app.command("prune")
def evidence_prune(config: ConfigOpt = DEFAULT_CONFIG, json_out: JsonOpt = False) -> None:
    """Drop unmatched captures past evidence.keep_unmatched_days and reclaim their space now
    (the service does this by itself every few hours)."""
    from scheduler.evidencing import apply_retention
    from scheduler.wiring import open_database

    cfg = _config(config, require_secrets=False)
    db = open_database(cfg)
    try:
        done = apply_retention(cfg, db)
    finally:
        db.dispose()
    if json_out:
        print_json(done.as_dict())
    else:
        console.print(f"{done.dropped} captures dropped, {done.files_deleted} files deleted, "
                      f"{done.files_compacted} compacted, {done.bytes_freed / 1e6:.1f} MB freed",
                      highlight=False)
    raise typer.Exit(0)


@app.command()
def rematch(
    entity: Annotated[list[str] | None, typer.Option(
        help="Only this watched entity id (repeat for more; default: all).")] = None,
    since: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="Only articles dated since this day (YYYY-MM-DD).")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    json_out: JsonOpt = False,
) -> None:
    """Match watched entities again against the stored archive (the service does this by itself
    for entities added or changed in config.yaml)."""
    from scheduler.rematching import rematch_command

    cfg = _config(config, require_secrets=False)
    raise typer.Exit(rematch_command(cfg, entity or [], since.date() if since else None,
                                     json_out=json_out))


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo database and digests go.")] = Path("out/demo"),
    serve: Annotated[bool, typer.Option("--serve", help="Keep the demo sites up afterwards, "
                                        "until Ctrl-C, so the written config keeps working.")] = False,
    port: Annotated[int | None, typer.Option(min=0, max=65535, help="Serve the sites on this "
                                             f"port (default: {DEMO_PORT} with --serve, else any).")] = None,
    json_out: JsonOpt = False,
    verbose: VerboseOpt = 0,
) -> None:
    """See the product work offline: crawl bundled sites on loopback, write a digest."""
    from scheduler.demo import run_demo

    _logging(verbose)
    chosen = port if port is not None else (DEMO_PORT if serve else 0)
    raise typer.Exit(run_demo(workdir, json_out=json_out, serve=serve, port=chosen))


@web_app.callback()
def web(
    ctx: typer.Context,
    config: ConfigOpt = DEFAULT_CONFIG,
    host: Annotated[str, typer.Option(help="Address to listen on; beyond loopback put TLS in front.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free one).")] = 8080,
    verbose: VerboseOpt = 0,
) -> None:
    """Serve the case workspace (search, entity and article pages, digests, unsubscribe, admin)."""
    if ctx.invoked_subcommand is not None:
        return
    from scheduler.webserve import serve

    _logging(verbose, base=logging.INFO)
    raise typer.Exit(serve(_config(config, require_secrets=False), host=host, port=port))


@web_app.command("hash-password")
def web_hash_password(
    password_stdin: Annotated[bool, typer.Option("--stdin", help="Read the password from standard input.")]
    = False,
) -> None:
    """Print an argon2 hash of an admin password, for the variable web.admin_password_hash_env names."""
    from scheduler.webserve import hash_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Admin password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise Failed(["use at least 10 characters"], 2)
    print(hash_password(password))


@web_app.command("link")
def web_link(
    config: ConfigOpt = DEFAULT_CONFIG,
    who: Annotated[str, typer.Option("--for", help="A subscriber id, or admin.")] = "admin",
    scope: Annotated[str, typer.Option(help="login, feed, api, digest, unsubscribe or mark.")] = "login",
    target: Annotated[str, typer.Option(help="feed: watchlist:ID or entity:ID; digest: its id; "
                                        "unsubscribe: the channel key.")] = "",
    days: Annotated[float, typer.Option(min=0.01, help="How long the link opens.")] = 30.0,
) -> None:
    """Print a signed link (needs the signing key in web.secret_env's variable)."""
    from scheduler.webserve import make_link

    if scope not in ("login", "feed", "api", "digest", "unsubscribe", "mark"):
        raise Failed([f"unknown scope '{scope}'"], 2)
    print(make_link(_config(config, require_secrets=False), who=who, scope=scope, target=target, days=days))


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = DEFAULT_CONFIG, revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from scheduler.wiring import database
    from storage import migrate
    from storage.database import display_url

    cfg = _config(config, require_secrets=False)
    db = database(cfg)
    before = migrate.current_revision(db)
    migrate.upgrade(db, revision)
    console.print(f"database {display_url(cfg.database.url)}: {before or 'empty'} → "
                  f"{migrate.current_revision(db)}", highlight=False)


@db_app.command("current")
def db_current(config: ConfigOpt = DEFAULT_CONFIG, json_out: JsonOpt = False) -> None:
    """Show the schema revision of the database and the newest one."""
    from scheduler.wiring import database
    from storage import migrate
    from storage.database import display_url

    cfg = _config(config, require_secrets=False)
    db = database(cfg)
    info: dict[str, Any] = {"database": display_url(cfg.database.url),
                            "current": migrate.current_revision(db), "head": migrate.head_revision(db)}
    info["up_to_date"] = info["current"] == info["head"]
    if json_out:
        print_json(info)
    else:
        console.print(json.dumps(info, indent=2), highlight=False)


# ignore_unknown_options: "-1" is a revision, not an option.
@db_app.command("downgrade", context_settings={"ignore_unknown_options": True})
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision: an id, -N, or base (drops everything).")],
    config: ConfigOpt = DEFAULT_CONFIG,
    yes: Annotated[bool, typer.Option("--yes", help="Do it without asking.")] = False,
) -> None:
    """Revert migrations down to REVISION, after saying what that drops and asking."""
    from scheduler.dbcommands import downgrade_command

    raise typer.Exit(downgrade_command(_config(config, require_secrets=False), revision, yes=yes))


@db_app.command("backup")
def db_backup(
    target: Annotated[Path, typer.Argument(help="The file to write the copy to.")],
    config: ConfigOpt = DEFAULT_CONFIG,
    force: Annotated[bool, typer.Option("--force", help="Replace TARGET if it exists.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Write a consistent copy of a live SQLite archive; for PostgreSQL, print the pg_dump command."""
    from scheduler.dbcommands import backup_command

    raise typer.Exit(backup_command(_config(config, require_secrets=False), target, force=force,
                                    json_out=json_out))


ChannelOpt = Annotated[str | None, typer.Option(
    "--channel", help="One channel: its key (telegram:123) or target (123, a@example.org); "
    "default: every channel.")]


@subscriber_app.command("unsubscribe")
def subscriber_unsubscribe(
    subscriber: Annotated[str, typer.Argument(help="The subscriber's id in config.yaml.")],
    channel: ChannelOpt = None,
    note: Annotated[str | None, typer.Option(help="Why, for the record.")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    json_out: JsonOpt = False,
) -> None:
    """Opt a subscriber's channel out (as /stop or the web's unsubscribe do); pending sends are cancelled."""
    from scheduler.subscribers import unsubscribe_command

    cfg = _config(config, require_secrets=False)
    raise typer.Exit(unsubscribe_command(cfg, subscriber, channel, note, json_out=json_out))


@subscriber_app.command("resubscribe")
def subscriber_resubscribe(
    subscriber: Annotated[str, typer.Argument(help="The subscriber's id.")],
    channel: ChannelOpt = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    json_out: JsonOpt = False,
) -> None:
    """Undo an opt-out (a mistaken /stop or unsubscribe): the channel gets digests again.

    Exit 1 when there was no opt-out to undo."""
    from scheduler.subscribers import resubscribe_command

    cfg = _config(config, require_secrets=False)
    raise typer.Exit(resubscribe_command(cfg, subscriber, channel, json_out=json_out))
@evidence_app.command("export")
def evidence_export(
    out: Annotated[Path, typer.Option("--out", "-o", help="The package file to write (.wacz).")],
    article: Annotated[int | None, typer.Option(help="The article with this id.")] = None,
    entity: Annotated[str | None, typer.Option(help="Every article naming this watched entity.")] = None,
    since: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%d"],
        help="With --entity: articles dated on or after this day (YYYY-MM-DD).")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    json_out: JsonOpt = False,
) -> None:
    """Write an evidence package (WACZ): every capture of the articles, their SHA-256 digests,
    RFC 3161 tokens and the chain of custody."""
    from scheduler.custody_commands import export_command

    cfg = _config(config, require_secrets=False)
    raise typer.Exit(export_command(cfg, article=article, entity=entity,
                                    since=since.date() if since else None, out=out, json_out=json_out))


@evidence_app.command("verify")
def evidence_verify(
    file: Annotated[Path, typer.Argument(help="The package (.wacz) to check.")],
    ca: Annotated[Path | None, typer.Option(
        help="CA certificate(s) (PEM) the TSA's tokens must chain to.")] = None,
    tsa_cert: Annotated[Path | None, typer.Option(help="The TSA's own certificate, to pin.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Check a package: every file, digest and time-stamp token; exit 1 naming what was changed.

    Needs no config or database: anyone with the file (and the TSA's CA) can run it."""
    from scheduler.custody_commands import verify_command

    raise typer.Exit(verify_command(file, ca=ca, tsa_cert=tsa_cert, json_out=json_out))


@evidence_app.command("stamp")
def evidence_stamp(config: ConfigOpt = DEFAULT_CONFIG, json_out: JsonOpt = False) -> None:
    """Ask the time-stamping authority now for the tokens still owed (the service does it by itself)."""
    from scheduler.custody_commands import stamp_command

    raise typer.Exit(stamp_command(_config(config, require_secrets=False), json_out=json_out))


def _given(args: list[str], flag: str) -> bool:
    return flag in (args[: args.index("--")] if "--" in args else args)


def main(argv: list[str] | None = None) -> None:
    """The `unionwatch` entry point: an expected failure (bad input, a database that cannot be
    used) is one line per problem, or JSON with --json, and its exit status; no traceback
    unless --debug."""
    args = sys.argv[1:] if argv is None else argv
    # Crawls' matching, digests and the web server make many short-lived objects and few
    # cycles: at the default gen-0 threshold (700) the collector ran every few dozen mentions
    # (`unionwatch crawl` of 1,000 bench articles: ~6 % of its time). What is imported by now
    # lives as long as the process: frozen, full collections skip it.
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)
    try:
        app(args=args, prog_name="unionwatch")
    except (Failed, Unavailable) as exc:
        if _given(args, "--debug"):
            raise
        if isinstance(exc, Unavailable):
            exc = Failed([str(exc)], 1, database=exc.database, cause=exc.cause)
        sys.exit(report_failure(exc, json_out=_given(args, "--json")))


if __name__ == "__main__":
    main()
