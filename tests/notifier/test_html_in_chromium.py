"""The digest HTML as a phone shows it: laid out by headless Chromium at 375 CSS px.

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe), with no
extra Python dependency: `--window-size` cannot go below 500 px in headless mode, so only
device emulation gives a real 375 px layout viewport. The digest's HTML is not modified;
measuring happens through Runtime.evaluate. Chromium comes from Debian's `chromium` package
(see .ci/run); without it these tests skip locally and fail under CI.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fcntl
import json
import os
import select
import shutil
import signal
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select as sql_select

from notifier.digest import create_digest
from notifier.settings import (
    ChannelKey,
    ChannelSpec,
    DigestSchedule,
    EntityInfo,
    Subscriber,
    SubscriberSpec,
)
from storage import migrate
from storage.articles import ArticleRecord, insert_article
from storage.database import Database
from storage.models import Delivery, Mention

pytestmark = pytest.mark.xdist_group("chromium")  # one browser per module, not per worker

PHONE_WIDTH = 375  # CSS px: iPhone SE/mini class, the narrowest common phone
TIMEOUT = 30.0  # seconds for any one DevTools reply; a healthy run takes about 2 s in all
NOW = dt.datetime(2017, 5, 12, 3, 0, tzinfo=dt.UTC)

ENTITIES = {
    "eleusinov": EntityInfo("eleusinov", "Әмин Елеусінов"),
    "kushakbayev": EntityInfo("kushakbayev", "Nurbek Kushakbayev"),
    "kharkova": EntityInfo("kharkova", "Larisa Kharkova"),
}

# A realistic day: three languages, a syndicated copy, and the strings that break layouts.
LONG_URL = (
    "https://www.rferl.org/a/KazakhstanUnionLeadersEleusinovKushakbayevAppealRejected/28484311.html"
    "?utm_source=newsletter&utm_medium=email&utm_campaign=asia_digest&ref="
    + "eyJhbGciOiJIUzI1NiJ9eyJzdWIiOiJrdXNoYWtiYXlldi1wYXZsb2Rhci1wcmlzb24tdmlzaXQifQ" * 3
)
LONG_KAZAKH_TITLE = (
    "Қазақстан тәуелсіз кәсіподақтар конфедерациясының бұрынғы жетекшісі Әмин Елеусінов "
    "Маңғыстау облыстық сотының үкімін Жоғарғы сотқа шағымданатынын мәлімдеді, ал құқық "
    "қорғаушылар іс бойынша тәуелсіз сараптама жүргізуді талап етіп отыр"
)
LONG_WORD = "#СвободуНурбекуКушакбаевуИАминуЕлеусиновуНемедленно"
EVIL_TITLE = "Kharkova case: <script>alert(1)</script> & the end of the KNPRK"


@dataclass(frozen=True)
class Seed:
    title: str
    body: str
    url: str
    source: str
    language: str
    mentions: dict[str, str]  # entity id -> surface as it appears in the body
    hours_ago: int = 5


SEEDS = [
    Seed(
        LONG_KAZAKH_TITLE,
        "Ақтау. Сот отырысында Әмин Елеусінов өз кінәсін мойындамады. Адвокат шағым түсіреді.",
        "https://www.azattyq.org/a/eleusinov-appeal/28484311.html", "azattyq", "kk",
        {"eleusinov": "Әмин Елеусінов"}, hours_ago=6,
    ),
    Seed(  # the same text on another site: one story, "Also in" links to it
        LONG_KAZAKH_TITLE,
        "Ақтау. Сот отырысында Әмин Елеусінов өз кінәсін мойындамады. Адвокат шағым түсіреді.",
        "https://kaztag.kz/kz/news/eleusinov-appeal?utm_source=rss&utm_medium=feed", "kaztag",
        "kk", {"eleusinov": "Әмин Елеусінов"}, hours_ago=4,
    ),
    Seed(
        f"Сторонники Кушакбаева запустили хештег {LONG_WORD}",
        f"Павлодар. Сторонники Нурбека Кушакбаева запустили хештег {LONG_WORD} в соцсетях. "
        "Администрация колонии комментариев не дала.",
        "https://vlast.kz/novosti/24356-storonniki-kusakbaeva.html", "vlast", "ru",
        {"kushakbayev": "Нурбека Кушакбаева"},
    ),
    Seed(
        EVIL_TITLE,
        "Almaty. Larisa Kharkova, the former head of the confederation, was sentenced to four "
        "years of restricted freedom. She denies the charges.",
        "https://eurasianet.org/kazakhstan-kharkova-sentenced", "eurasianet", "en",
        {"kharkova": "Larisa Kharkova"},
    ),
    Seed(  # no title scraped: the digest shows the (very long, unbroken) URL instead
        "",
        f"Pavlodar. Nurbek Kushakbayev remains in prison, the ruling at {LONG_URL} says. "
        "His lawyer will appeal.",
        LONG_URL, "rferl", "en", {"kushakbayev": "Nurbek Kushakbayev"}, hours_ago=3,
    ),
    Seed(
        "Амин Елеусинов и Нурбек Кушакбаев: год спустя",
        "Астана. Прошёл год с ареста Амина Елеусинова и Нурбека Кушакбаева. Оба остаются в заключении.",
        "https://www.zakon.kz/4861234-god-spustya.html", "zakon", "ru",
        {"eleusinov": "Амина Елеусинова", "kushakbayev": "Нурбека Кушакбаева"}, hours_ago=2,
    ),
    Seed(
        "Лариса Харькова ісі бойынша жаңа мәлімет",
        "Шымкент. Лариса Харькова сот шешіміне наразы екенін айтты.",
        "https://kaz.tengrinews.kz/kazakhstan_news/harkova-isi-123456/", "tengrinews", "kk",
        {"kharkova": "Лариса Харькова"}, hours_ago=1,
    ),
]
# What each story's highlight must hold (the copy folds into the first story; the two-name
# story marks both names of its sentence).
EXPECTED_MARKS = sorted([
    "Әмин Елеусінов", "Нурбека Кушакбаева", "Larisa Kharkova", "Nurbek Kushakbayev",
    "Амина Елеусинова", "Нурбека Кушакбаева", "Лариса Харькова",
])


def _seed(db: Database) -> None:
    for seed in SEEDS:
        with db.write() as s:
            aid = insert_article(
                s,
                ArticleRecord(
                    source_id=seed.source, url=seed.url, title=seed.title, body=seed.body,
                    published_at=NOW - dt.timedelta(hours=seed.hours_ago),
                    language=seed.language, fetched_at=NOW - dt.timedelta(minutes=30),
                ),
            )
            assert aid is not None, seed.url
            for entity_id, surface in seed.mentions.items():
                start = seed.body.index(surface)
                s.add(Mention(article_id=aid, entity_id=entity_id, field="body", start=start,
                              end=start + len(surface), surface=surface, tier="surname"))


def _digest_html(tmp: Path) -> dict[str, str]:
    """The email body and the file-channel page, as create_digest stores them."""
    db = Database(f"sqlite:///{tmp / 'unionwatch.db'}")
    try:
        migrate.upgrade(db)
        _seed(db)
        sub = SubscriberSpec(
            Subscriber(id="almaty-bureau", name="Бюро Алматы", timezone="Asia/Almaty",
                       digest=DigestSchedule(time=dt.time(8, 0)),
                       channels=[ChannelSpec(type="email", to="bureau@example.org"),
                                 ChannelSpec(type="file", path=str(tmp / "out"))]),
            entity_ids=("eleusinov", "kushakbayev", "kharkova"),
        )
        digest_id = create_digest(db, sub, ENTITIES, NOW)
        assert digest_id is not None
        with db.read() as s:
            rows = s.execute(sql_select(Delivery.channel, Delivery.body_html)
                             .where(Delivery.digest_id == digest_id)).all()
    finally:
        db.dispose()
    return {ChannelKey(channel).type.value: body for channel, body in rows}


# --- Chromium over the DevTools pipe --------------------------------------------------------


def chromium_executable() -> str | None:
    """UNIONWATCH_CHROMIUM, else chromium on PATH (Debian: apt-get install chromium)."""
    return (os.environ.get("UNIONWATCH_CHROMIUM") or shutil.which("chromium")
            or shutil.which("chromium-browser"))


def _high_fd(fd: int) -> int:
    """A close-on-exec copy of fd numbered 10 or above, so dup2 onto 3 and 4 cannot clash."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class DevTools:
    """A minimal DevTools-protocol client: Chromium reads commands on fd 3, answers on fd 4."""

    def __init__(self, exe: str, profile: Path, log: Path) -> None:
        cmd_r, cmd_w = (_high_fd(fd) for fd in os.pipe())
        out_r, out_w = (_high_fd(fd) for fd in os.pipe())
        args = [
            exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--hide-scrollbars", "--mute-audio", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-sync", "--disable-background-networking",
            "--disable-component-update", "--disable-domain-reliability", "--disable-quic",
            "--metrics-recording-only", "--host-resolver-rules=MAP * ~NOTFOUND",  # no DNS at all
            f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank",
        ]
        log_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            # posix_spawn, not Popen: Popen cannot place a pipe on a chosen fd number.
            self.pid = os.posix_spawnp(exe, args, os.environ, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, log_fd, 1),
                (os.POSIX_SPAWN_DUP2, log_fd, 2),
                (os.POSIX_SPAWN_DUP2, cmd_r, 3),
                (os.POSIX_SPAWN_DUP2, out_w, 4),
            ], setsid=True)
        except OSError:
            os.close(cmd_w)
            os.close(out_r)
            raise
        finally:
            for fd in (log_fd, cmd_r, out_w):
                os.close(fd)
        self.wfd, self.rfd = cmd_w, out_r
        self.log = log
        self.events: list[dict[str, Any]] = []
        self._buf = b""
        self._next_id = 0

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.rfd], [], [], left)[0]:
                raise TimeoutError(f"Chromium did not answer in time; its log: {self.log}")
            chunk = os.read(self.rfd, 1 << 20)
            if not chunk:
                raise RuntimeError(f"Chromium closed the DevTools pipe; its log: {self.log}")
            self._buf += chunk
        raw, _, self._buf = self._buf.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.wfd, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") != self._next_id:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise RuntimeError(f"{method}: {reply['error']}")
            result: dict[str, Any] = reply.get("result", {})
            return result

    def wait_event(self, method: str, session: str) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while True:
            for i, ev in enumerate(self.events):
                if ev.get("method") == method and ev.get("sessionId") == session:
                    del self.events[i]
                    params: dict[str, Any] = ev.get("params", {})
                    return params
            self.events.append(self._read_message(deadline))

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.send("Browser.close")
        deadline = time.monotonic() + 10
        while os.waitpid(self.pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.killpg(self.pid, signal.SIGKILL)  # our own session: the browser and its helpers
                os.waitpid(self.pid, 0)
                break
            time.sleep(0.05)
        for fd in (self.wfd, self.rfd):
            os.close(fd)


# Runs in the page after load. Element boxes miss a long word that spills out of its block
# (the block stays 375 px wide), so text runs are measured too, through Ranges.
MEASURE = """
((width) => {
  const limit = width + 1;
  const describe = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const i = e.parentElement ? [...e.parentElement.children].indexOf(e) + 1 : 1;
      parts.unshift(`${e.tagName.toLowerCase()}:nth-child(${i})`);
    }
    return 'body > ' + parts.join(' > ');
  };
  const overflow = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if ((r.width || r.height) && (r.right > limit || r.left < -1))
      overflow.push({element: describe(el), left: r.left, right: r.right, width: r.width,
                     text: el.textContent.trim().slice(0, 60)});
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    range.selectNodeContents(n);
    const rects = [...range.getClientRects()].filter(r => r.right > limit || r.left < -1);
    if (rects.length) {
      const r = rects.reduce((a, b) => (b.right > a.right ? b : a));
      overflow.push({element: 'text in ' + describe(n.parentElement), left: r.left,
                     right: r.right, width: r.width, text: n.data.trim().slice(0, 60)});
    }
  }
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  return {
    layoutWidth: document.documentElement.clientWidth,
    contentHeight: Math.ceil(document.body.getBoundingClientRect().bottom) + 16,
    scrollWidth: document.documentElement.scrollWidth,
    overflow,
    links: [...document.querySelectorAll('a[href]')].map(
      a => ({href: a.getAttribute('href'), text: a.textContent, visible: visible(a)})),
    marks: [...document.querySelectorAll('mark')].map(
      m => ({text: m.textContent, visible: visible(m),
             background: getComputedStyle(m).backgroundColor})),
    scripts: document.querySelectorAll('script').length,
    alertHook: Array.isArray(window.__uwAlerts),
    alerts: window.__uwAlerts || [],
    text: document.body.innerText,
  };
})"""


@dataclass
class Layout:
    kind: str
    screenshot: Path
    layout_width: int
    scroll_width: int
    overflow: list[dict[str, Any]]
    links: list[dict[str, Any]]
    marks: list[dict[str, Any]]
    scripts: int
    alerts: list[str]
    text: str
    alert_hook: bool
    png_size: tuple[int, int]


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def lay_out(browser: DevTools, kind: str, page: Path, shot: Path) -> Layout:
    """Open page in a new tab emulating a 375 px phone; measure it and screenshot it whole."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    browser.send("Emulation.setDeviceMetricsOverride", {
        "width": PHONE_WIDTH, "height": 800, "deviceScaleFactor": 2, "mobile": True,
    }, session)
    # Record, rather than block on, any alert a scraped <script> might raise if it ever ran.
    browser.send("Page.addScriptToEvaluateOnNewDocument", {
        "source": "window.__uwAlerts = []; window.alert = m => window.__uwAlerts.push(String(m));",
    }, session)
    browser.send("Page.enable", {}, session)
    nav = browser.send("Page.navigate", {"url": page.as_uri()}, session)
    assert "errorText" not in nav, nav
    browser.wait_event("Page.loadEventFired", session)
    found = browser.send("Runtime.evaluate", {
        "expression": f"{MEASURE}({PHONE_WIDTH})", "returnByValue": True,
    }, session)
    assert "exceptionDetails" not in found, found["exceptionDetails"]
    m = found["result"]["value"]
    png = base64.b64decode(browser.send("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": PHONE_WIDTH, "height": m["contentHeight"], "scale": 1},
    }, session)["data"])
    shot.write_bytes(png)
    browser.send("Target.closeTarget", {"targetId": target})
    return Layout(kind, shot, m["layoutWidth"], m["scrollWidth"], m["overflow"], m["links"],
                  m["marks"], m["scripts"], m["alerts"], m["text"], m["alertHook"],
                  _png_size(png))


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Layout]]:
    """The email body and the file page as laid out at 375 px, keyed "email" / "file"."""
    exe = chromium_executable()
    if exe is None:
        reason = "Chromium is not installed (apt-get install chromium; see .ci/run)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Chromium layout tests: {reason}")
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("chromium")
    pages = _digest_html(tmp)
    assert set(pages) == {"email", "file"}, pages.keys()
    browser = DevTools(exe, tmp / "profile", tmp / "chromium.log")
    try:
        out = {}
        for kind, body in pages.items():
            path = tmp / f"{kind}.html"
            path.write_text(body, encoding="utf-8")
            out[kind] = lay_out(browser, kind, path, tmp / f"{kind}.png")
    finally:
        browser.close()
    yield out


KINDS = ["email", "file"]


@pytest.mark.parametrize("kind", KINDS)
def test_laid_out_at_phone_width(layouts: dict[str, Layout], kind: str) -> None:
    page = layouts[kind]
    # Guards the measurement itself: a 500 px window would hide real overflow.
    assert page.layout_width == PHONE_WIDTH
    assert page.png_size[0] == PHONE_WIDTH * 2  # deviceScaleFactor 2


@pytest.mark.parametrize("kind", KINDS)
def test_nothing_overflows_at_375px(layouts: dict[str, Layout], kind: str) -> None:
    page = layouts[kind]
    report = "\n".join(
        f"  {o['element']}: right edge {o['right']:.0f} px, width {o['width']:.0f} px: {o['text']!r}"
        for o in page.overflow
    )
    if page.scroll_width > PHONE_WIDTH or page.overflow:
        pytest.fail(
            f"{kind} HTML overflows a {PHONE_WIDTH} px screen (page {page.scroll_width} px wide; "
            f"screenshot {page.screenshot}):\n{report}"
        )


@pytest.mark.parametrize("kind", KINDS)
def test_every_article_is_linked_to_its_url(layouts: dict[str, Layout], kind: str) -> None:
    page = layouts[kind]
    hrefs = [link["href"] for link in page.links]
    assert sorted(hrefs) == sorted(seed.url for seed in SEEDS)  # the copy's link is "Also in"
    assert all(link["visible"] for link in page.links), page.links
    by_href = {link["href"]: link["text"] for link in page.links}
    assert by_href[SEEDS[0].url] == LONG_KAZAKH_TITLE
    assert by_href[SEEDS[1].url] == "kaztag"  # "Also in: kaztag", with its & in the query intact
    assert by_href[SEEDS[3].url] == EVIL_TITLE
    assert by_href[LONG_URL] == LONG_URL  # no title scraped: the URL stands in


@pytest.mark.parametrize("kind", KINDS)
def test_watched_names_are_highlighted(layouts: dict[str, Layout], kind: str) -> None:
    page = layouts[kind]
    assert sorted(m["text"] for m in page.marks) == EXPECTED_MARKS
    for mark in page.marks:
        assert mark["visible"], mark
        assert mark["background"] not in ("rgba(0, 0, 0, 0)", "transparent"), mark


@pytest.mark.parametrize("kind", KINDS)
def test_scraped_script_is_text_not_an_element(layouts: dict[str, Layout], kind: str) -> None:
    page = layouts[kind]
    assert page.scripts == 0
    assert page.alert_hook and page.alerts == []  # the hook was in place, and nothing ran
    assert "<script>alert(1)</script> & the end of the KNPRK" in page.text
    assert LONG_WORD in page.text
