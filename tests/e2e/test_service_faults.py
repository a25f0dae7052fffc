"""`unionwatch run` under faults: a database outage, configs saved half-way, a config that never loads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from scheduler.demo import demo_config
from storage import leases, migrate
from storage.database import Database
from tests.support.fixture_site import FixtureSite
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "run", "--config", str(config), "-v"],
        stdout=subprocess.DEVNULL, stderr=log.open("wb"), env={**os.environ},
    )


def stop(*procs: subprocess.Popen[bytes] | None) -> None:
    for p in procs:
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def says(log: Path, words: str) -> Callable[[], bool]:
    return lambda: words in text(log)


def service_config(workdir: Path, base_url: str, database_url: str, sources: tuple[str, ...]) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    path = demo_config(workdir, base_url, database_url=database_url)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"] = [s for s in data["sources"] if s["id"] in sources]
    for s in data["sources"]:
        s["schedule"] = "1h"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    with FixtureSite() as s:
        yield s


@pytest.fixture
def pg_url(pg_server_url: str) -> str:
    from tests.conftest import _reset_pg

    _reset_pg(pg_server_url)
    db = Database(pg_server_url)
    migrate.upgrade(db)
    db.dispose()
    return pg_server_url


def test_leader_and_standby_ride_out_a_database_outage(
    pg_url: str, site: FixtureSite, tmp_path: Path
) -> None:
    target = make_url(pg_url)
    db = Database(pg_url)  # the test's own view, not through the proxies

    def holder() -> str | None:
        h = leases.holder(db, "scheduler")
        return h.owner if h else None

    with TcpProxy((target.host or "127.0.0.1", target.port or 5432)) as pa, \
            TcpProxy((target.host or "127.0.0.1", target.port or 5432)) as pb:
        # Each daemon reaches the database through its own proxy, so the test can see that
        # each of them tried it during the outage.
        urls = [target.set(port=p.port).render_as_string(hide_password=False) for p in (pa, pb)]
        cfg_a = service_config(tmp_path / "a", site.base_url, urls[0], ("vestnik",))
        cfg_b = service_config(tmp_path / "b", site.base_url, urls[1], ("vestnik",))
        log_a, log_b = tmp_path / "a.log", tmp_path / "b.log"
        a = start(cfg_a, log_a)
        b: subprocess.Popen[bytes] | None = None
        try:
            wait_for(lambda: holder() is not None, 30, "the first daemon to take the lease")
            owner_a = holder()
            b = start(cfg_b, log_b)
            wait_for(lambda: "standing by" in text(log_b), 30, "the second daemon to stand by")

            pa.cut()
            pb.cut()
            # Bounded: each daemon touches the database at least every 20 s (lease renewal or
            # the standby's attempt to take it).
            wait_for(lambda: pa.turned_away > 0 and pb.turned_away > 0, 45,
                     "both daemons to meet the outage")
            for log in (log_a, log_b):
                # Retried with backoff, and said so: 1 s, then 2 s, ...
                wait_for(says(log, "retrying in 2 s"), 45, f"{log.name} to report the outage")
                assert text(log).count("database unreachable") >= 2
            assert a.poll() is None, text(log_a)[-3000:]
            assert b.poll() is None, text(log_b)[-3000:]
            pa.restore()
            pb.restore()
            for log in (log_a, log_b):
                wait_for(says(log, "database reachable again"), 60, f"{log.name} to report the recovery")
            assert a.poll() is None and b.poll() is None
            assert holder() == owner_a, "a 20 s outage is shorter than the lease: the leader keeps it"

            a.send_signal(signal.SIGTERM)
            assert a.wait(timeout=60) == 0, text(log_a)[-3000:]
            wait_for(lambda: holder() not in (None, owner_a), 45, "the standby to take over")
        finally:
            stop(a, b)
            db.dispose()
    assert b is not None and b.returncode == 0, text(log_b)[-3000:]
    for log in (log_a, log_b):
        assert "Traceback" not in text(log), text(log)[-3000:]


def ordered_config(workdir: Path, base_url: str) -> tuple[Path, str]:
    """The demo config on SQLite, sources and subscribers last, as an admin might order it."""
    path = service_config(workdir, base_url, f"sqlite:///{workdir / 'unionwatch.db'}", ("vestnik",))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    admin_dir = workdir / "admin-alerts"
    data["admins"] = [{"id": "ops", "channels": [{"type": "file", "path": str(admin_dir)}]}]
    order = ["database", "crawl", "admins", "watchlists", "sources", "subscribers"]
    good = yaml.safe_dump({k: data[k] for k in order}, allow_unicode=True, sort_keys=False)
    path.write_text(good, encoding="utf-8")
    return path, good


def test_a_reload_that_would_drop_every_source_and_subscriber_is_refused(
    site: FixtureSite, tmp_path: Path
) -> None:
    config, good = ordered_config(tmp_path, site.base_url)
    log = tmp_path / "run.log"
    proc = start(config, log)
    try:
        wait_for(says(log, "scheduler running"), 30, "the service to start")
        # Saved half-way: the file ends before `sources:`, and what is left validates.
        config.write_text(good[: good.index("\nsources:")] + "\n", encoding="utf-8")
        wait_for(says(log, "looks cut short"), 30, "the cut-short config to be refused")
        assert "the new config has no sources (the running one has 1); if that is meant, write " \
            "'sources: []'" in text(log)
        wait_for(lambda: any((tmp_path / "admin-alerts").glob("*.html")), 10, "the admins' alert")
        # On purpose: the section is written out empty.
        data = yaml.safe_load(good)
        data["sources"] = []
        config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        wait_for(says(log, "config reloaded"), 30, "the deliberate edit to be applied")
        assert "config reloaded: 0 sources, 1 subscribers" in text(log)
        assert text(log).count("config reloaded") == 1, "the cut-short file was never applied"
    finally:
        stop(proc)
    assert proc.returncode == 0, text(log)[-3000:]


def test_a_config_that_never_finishes_loading_does_not_block_sigterm(
    site: FixtureSite, tmp_path: Path
) -> None:
    config, _ = ordered_config(tmp_path, site.base_url)
    log = tmp_path / "run.log"
    proc = start(config, log)
    writer: int | None = None
    try:
        wait_for(says(log, "scheduler running"), 30, "the service to start")
        # A FIFO stands in for a file on a hung network mount: reading it never returns.
        fifo = tmp_path / "config.fifo"
        os.mkfifo(fifo)
        os.replace(fifo, config)

        def reader_waiting() -> bool:
            nonlocal writer
            try:  # succeeds only once the service has the FIFO open for reading
                writer = os.open(config, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                return False
            return True

        wait_for(reader_waiting, 30, "the service to start reading the new config")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, text(log)[-3000:]
    finally:
        stop(proc)
        if writer is not None:
            os.close(writer)


def test_a_digest_that_meets_an_outage_is_retried_once_the_database_is_back(
    pg_url: str, site: FixtureSite, tmp_path: Path
) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy import func, select

    from scheduler.daemon import Service
    from storage.models import Digest

    target = make_url(pg_url)
    db = Database(pg_url)

    def made() -> int:
        with db.read() as s:
            return s.scalar(select(func.count()).select_from(Digest)) or 0

    with TcpProxy((target.host or "127.0.0.1", target.port or 5432)) as proxy:
        url = target.set(port=proxy.port).render_as_string(hide_password=False)
        config = service_config(tmp_path, site.base_url, url, ())
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        data["subscribers"][0]["digest"]["send_empty"] = True  # a digest whatever was crawled
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        service = Service(config)
        sched = BackgroundScheduler()  # not started: the test runs the queued retry itself
        service.scheduler = sched
        try:
            proxy.cut()
            service.digest("kibhr-desk")  # the 08:00 run, during the outage
            [retry] = [j for j in sched.get_jobs() if j.id == "catchup:kibhr-desk"]
            assert retry.args[0] == "kibhr-desk"
            assert made() == 0
            proxy.restore()
            retry.func(*retry.args)
            assert made() == 1, "the owed digest is made once the database is back"
            retry.func(*retry.args)
            assert made() == 1, "and only once, however often the retry runs"
        finally:
            service.scheduler = None
            service.db.dispose()
            db.dispose()


def test_a_rematch_that_meets_an_outage_is_queued_again_and_matches_once_the_database_is_back(
    pg_url: str, site: FixtureSite, tmp_path: Path
) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from scheduler.daemon import Service
    from storage import entity_state

    target = make_url(pg_url)
    db = Database(pg_url)

    def synced() -> set[str]:
        with db.read() as s:
            return set(entity_state.fingerprints(s))

    with TcpProxy((target.host or "127.0.0.1", target.port or 5432)) as proxy:
        url = target.set(port=proxy.port).render_as_string(hide_password=False)
        service = Service(service_config(tmp_path, site.base_url, url, ()))
        sched = BackgroundScheduler()  # not started: the test runs the queued retry itself
        service.scheduler = sched
        try:
            proxy.cut()
            service.rematch()  # the run queued at start, during the outage: no exception escapes
            [retry] = [j for j in sched.get_jobs() if j.id == "rematch"]
            assert synced() == set(), "nothing was recorded as matched during the outage"
            proxy.restore()
            retry.func(*retry.args)
            assert synced() == {e.id for e in service.cfg.entities}
        finally:
            service.scheduler = None
            service.db.dispose()
            db.dispose()


def test_an_alias_bomb_saved_over_the_live_config_is_refused_and_sigterm_still_works(
    site: FixtureSite, tmp_path: Path
) -> None:
    from tests.e2e.test_hostile_config import alias_bomb

    config, good = ordered_config(tmp_path, site.base_url)
    log = tmp_path / "run.log"
    proc = start(config, log)
    try:
        wait_for(says(log, "scheduler running"), 30, "the service to start")
        config.write_text(good + alias_bomb(), encoding="utf-8")
        wait_for(says(log, "aliases expand this to"), 30, "the bomb to be refused")
        assert "changed but is invalid; the previous config stays in force" in text(log)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, text(log)[-3000:]
    finally:
        stop(proc)
