"""The wheel ships the product and the demo, and no test fixture or fault server."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO_SITES = ROOT / "scheduler" / "demo" / "sites"
# Only what a build reads: a copy, so the build's own build/ and egg-info stay out of the tree.
SKIP = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
                              "out", "data", "tests", "bench", "docs")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=SKIP)
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                           str(tmp / "dist"), str(src)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [built] = (tmp / "dist").glob("unionwatch-*.whl")
    with zipfile.ZipFile(built) as z:
        return z.namelist()


def test_the_wheel_holds_no_test_fixture_and_no_fault_server(wheel: list[str]) -> None:
    assert {n.split("/")[0] for n in wheel} == {"matching", "notifier", "scheduler", "spiders", "storage",
                                                "web", "unionwatch-0.1.0.dist-info"}
    outlets = [p.name for p in (ROOT / "tests" / "support" / "sites").iterdir()]
    fixtures = [n for n in wheel if any(f"/{o}/" in n for o in outlets)]
    assert fixtures == []
    assert not [n for n in wheel if "fault" in n or "fixture" in n or "demosite" in n]
    assert not [n for n in wheel if n.endswith((".md", ".php"))]


def test_the_wheel_holds_everything_the_demo_serves_and_reads(wheel: list[str]) -> None:
    # Every file of the demo's sites, whatever its ending (a glob by endings once left one out).
    site_files = {f"scheduler/demo/sites/{p.relative_to(DEMO_SITES)}" for p in DEMO_SITES.rglob("*")
                  if p.is_file()}
    assert len(site_files) > 40
    assert site_files <= set(wheel), sorted(site_files - set(wheel))
    for needed in ("scheduler/demo/config.yaml", "scheduler/demo/sources.yaml", "scheduler/demo/server.py",
                   "storage/migrations/script.py.mako", "notifier/templates/email.html.j2"):
        assert needed in wheel
    migrations = [p.name for p in (ROOT / "storage" / "migrations" / "versions").glob("*.py")]
    assert {f"storage/migrations/versions/{m}" for m in migrations} <= set(wheel)
    templates = {f"notifier/templates/{p.name}" for p in (ROOT / "notifier" / "templates").iterdir()}
    assert templates <= set(wheel)
    web_files = {f"web/{p.parent.name}/{p.name}" for d in ("templates", "static")
                 for p in (ROOT / "web" / d).iterdir()}
    assert web_files <= set(wheel), sorted(web_files - set(wheel))
    # The digest's languages: every compiled catalogue (committed, so no build step is needed).
    catalogues = {f"notifier/locale/{lang}/LC_MESSAGES/messages.{ext}" for lang in ("en", "kk", "ru")
                  for ext in ("po", "mo")}
    assert catalogues <= set(wheel), sorted(catalogues - set(wheel))
    assert "scheduler/demo/readers.yaml" in wheel
