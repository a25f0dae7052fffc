"""The web in a real browser: Debian's headless Chromium driven by Selenium (nothing downloaded).

One module, one xdist group: the browser is slow, so a few tests walk the whole way a reader goes.
Screenshots go to out/artifacts/ for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import migrate, optouts
from storage.database import Database
from tests.webapp.conftest import PASSWORD, Site

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.slow]

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "out" / "artifacts"

if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):  # pragma: no cover
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium and chromium-driver for the browser tests")
    pytest.skip("chromium and chromedriver (Debian packages) are not installed", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite only here: the browser tests cost seconds each; the HTTP tests cover PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'web.db'}"
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    return url


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path / 'chrome'}",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager is never asked to find or fetch anything.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: webdriver.Chrome, css: str) -> None:
    WebDriverWait(driver, 15).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def _shot(driver: webdriver.Chrome, name: str, width: int) -> None:
    """Screenshot at this width, after checking that nothing overflows sideways."""
    driver.set_window_size(width, 900)
    overflow = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1], f"{name} at {width} px overflows: {overflow}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(900, int(height) + 40), 4000))
    driver.save_screenshot(str(ARTIFACTS / f"web-{name}-{width}.png"))
    driver.set_window_size(width, 900)


def _no_csp_errors(driver: webdriver.Chrome) -> None:
    logs = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    assert not [m for m in logs if "Content Security Policy" in m or "Refused" in m], logs


def test_admin_signs_in_searches_in_cyrillic_and_reads(site: Site, browser: webdriver.Chrome) -> None:
    b = browser
    b.get(site.base + "/login")
    b.find_element(By.NAME, "password").send_keys(PASSWORD)
    b.find_element(By.CSS_SELECTOR, "form.stack button").click()
    _wait(b, "h1")
    assert b.find_element(By.TAG_NAME, "h1").text == "Admin"
    for w in (1280, 375):
        _shot(b, "admin", w)

    b.find_element(By.LINK_TEXT, "Search").click()
    _wait(b, "input[name=q]")
    box = b.find_element(By.NAME, "q")
    box.send_keys("елеусиновым")
    box.submit()
    _wait(b, ".hit")
    hits = b.find_elements(By.CSS_SELECTOR, ".hit .title")
    assert len(hits) >= 4
    assert any(m.text == "Амин Елеусинов" for m in b.find_elements(By.CSS_SELECTOR, ".hit mark"))
    for w in (1280, 375):
        _shot(b, "search", w)

    b.find_element(By.PARTIAL_LINK_TEXT, "Суд над Амином").click()
    _wait(b, "article .body")
    marks = b.find_elements(By.CSS_SELECTOR, "article mark")
    assert len(marks) >= 3 and marks[1].get_attribute("title")  # each mention is explained
    for w in (1280, 375):
        _shot(b, "article", w)

    b.get(site.base + f"/a/{site.ids['hostile']}")
    _wait(b, "article .body")
    assert '<script>alert("x")</script>' in b.find_element(By.TAG_NAME, "h1").text  # shown as text
    assert not b.find_elements(By.CSS_SELECTOR, "article img, article script")

    b.get(site.base + "/e/eleusinov")
    _wait(b, "svg.timeline")
    for w in (1280, 375):
        _shot(b, "entity", w)
    _no_csp_errors(b)


def test_reader_follows_the_digest_marks_a_false_alarm_and_unsubscribes(
    site: Site, browser: webdriver.Chrome
) -> None:
    b = browser
    b.get(site.base + f"/d/{site.link('desk', 'digest', str(site.ids['digest']))}")
    _wait(b, ".hit")
    for w in (1280, 375):
        _shot(b, "digest", w)
    b.find_element(By.PARTIAL_LINK_TEXT, "Лариса Харькова").click()
    _wait(b, "#marks")
    form = b.find_element(By.CSS_SELECTOR, "form.mark")
    form.find_element(By.NAME, "note").send_keys("журналист из Харькова, не та Харькова")
    form.find_element(By.TAG_NAME, "button").click()
    _wait(b, "#marks")
    assert "You marked this as not about Larisa Kharkova" in b.find_element(By.ID, "marks").text
    _shot(b, "false-alarm", 375)

    token = site.link("desk", "unsubscribe", "email:desk@example.org")
    b.get(site.base + f"/u/{token}")
    _wait(b, "#unsubscribe")
    _shot(b, "unsubscribe", 375)
    with site.db.read() as s:
        assert optouts.opted_out(s, ["desk"]) == set()  # the page (a GET) changed nothing
    b.find_element(By.ID, "unsubscribe").click()
    _wait(b, ".ok")
    assert "gets no more digests" in b.find_element(By.CSS_SELECTOR, ".ok").text
    with site.db.read() as s:
        assert optouts.opted_out(s, ["desk"]) == {("desk", "email:desk@example.org")}
    _shot(b, "unsubscribed", 1280)
    _no_csp_errors(b)
    assert re.search(r"\S", b.page_source)
    _ = shutil


def test_archived_copy_makes_no_request_to_the_original_site(site: Site, browser: webdriver.Chrome) -> None:
    """A loopback stand-in for the original site counts every request the archived page makes."""
    import datetime as dt
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.webapp.test_http import HOSTILE_PAGE
    from web.archived import ArchivedCopy

    hits: list[str] = []

    class Origin(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    origin = ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    try:
        host = f"127.0.0.1:{origin.server_address[1]}"
        aid = site.ids["trial"]
        site.copies[aid] = ArchivedCopy(
            HOSTILE_PAGE.format(host=host),
            "https://azattyq.example/x",
            dt.datetime(2026, 11, 17, tzinfo=dt.UTC),
        )
        b = browser
        b.get(site.base + f"/l/{site.link('admin', 'login')}")
        b.get(site.base + f"/a/{aid}")
        b.find_element(By.LINK_TEXT, "Archived copy").click()
        _wait(b, ".archived h1")
        WebDriverWait(b, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")
        assert b.find_element(By.CSS_SELECTOR, ".archived h1").text == "Суд над Елеусиновым"
        _shot(b, "archived", 375)
        # the page has loaded in full: whatever it would fetch has been asked for by now
        assert hits == [], f"the archived copy made requests to the original site: {hits}"
    finally:
        origin.shutdown()
        origin.server_close()
