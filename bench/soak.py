"""Soak: random kill -9 of `unionwatch crawl` and `unionwatch digest`, then a plain rerun.

    .venv/bin/python bench/soak.py                       # 50 crawl + 50 digest trials, SQLite and PostgreSQL
    .venv/bin/python bench/soak.py --trials 5 --db sqlite

Not part of `make test` (it takes minutes). Everything runs on loopback: the fixture sites of
tests/support, aiosmtpd and the tests' Bot API stand-in.

A crawl trial starts `unionwatch crawl` on a fresh database, kills it at a random moment with
SIGKILL (either the whole process group, or the parent alone, as the OOM killer or a closed
terminal would), waits for every process of the run to end, then runs `unionwatch crawl` again to
completion. It counts articles lost (in the uninterrupted reference run, missing after recovery),
articles stored twice, crawl children still running 3 s after their parent died (orphans), and
inconsistent databases (a crawl run still `running`, a failed integrity check, a schema not at
head).

A digest trial starts `unionwatch digest` for several subscribers, each on email and Telegram,
on a copy of a crawled database, kills it at a random moment, then runs a digest once every
claim the dead run held has lapsed. Lost: a subscriber's channel that never received its digest,
or a matched article in no digest. Doubled: a message received twice. The documented
at-least-once window is one send whose answer was lost: a delivery the dead run had claimed
but not recorded as sent may arrive twice; any other double counts as outside the window.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import email
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scheduler.config import load_config  # noqa: E402
from scheduler.demo import demo_config  # noqa: E402
from scheduler.digesting import run_digests  # noqa: E402
from storage import migrate  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.integrity import snapshot  # noqa: E402
from tests.notifier.conftest import TOKEN, FakeBotApi, LoopbackSmtp, serving  # noqa: E402
from tests.support.fixture_site import FixtureSite  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SUBSCRIBERS = 6


# --- loopback peers -----------------------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler that keeps every message and answers each DATA after a short pause."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.lock = threading.Lock()
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio

        with self.lock:
            self.messages.append(envelope.content)
        await asyncio.sleep(self.pause)  # a kill lands between DATA and 250 now and then
        return "250 Message accepted for delivery"

    def message_ids(self) -> Counter[str]:
        with self.lock:
            return Counter(str(email.message_from_bytes(m)["Message-ID"]) for m in self.messages)

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


# --- databases ----------------------------------------------------------------------------------


class Databases:
    """Fresh databases of one kind, one per trial, and copies of a prepared one."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self.workdir = workdir
        self.n = 0
        self.made: list[str] = []

    def fresh(self) -> str:
        self.n += 1
        name = f"soak_{os.getpid()}_{self.n}"
        if self.kind == "sqlite":
            return f"sqlite:///{self.workdir / (name + '.db')}"
        self._admin(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

    def copy(self, url: str) -> str:
        self.n += 1
        name = f"soak_{os.getpid()}_{self.n}"
        if self.kind == "sqlite":
            target = self.workdir / (name + ".db")
            shutil.copyfile(url.removeprefix("sqlite:///"), target)
            return f"sqlite:///{target}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{url.rsplit("/", 1)[1]}"')
        self.made.append(name)
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

    def drop(self, url: str) -> None:
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
            return
        name = url.rsplit("/", 1)[1]
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.remove(name)

    def drop_all(self) -> None:
        for name in list(self.made):
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.clear()

    @staticmethod
    def _admin(sql: str) -> None:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(sql.encode())  # our own fixed names, no parameters


# --- processes ----------------------------------------------------------------------------------


def session_pids(sid: int) -> list[int]:
    """Live processes of session `sid` (the killed command and any child it started)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            pids.append(int(entry.name))
    return pids


def wait_gone(sid: int, timeout: float, *, kill: bool = True) -> bool:
    """True when every process of the session ended by itself within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not session_pids(sid):
            return True
        time.sleep(0.1)
    if not kill:
        return False
    for pid in session_pids(sid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return False


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", *args], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, **(env or {})})


def run_to_end(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> int:
    proc = cli(*args, env=env)
    try:
        return proc.wait(timeout=timeout)
    finally:
        wait_gone(proc.pid, 5)


def kill_at(proc: subprocess.Popen[bytes], delay: float, whole_group: bool) -> bool:
    """SIGKILL after `delay` s; False when the command had already finished by then."""
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        pass
    if whole_group:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return True


# --- trials -------------------------------------------------------------------------------------


@dataclass
class Tally:
    trials: int = 0
    killed: int = 0  # the kill landed before the command finished
    inconsistent: int = 0
    lost: int = 0
    doubled: int = 0  # outside the at-least-once window
    in_window: int = 0  # doubles the window allows (a send whose answer was lost)
    orphans: int = 0  # crawl children still running 3 s after their parent was killed
    notes: list[str] = field(default_factory=list)


def crawl_config(workdir: Path, base_url: str, url: str) -> Path:
    path = demo_config(workdir, base_url, database_url=url)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["crawl"]["per_host_delay"] = 0.05  # spread the crawl so kills land inside it
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def crawl_trials(n: int, dbs: Databases, site: FixtureSite, workdir: Path,
                 rng: random.Random) -> Tally:
    tally = Tally()
    url = dbs.fresh()
    config = crawl_config(workdir, site.base_url, url)
    started = time.monotonic()
    assert run_to_end("crawl", "--config", str(config)) == 0, "the reference crawl failed"
    span = time.monotonic() - started
    reference = snapshot(url)
    dbs.drop(url)
    for i in range(n):
        url = dbs.fresh()
        config = crawl_config(workdir, site.base_url, url)
        migrate.upgrade(Database(url))  # as `crawl` would; the kill tests the crawl, not Alembic
        proc = cli("crawl", "--config", str(config))
        whole = rng.random() < 0.5
        tally.trials += 1
        if kill_at(proc, rng.uniform(0.3, span), whole):
            tally.killed += 1
        if not wait_gone(proc.pid, 3, kill=False):
            tally.orphans += 1
        if not wait_gone(proc.pid, 60):
            tally.inconsistent += 1
            tally.notes.append(f"crawl {i}: a crawl child ran on a minute after its parent died")
        assert run_to_end("crawl", "--config", str(config)) in (0, 1)
        after = snapshot(url)
        lost = reference.urls - after.urls
        tally.lost += len(lost)
        tally.doubled += max(0, after.duplicate_articles - reference.duplicate_articles)
        problems = after.problems()
        if problems:
            tally.inconsistent += 1
            tally.notes.append(f"crawl {i}: {'; '.join(problems)}")
        if lost:
            tally.notes.append(f"crawl {i} ({'group' if whole else 'parent'}): lost {sorted(lost)[:3]}")
        dbs.drop(url)
    return tally


def digest_config(base: Path, url: str, smtp_port: int, api_base: str, workdir: Path) -> Path:
    data = yaml.safe_load(base.read_text(encoding="utf-8"))
    data["database"] = {"url": url}
    template = data["subscribers"][0]
    data["subscribers"] = [
        {**template, "id": f"desk-{k}", "name": f"Desk {k}",
         "channels": [{"type": "email", "to": f"desk{k}@example.org"},
                      {"type": "telegram", "chat_id": 1000 + k}]}
        for k in range(SUBSCRIBERS)]
    data["delivery"] = {
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none",
                 "from": "unionwatch@example.org"},
        "telegram": {"api_base": api_base, "token_env": "SOAK_TELEGRAM_TOKEN"},
    }
    path = workdir / "digest.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def digest_trials(n: int, dbs: Databases, site: FixtureSite, workdir: Path,
                  rng: random.Random) -> Tally:
    tally = Tally()
    env = {"SOAK_TELEGRAM_TOKEN": TOKEN}
    os.environ.update(env)
    crawled = dbs.fresh()
    config = crawl_config(workdir, site.base_url, crawled)
    assert run_to_end("crawl", "--config", str(config)) == 0
    mailbox = Mailbox(pause=0.15)
    smtp = LoopbackSmtp(mailbox)
    smtp.start()
    try:
        with serving(FakeBotApi()) as api:
            # The reference: what one uninterrupted digest sends.
            url = dbs.copy(crawled)
            cfg_path = digest_config(config, url, smtp.port, api.api_base, workdir)
            started = time.monotonic()
            assert run_to_end("digest", "--config", str(cfg_path), env=env) == 0
            span = time.monotonic() - started
            expected_mail = len(mailbox.message_ids())
            expected_parts = Counter(r.chat_id for r in api.received)
            subs = [f"desk-{k}" for k in range(SUBSCRIBERS)]
            unassigned_before = snapshot(url, subs).unassigned_matches
            assert expected_mail == SUBSCRIBERS and len(expected_parts) == SUBSCRIBERS, \
                "the reference digest reached every subscriber"
            dbs.drop(url)
            for i in range(n):
                mailbox.clear()
                with api.lock:
                    api.received.clear()
                url = dbs.copy(crawled)
                cfg_path = digest_config(config, url, smtp.port, api.api_base, workdir)
                proc = cli("digest", "--config", str(cfg_path), env=env)
                tally.trials += 1
                if kill_at(proc, rng.uniform(0.3, span), whole_group=rng.random() < 0.5):
                    tally.killed += 1
                wait_gone(proc.pid, 10)
                at_kill = snapshot(url, subs)
                # Rerun once every claim of the dead run has lapsed (the claim is 600 s).
                later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
                code = run_digests(load_config(cfg_path), None, dry_run=False, preview=None,
                                   json_out=True, quiet=True, now=later)
                after = snapshot(url, subs)
                ids = mailbox.message_ids()
                parts = Counter(r.chat_id for r in api.received)
                lost = (SUBSCRIBERS - len(ids)) + sum(
                    1 for chat in expected_parts if parts[chat] < expected_parts[chat])
                lost += max(0, after.unassigned_matches - unassigned_before)
                doubles = sum(c - 1 for c in ids.values()) + sum(
                    max(0, parts[chat] - expected_parts[chat]) for chat in expected_parts)
                allowed = min(doubles, at_kill.claimed_unsent)
                tally.lost += lost
                tally.in_window += allowed
                tally.doubled += doubles - allowed
                problems = after.problems() + ([f"rerun exit {code}"] if code else [])
                if after.undelivered:
                    problems.append(f"{after.undelivered} deliveries not sent")
                if problems:
                    tally.inconsistent += 1
                    tally.notes.append(f"digest {i}: {'; '.join(problems)}")
                dbs.drop(url)
    finally:
        smtp.stop()
        dbs.drop(crawled)
    return tally


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=50, help="trials of each kind per database")
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--seed", type=int, default=20261202)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    rows: list[tuple[str, str, Tally]] = []
    with FixtureSite() as site, tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        for kind in kinds:
            dbs = Databases(kind, Path(tmp))
            try:
                for what, trials in (("crawl", crawl_trials), ("digest", digest_trials)):
                    t0 = time.monotonic()
                    tally = trials(args.trials, dbs, site, Path(tmp), rng)
                    rows.append((kind, what, tally))
                    print(f"{kind} {what}: {tally.trials} trials in {time.monotonic() - t0:.0f} s",
                          file=sys.stderr, flush=True)
            finally:
                dbs.drop_all()
    print("| database | trials | kill landed mid-run | orphaned children | inconsistent | "
          "articles lost | deliveries lost | doubled outside window | doubled inside window |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, what, t in rows:
        articles = t.lost if what == "crawl" else 0
        deliveries = t.lost if what == "digest" else 0
        print(f"| {kind} {what} | {t.trials} | {t.killed} | {t.orphans} | {t.inconsistent} | {articles} | "
              f"{deliveries} | {t.doubled} | {t.in_window} |")
    for _, _, t in rows:
        for note in t.notes:
            print(f"- {note}")
    bad = sum(t.lost + t.doubled + t.inconsistent + t.orphans for _, _, t in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
