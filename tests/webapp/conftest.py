"""A running web server on loopback (uvicorn, port 0) over a small archive, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher

from matching import EntitySpec, Watchlist, compile_watchlist
from storage import digests, mentions, outbox
from storage.articles import ArticleRecord, insert_article
from storage.database import Database
from storage.mentions import NewMention
from tests.support.waiting import wait_for
from web import EntityView, ReaderView, WebSettings, create_app
from web.archived import ArchivedCopy
from web.tokens import Signer

PASSWORD = "correct horse battery staple"
SECRET = b"test-secret-0123456789-0123456789-abcdef"
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'

ENTITIES = [
    EntitySpec("eleusinov", "person", "Amin Eleusinov", aliases=("Әмин Елеусінов", "Амин Елеусинов")),
    EntitySpec(
        "kushakbayev", "person", "Nurbek Kushakbayev", aliases=("Нұрбек Құшақбаев", "Нурбек Кушакбаев")
    ),
    EntitySpec(
        "kharkova",
        "person",
        "Larisa Kharkova",
        aliases=("Лариса Харькова",),
        match="full_name",
        exclude=("из Харькова",),
    ),
]


def store(
    db: Database,
    wl: Watchlist,
    title: str,
    body: str,
    *,
    source: str = "azattyq",
    language: str = "ru",
    published: dt.datetime = NOW,
    url: str | None = None,
) -> int:
    with db.write() as s:
        aid = insert_article(
            s,
            ArticleRecord(
                source_id=source,
                url=url or f"https://{source}.example/{title[:20]}/{abs(hash(body))}",
                title=title,
                body=body,
                published_at=published,
                language=language,
                fetched_at=published,
            ),
        )
        assert aid is not None
        found = [
            NewMention(
                aid,
                m.entity_id,
                fld,
                m.start,
                m.end,
                text[m.start : m.end],
                m.tier,
                getattr(m, "explanation", "") or "",
            )
            for fld, text in (("title", title), ("body", body))
            for m in wl.match(text)
        ]
        mentions.add(s, found)
    return aid


@dataclass
class Site:
    base: str
    db: Database
    cfg: WebSettings
    signer: Signer
    ids: dict[str, int] = field(default_factory=dict)
    copies: dict[int, ArchivedCopy] = field(default_factory=dict)  # what the evidence store "kept"

    def client(self, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base, follow_redirects=False, timeout=10, **kw)

    def link(self, who: str, scope: str, target: str = "", days: float = 1) -> str:
        return self.signer.make(who, scope, target, days=days)

    def admin(self) -> httpx.Client:
        c = self.client()
        with c:
            r = c.get(f"/l/{self.link('admin', 'login')}")
        assert r.status_code == 303, r.text
        return httpx.Client(base_url=self.base, follow_redirects=False, timeout=10, cookies=c.cookies)


def csrf_of(html: str) -> str:
    import re

    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


class Server:
    def __init__(self, app: Any) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        wait_for(lambda: self.server.started, 20, "the web server to start")
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def fill(db: Database, wl: Watchlist) -> dict[str, int]:
    ids = {}
    ids["trial"] = store(
        db,
        wl,
        "Суд над Амином Елеусиновым",
        "В Астане продолжился суд. Амин Елеусинов заявил о невиновности. "
        "Нурбек Кушакбаев тоже выступил. Профсоюзы требуют освобождения.",
        published=NOW - dt.timedelta(days=3),
    )
    ids["copy"] = store(
        db,
        wl,
        "Суд над Амином Елеусиновым",
        "В Астане продолжился суд. Амин Елеусинов заявил о невиновности. "
        "Нурбек Кушакбаев тоже выступил. Профсоюзы требуют освобождения.",
        source="kloop",
        published=NOW - dt.timedelta(days=2),
    )
    ids["kazakh"] = store(
        db,
        wl,
        "Әмин Елеусінов сотта",
        "Кәсіподақ жетекшісі Әмин Елеусінов сотта сөйледі.",
        language="kk",
        published=NOW - dt.timedelta(days=10),
    )
    ids["hostile"] = store(
        db,
        wl,
        f"Амин Елеусинов {XSS}",
        f"Амин Елеусинов и {XSS} текст. <b>bold</b> &amp; javascript:alert(2)",
        source="hostile",
        url="javascript:alert(3)",
        published=NOW - dt.timedelta(days=1),
    )
    ids["city"] = store(
        db,
        wl,
        "Лариса Харькова приехала",
        "Лариса Харькова, журналист из Харькова, приехала.",
        published=NOW - dt.timedelta(days=5),
    )
    ids["other"] = store(
        db, wl, "Погода", "В Алматы солнечно, профсоюзов нет.", published=NOW - dt.timedelta(days=4)
    )
    return ids


@pytest.fixture
def site(db: Database) -> Iterator[Site]:
    wl = compile_watchlist(ENTITIES)
    ids = fill(db, wl)
    with db.write() as s:
        did = digests.add(s, "desk", NOW, 2, None)
        digests.add_items(s, did, "desk", [(ids["trial"], ["eleusinov"]), (ids["city"], ["kharkova"])])
        outbox.add(
            s,
            [
                outbox.NewDelivery(
                    did,
                    "email:desk@example.org",
                    "<m1@x>",
                    "Digest",
                    "t",
                    "<p>h</p>",
                    state=outbox.DeliveryState.FAILED,
                    attempts=5,
                    last_error=f"550 mailbox gone {XSS}",
                )
            ],
        )
    ids["digest"] = did
    cfg = WebSettings(
        db=db,
        base_url="",
        secret=SECRET,
        admin_password_hash=PasswordHasher().hash(PASSWORD),
        entities={
            e.id: EntityView(e.id, e.name, e.kind, tuple(e.aliases), tuple(e.exclude)) for e in ENTITIES
        },
        watchlists={"kz": tuple(e.id for e in ENTITIES)},
        readers={
            "desk": ReaderView(
                "desk", "Desk", frozenset({"eleusinov", "kharkova"}), ("email:desk@example.org",), ("kz",)
            ),
            "other": ReaderView("other", "Other", frozenset({"kushakbayev"}), ("telegram:5",), ("kz",)),
        },
        sources=("azattyq", "kloop", "hostile"),
        source_names={"azattyq": "Radio Azattyq (kk)"},
        names=wl,
        cookie_secure=False,
        login_attempts=3,
    )
    copies: dict[int, ArchivedCopy] = {}
    cfg.archived = copies.get  # the seam the evidence store fills in (storage.evidence)
    app = create_app(cfg)
    with Server(app) as srv:
        cfg.base_url = f"http://127.0.0.1:{srv.port}"
        yield Site(cfg.base_url, db, cfg, Signer(SECRET), ids, copies)
