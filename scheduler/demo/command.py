"""`unionwatch demo`: the whole product offline, in one command, on bundled fixture sites."""

from __future__ import annotations

import shlex
import shutil
import signal
import threading
from pathlib import Path
from typing import Any

import yaml
from rich.table import Table

from scheduler.config import load_config
from scheduler.demo.server import DemoServer
from scheduler.demo.sources import demo_sources
from scheduler.output import console, err_console, fail, print_json

CONFIG = Path(__file__).with_name("config.yaml")


def demo_config(workdir: Path, base_url: str, database_url: str | None = None) -> Path:
    """Write the demo's config.yaml for the loopback site and return its path."""
    data: dict[str, Any] = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    data["database"] = {"url": database_url or f"sqlite:///{(workdir / 'unionwatch.db').resolve()}"}
    data["sources"] = demo_sources(base_url)
    for sub in data["subscribers"]:
        for ch in sub["channels"]:
            if ch["type"] == "file":
                ch["path"] = str((workdir / "digests").resolve())
    path = workdir / "config.yaml"
    header = (f"# Written by `unionwatch demo`. The site at {base_url} lives while the demo runs\n"
              "# (and on, under `unionwatch demo --serve`); the database stays, so status, search\n"
              "# and digest --dry-run work on it.\n")
    path.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run_demo(workdir: Path, *, json_out: bool = False, serve: bool = False, port: int = 0) -> int:
    """Crawl the demo sites and write the digest; with `serve`, keep the sites up afterwards."""
    try:
        site = DemoServer(port=port)
        site.start()
    except OSError as exc:
        fail(f"cannot serve the demo sites on 127.0.0.1:{port}: {exc.strerror or exc}")
    try:
        code = _demo(site, workdir, json_out=json_out, serving=serve)
        if serve and code == 0:
            _serve_until_stopped(site, json_out=json_out)
        return code
    finally:
        site.stop()


def _serve_until_stopped(site: DemoServer, *, json_out: bool) -> None:
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if json_out:
        print_json({"serving": site.base_url})
    else:
        console.print(f"\nthe demo sites stay up at {site.base_url} until Ctrl-C; the commands above "
                      "work on them meanwhile", highlight=False, soft_wrap=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _demo(site: DemoServer, workdir: Path, *, json_out: bool, serving: bool) -> int:
    from scheduler.commands import crawl_command
    from scheduler.digesting import run_digests, summarise_database

    workdir = workdir.resolve()
    # A fresh database and digest folder every time: the demo shows a first run.
    for stale in ("unionwatch.db", "unionwatch.db-wal", "unionwatch.db-shm"):
        (workdir / stale).unlink(missing_ok=True)
    shutil.rmtree(workdir / "digests", ignore_errors=True)
    shutil.rmtree(workdir / "data" / "evidence", ignore_errors=True)  # its captures went with the database
    workdir.mkdir(parents=True, exist_ok=True)

    config_path = demo_config(workdir, site.base_url)
    cfg = load_config(config_path)
    if not json_out:
        console.rule("[bold]unionwatch demo")
        console.print(f"fixture sites served at {site.base_url} (Kazakh, Russian, English)",
                      highlight=False)
    code = crawl_command(cfg, [], json_out=json_out, quiet=json_out)
    if code:
        err_console.print("the demo crawl failed; see the errors above", style="red")
        return code
    code = run_digests(cfg, None, dry_run=False, preview=None, json_out=json_out, quiet=json_out)
    summary = summarise_database(cfg)
    files = sorted(str(p) for p in (workdir / "digests").glob("*") if p.is_file())
    if json_out:
        print_json({"config": str(config_path), "database": cfg.database.url, "digests": files,
                    "sites": site.base_url if serving else None, **summary})
        return code
    table = Table("watched entity", "articles", title="mentions found")
    for entity, n in summary["entities"].items():
        table.add_row(entity, str(n))
    console.print(table)
    console.print(f"articles stored: {summary['articles']} "
                  f"({', '.join(f'{k}: {v}' for k, v in summary['languages'].items())})",
                  highlight=False)
    console.print("digest files:", style="bold")
    for f in files:
        console.print(f"  {f}", highlight=False)
    # soft_wrap: printed whole, so that a copy-paste from a narrow terminal still runs.
    program, config = _program(), shlex.quote(str(config_path))
    console.print(f"\ntry: {program} status --config {config}", highlight=False, soft_wrap=True)
    console.print(f"     {program} search --config {config} Елеусинов", highlight=False, soft_wrap=True)
    if not serving:
        console.print(f"     {program} demo --serve   (keeps the sites up, for crawl "
                      "and your own sources)", highlight=False, soft_wrap=True)
    return code


def _program() -> str:
    """The command as typed here: `make demo` runs in the checkout, which has the venv's."""
    local = Path(".venv/bin/unionwatch")
    return str(local) if local.exists() else "unionwatch"
