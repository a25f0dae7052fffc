"""The service's log says what happened, not its housekeeping."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def _serve(config: Path, log: Path, *flags: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "scheduler.cli", "run", "--config", str(config), *flags],
                            stdout=subprocess.DEVNULL, stderr=log.open("wb"))


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0


@pytest.mark.timeout(360)  # waits for a scheduled digest, up to 85 s away
def test_info_is_what_happened_and_quiet_is_quiet(config_path: Path, tmp_path: Path) -> None:
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["sources"] = [dict(s, schedule="1h") for s in data["sources"] if s["id"] == "rightswatch"]
    # The digest is due at the first whole minute at least 25 s away: after the service has
    # started (a few seconds, more on a loaded machine), so its job is installed in time.
    due = datetime.now(UTC) + timedelta(seconds=85)
    data["subscribers"][0].update(timezone="UTC", digest={"time": f"{due:%H:%M}", "send_empty": True})
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    log = tmp_path / "service.log"
    proc = _serve(config_path, log)
    try:
        wait_for(lambda: "crawl rightswatch: " in log.read_text(), 120, "the first crawl's summary")
        wait_for(lambda: "subscriber kibhr-desk" in log.read_text(), 240, "the digest's delivery")
    finally:
        _stop(proc)
    lines = log.read_text().splitlines()
    text = "\n".join(lines)
    for routine in ("Adding job tentatively", "Running job", "executed successfully",
                    "Context impl", "Will assume"):
        assert routine not in text, f"routine line at INFO: {routine}"
    started = [line for line in lines if ": next run " in line]
    assert {line.split(": next run")[0].split()[-1] for line in started} >= {
        "crawl:rightswatch", "digest:kibhr-desk", "outbox"}, started
    assert any("crawl rightswatch: ok" in line for line in lines), text
    [delivered] = [line for line in lines if "subscriber kibhr-desk" in line]
    assert " INFO notifier.outbox: delivery 1 (subscriber kibhr-desk, " in delivered, delivered
    assert delivered.endswith(f"file:{data['subscribers'][0]['channels'][0]['path']}, attempt 1): sent")
    assert len(lines) < 40, f"{len(lines)} lines for one crawl:\n{text}"

    quiet_log = tmp_path / "quiet.log"
    proc = _serve(config_path, quiet_log, "-q")
    try:
        wait_for(lambda: "scheduler" in _lease_owner(config_path), 60, "the quiet service to start")
    finally:
        _stop(proc)
    assert " INFO " not in quiet_log.read_text()


def _lease_owner(config: Path) -> str:
    from storage import leases
    from storage.database import Database

    url = yaml.safe_load(config.read_text(encoding="utf-8"))["database"]["url"]
    db = Database(url)
    try:
        holder = leases.holder(db, "scheduler")
        return f"scheduler {holder.owner}" if holder else ""
    finally:
        db.dispose()
