"""The routes: search, entity, article, digest view, unsubscribe, false alarms, feeds, API, admin."""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from storage import (
    article_details,
    crawl_runs,
    entity_stats,
    false_alarms,
    fulltext,
    optouts,
    outbox,
    rechecks,
    versions,
    wayback,
)
from storage import work_requests as work
from storage.articles import StoredArticle
from storage.fulltext import Filters
from web import feeds
from web.archived import CSP as ARCHIVED_CSP
from web.archived import sanitise
from web.guard import COOKIE, SecurityHeaders, Session, Sessions, Throttle, same_token
from web.marks import Span, marked, sentence
from web.settings import ReaderView, WebSettings
from web.timeline import svg, weekly
from web.tokens import ADMIN, BadToken, Signer

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
LINK_DAYS = 90.0  # digest, unsubscribe and false-alarm links: long enough to act on an old email


class Denied(Exception):
    """No session, or one that may not see this."""


@dataclass
class Ctx:
    """One request's view of who is asking."""

    session: Session
    reader: ReaderView | None  # None for the admin

    @property
    def admin(self) -> bool:
        return self.session.admin

    def may_see(self, entity_id: str) -> bool:
        return self.admin or (self.reader is not None and entity_id in self.reader.entity_ids)


def create_app(cfg: WebSettings) -> FastAPI:
    app = FastAPI(title="unionwatch", docs_url=None, redoc_url=None, openapi_url=None)
    signer = Signer(cfg.secret)
    sessions = Sessions(cfg.secret, cfg.session_hours)
    throttle = Throttle(cfg.login_attempts, cfg.login_window_s)
    throttle_all = Throttle(cfg.login_attempts * 10, cfg.login_window_s)  # a spray from many addresses
    hasher = PasswordHasher()
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["base_url"] = cfg.base_url
    env.filters["day"] = lambda d: d.strftime("%Y-%m-%d") if d else "—"
    env.filters["stamp"] = lambda d: d.strftime("%Y-%m-%d %H:%M UTC") if d else "—"
    # Sources as people read them (sources[].name); the slug stays the id in links and forms.
    env.filters["source"] = lambda source_id: cfg.source_names.get(source_id, source_id)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(SecurityHeaders)

    def url(path: str) -> str:
        return cfg.base_url + path

    # --- sessions ---------------------------------------------------------------------------------

    def current(request: Request) -> Session:
        s = getattr(request.state, "session", None)
        if s is None:
            s = sessions.read(request.cookies.get(COOKIE)) or sessions.new()
            request.state.session = s
        return s

    def ctx(request: Request) -> Ctx:
        s = current(request)
        if s.admin:
            return Ctx(s, None)
        reader = cfg.readers.get(s.who)
        if reader is None:
            raise Denied
        return Ctx(s, reader)

    def render(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        s = current(request)
        values.setdefault("who", s.who)
        resp = HTMLResponse(
            env.get_template(name).render(csrf=s.csrf, is_admin=s.admin, **values), status_code=status
        )
        keep(resp, s)
        return resp

    def keep(resp: Response, s: Session) -> None:
        resp.set_cookie(
            COOKIE,
            sessions.dump(s),
            max_age=max(0, s.expires - int(datetime.now(UTC).timestamp())),
            httponly=True,
            secure=cfg.cookie_secure,
            samesite="strict",
            path="/",
        )

    def start_session(request: Request, who: str, to: str, *, hours: float | None = None) -> RedirectResponse:
        s = sessions.new(who, hours=hours)
        request.state.session = s
        resp = RedirectResponse(to, status_code=303)
        keep(resp, s)
        return resp

    async def check_csrf(request: Request) -> None:
        form = await request.form()
        if not same_token(str(form.get("csrf", "")), current(request).csrf) or not request.cookies.get(
            COOKIE
        ):
            raise HTTPException(403, "the form has expired or came from another site: reload the page")

    @app.exception_handler(Denied)
    async def _denied(request: Request, _exc: Denied) -> Response:
        return render(request, "denied.j2", 403, title="Sign in")

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        resp = render(request, "error.j2", exc.status_code, title="Error", message=str(exc.detail))
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp

    def grant(token: str, scope: str) -> Any:
        try:
            return signer.read(token, scope)
        except BadToken as exc:
            raise HTTPException(403, str(exc)) from None

    # --- sign-in ----------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        c = ctx(request)
        return search_page(request, c)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> Response:
        return render(request, "login.j2", title="Admin sign-in", enabled=cfg.admin_password_hash is not None)

    @app.post("/login")
    async def login(request: Request, password: str = Form("")) -> Response:
        await check_csrf(request)
        client = request.client.host if request.client else "?"
        wait = max(throttle.wait_for(f"ip:{client}"), throttle_all.wait_for("all"))
        if wait > 0:
            raise HTTPException(
                429,
                f"too many failed sign-ins: try again in {math.ceil(wait / 60)} min",
                headers={"Retry-After": str(math.ceil(wait))},
            )
        ok = False
        if cfg.admin_password_hash:
            try:
                ok = hasher.verify(cfg.admin_password_hash, password)
            except (VerificationError, InvalidHashError):
                ok = False
        if not ok:
            throttle.failed(f"ip:{client}")
            throttle_all.failed("all")
            log.warning("failed admin sign-in from %s", client)
            return render(
                request,
                "login.j2",
                401,
                title="Admin sign-in",
                enabled=cfg.admin_password_hash is not None,
                error="Wrong password.",
            )
        throttle.succeeded(f"ip:{client}")
        return start_session(request, ADMIN, "/admin")

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        await check_csrf(request)
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    @app.get("/l/{token}")
    def signed_login(request: Request, token: str) -> Response:
        """A signed sign-in link: the admin's (demo, no password set) or a reader's."""
        g = grant(token, "login")
        if g.who != ADMIN and g.who not in cfg.readers:
            raise HTTPException(403, "this link's reader is no longer subscribed")
        return start_session(request, g.who, "/admin" if g.who == ADMIN else "/")

    # --- search -----------------------------------------------------------------------------------

    def _day(value: str, name: str) -> date | None:
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise HTTPException(400, f"{name} must be a date as YYYY-MM-DD") from None

    def visible_entities(c: Ctx) -> list[Any]:
        return [e for e in cfg.entities.values() if c.may_see(e.id)]

    def names_in(q: str, c: Ctx) -> list[str]:
        """The watched entities a query names, in any case form or script the matcher knows."""
        found: list[str] = []
        for variant in dict.fromkeys((q, q.title())):
            for m in cfg.names.match(variant):
                if c.may_see(m.entity_id) and m.entity_id not in found:
                    found.append(m.entity_id)
        return found

    def search_page(request: Request, c: Ctx) -> Response:
        p = request.query_params
        q = p.get("q", "").strip()[:200]
        entity = p.get("entity", "")
        if entity and not c.may_see(entity):
            raise HTTPException(404, "no such entity")
        since, until = _day(p.get("since", ""), "since"), _day(p.get("until", ""), "until")
        try:
            page = max(1, min(int(p.get("page", "1") or 1), 10_000))
        except ValueError:
            raise HTTPException(400, "page must be a number") from None
        named = names_in(q, c) if q else []
        scope_ids: tuple[str, ...] = ()
        if entity:
            scope_ids = (entity,)
        elif named:
            scope_ids = tuple(named)
        elif not c.admin:
            assert c.reader is not None
            scope_ids = tuple(sorted(c.reader.entity_ids)) or ("\x00none",)
        f = Filters(
            entity_ids=scope_ids,
            source_id=p.get("source") or None,
            language=p.get("language") or None,
            since=datetime.combine(since, time(), UTC) if since else None,
            until=datetime.combine(until + timedelta(days=1), time(), UTC) if until else None,
        )
        words = None if (named and not entity) else (q or None)
        hits: list[StoredArticle] = []
        more = False
        if q or entity or p.get("source") or p.get("language") or since or until:
            with cfg.db.read() as s:
                rows = fulltext.find(s, words, f, offset=(page - 1) * cfg.page_size, limit=cfg.page_size + 1)
                more, rows = len(rows) > cfg.page_size, rows[: cfg.page_size]
                results = describe(s, rows, words, scope_ids if named or entity else ())
        else:
            results = []
        query = {k: v for k, v in p.items() if k != "page" and v}
        lists = (
            cfg.watchlists
            if c.admin
            else {
                w: cfg.watchlists[w] for w in (c.reader.watchlists if c.reader else ()) if w in cfg.watchlists
            }
        )
        feeds_of = [
            (w, url("/feeds/" + signer.make(c.session.who, "feed", f"watchlist:{w}", days=365)))
            for w in lists
        ]
        return render(
            request,
            "search.j2",
            title="Search",
            q=q,
            results=results,
            page=page,
            more=more,
            named=[cfg.entities[e] for e in named],
            entity=entity,
            entities=visible_entities(c),
            sources=cfg.sources,
            watchlist_feeds=feeds_of,
            params=p,
            hits=hits,
            prev_url="/search?" + urlencode({**query, "page": page - 1}) if page > 1 else None,
            next_url="/search?" + urlencode({**query, "page": page + 1}) if more else None,
        )

    def describe(
        s: Any, rows: list[StoredArticle], words: str | None, entity_ids: tuple[str, ...]
    ) -> list[Any]:
        """Each hit with its highlighted sentence and its copies elsewhere."""
        ids = [r.id for r in rows]
        copies = article_details.copies(s, ids)
        named = article_details.entity_ids(s, ids)
        pattern = fulltext.word_pattern(words) if words else None
        spans_by: dict[int, list[tuple[int, int]]] = {}
        if entity_ids:
            for m in mentions_of(s, ids, entity_ids):
                if m[1] == "body":
                    spans_by.setdefault(m[0], []).append((m[2], m[3]))
        out = []
        for r in rows:
            spans = spans_by.get(r.id, [])
            if not spans and pattern is not None:
                spans = [(m.start(), m.end()) for m in pattern.finditer(r.body)][:20]
            out.append(
                {
                    "a": r,
                    "snippet": sentence(r.body, spans),
                    "copies": copies.get(r.id, []),
                    "entities": [cfg.entities[e] for e in sorted(named.get(r.id, ())) if e in cfg.entities],
                }
            )
        return out

    def mentions_of(s: Any, ids: list[int], entity_ids: tuple[str, ...]) -> list[tuple[int, str, int, int]]:
        return article_details.spans_in(s, ids, list(entity_ids))

    @app.get("/search", response_class=HTMLResponse)
    def search(request: Request) -> Response:
        return search_page(request, ctx(request))

    # --- entity -----------------------------------------------------------------------------------

    @app.get("/e/{entity_id}", response_class=HTMLResponse)
    def entity_page(request: Request, entity_id: str) -> Response:
        c = ctx(request)
        e = cfg.entities.get(entity_id)
        if e is None or not c.may_see(entity_id):
            raise HTTPException(404, "no such entity")
        try:
            page = max(1, min(int(request.query_params.get("page", "1") or 1), 10_000))
        except ValueError:
            raise HTTPException(400, "page must be a number") from None
        with cfg.db.read() as s:
            days = entity_stats.articles_per_day(s, entity_id)
            rows = fulltext.find(
                s,
                None,
                Filters(entity_ids=(entity_id,)),
                offset=(page - 1) * cfg.page_size,
                limit=cfg.page_size + 1,
            )
            more, rows = len(rows) > cfg.page_size, rows[: cfg.page_size]
            results = describe(s, rows, None, (entity_id,))
            spellings = entity_stats.spellings(s, entity_id)
            together = [
                (cfg.entities[o], n)
                for o, n in entity_stats.co_mentioned(s, entity_id)
                if o in cfg.entities and c.may_see(o)
            ]
        feed = None
        if c.reader is not None or c.admin:
            feed = url("/feeds/" + signer.make(c.session.who, "feed", f"entity:{entity_id}", days=365))
        return render(
            request,
            "entity.j2",
            title=e.name,
            e=e,
            total=sum(n for _, n in days),
            results=results,
            chart=svg(weekly(days), f"Articles naming {e.name} per week"),
            spellings=spellings,
            together=together,
            page=page,
            more=more,
            feed=feed,
        )

    # --- article ----------------------------------------------------------------------------------

    @app.get("/a/{article_id}", response_class=HTMLResponse)
    def article_page(request: Request, article_id: int) -> Response:
        c = ctx(request)
        with cfg.db.read() as s:
            a = article_details.get(s, article_id)
            if a is None:
                raise HTTPException(404, "no such article")
            ms = [m for m in article_details.mentions(s, article_id) if c.may_see(m.entity_id)]
            if not c.admin and not ms:
                raise HTTPException(404, "no such article")
            copies = article_details.copies(s, [article_id]).get(article_id, [])
            digests = article_details.digests(s, article_id) if c.admin else []
            marks = [
                m for m in false_alarms.of_article(s, article_id) if c.admin or m.reader == c.session.who
            ]
            evidence = _evidence(s, article_id)
        has_copy = cfg.archived is not None and cfg.archived(article_id) is not None

        def spans(field: str) -> list[Span]:
            return [
                Span(
                    m.start,
                    m.end,
                    f"{cfg.entities[m.entity_id].name if m.entity_id in cfg.entities else m.entity_id}"
                    f" — {m.tier}: {m.explanation}",
                    f"m{i}",
                )
                for i, m in enumerate(ms)
                if m.field == field
            ]

        entities = {m.entity_id for m in ms}
        return render(
            request,
            "article.j2",
            title=a.title or "Article",
            a=a,
            copies=copies,
            digests=digests,
            title_html=marked(a.title, spans("title")),
            body_html=marked(a.body, spans("body")),
            mentions=ms,
            names=cfg.entities,
            marks=marks,
            marked_ids={m.entity_id for m in marks if m.reader == c.session.who},
            entities=sorted(entities),
            source_url=_safe(a.url),
            has_copy=has_copy,
            evidence=evidence,
        )

    @app.get("/a/{article_id}/archived", response_class=HTMLResponse)
    def archived_page(request: Request, article_id: int) -> Response:
        """The archived copy, sanitised: no script, nothing loaded from the original site."""
        c = ctx(request)
        with cfg.db.read() as s:
            a = article_details.get(s, article_id)
            seen = a is not None and (
                c.admin or any(c.may_see(m.entity_id) for m in article_details.mentions(s, article_id))
            )
        copy = cfg.archived(article_id) if (seen and cfg.archived is not None) else None
        if a is None or not seen or copy is None:
            raise HTTPException(404, "no archived copy of this article")
        resp = render(
            request,
            "archived.j2",
            title=f"Archived copy: {a.title}",
            a=a,
            copy=copy,
            page=Markup(sanitise(copy.html)),  # noqa: S704 - nh3 made it safe
        )
        resp.headers["content-security-policy"] = ARCHIVED_CSP
        return resp

    @app.post("/a/{article_id}/false-alarm")
    async def mark_false(
        request: Request, article_id: int, entity: str = Form(...), note: str = Form(""), undo: str = Form("")
    ) -> Response:
        await check_csrf(request)
        c = ctx(request)
        if not c.may_see(entity):
            raise HTTPException(404, "no such entity")
        with cfg.db.write() as s:
            if article_details.get(s, article_id) is None:
                raise HTTPException(404, "no such article")
            if undo:
                false_alarms.unmark(s, article_id, entity, c.session.who)
            else:
                false_alarms.mark(s, article_id, entity, c.session.who, note.strip())
        return RedirectResponse(f"/a/{article_id}?marked={'0' if undo else '1'}#marks", status_code=303)

    def sign_in_and_go(request: Request, who: str, path: str) -> Response:
        """A reader's signed link from a digest: a session of their own, then the page."""
        if who not in cfg.readers:
            raise HTTPException(403, "this link's reader is no longer subscribed")
        s = sessions.new(who)
        request.state.session = s
        resp = RedirectResponse(path, status_code=303)
        keep(resp, s)
        return resp

    @app.get("/r/{token}")
    def read_link(request: Request, token: str) -> Response:
        """A digest item's link to its article page: signs the reader in, shows the article."""
        g = grant(token, "read")
        if not g.target.isdigit():
            raise HTTPException(400, "this link is not valid")
        return sign_in_and_go(request, g.who, f"/a/{int(g.target)}")

    @app.get("/m/{token}")
    def mark_link(request: Request, token: str) -> Response:
        """The "not about this person" link beside a digest item: signs the reader in, shows the form."""
        g = grant(token, "mark")
        article_id, _, entity = g.target.partition(":")
        return sign_in_and_go(request, g.who, f"/a/{int(article_id)}?entity={entity}#marks")

    # --- digest in the browser ----------------------------------------------------------------------

    @app.get("/d/{token}", response_class=HTMLResponse)
    def digest_page(request: Request, token: str) -> Response:
        g = grant(token, "digest")
        reader = cfg.readers.get(g.who)
        with cfg.db.read() as s:
            head, items = article_details.digest_items(s, int(g.target))
        if head is None or head.subscriber_id != g.who:
            raise HTTPException(404, "this digest is no longer stored")
        if reader is not None and current(request).who != g.who and not current(request).admin:
            request.state.session = sessions.new(g.who)  # the link is the reader's key to the articles
        return render(
            request,
            "digest.j2",
            title=f"Digest of {head.created_at:%Y-%m-%d}",
            head=head,
            items=items,
            names=cfg.entities,
            reader=reader,
        )

    # --- unsubscribe ------------------------------------------------------------------------------

    @app.get("/u/{token}", response_class=HTMLResponse)
    def unsubscribe_form(request: Request, token: str) -> Response:
        g = grant(token, "unsubscribe")
        with cfg.db.read() as s:
            done = (g.who, g.target) in optouts.opted_out(s, [g.who])
        return render(
            request,
            "unsubscribe.j2",
            title="Unsubscribe",
            channel=g.target,
            done=done,
            token=token,
            who=g.who,
        )

    @app.post("/u/{token}", response_class=HTMLResponse)
    async def unsubscribe(request: Request, token: str) -> Response:
        """RFC 8058 one-click (List-Unsubscribe=One-Click, no cookie) or the confirmation button."""
        g = grant(token, "unsubscribe")
        form = await request.form()
        if form.get("List-Unsubscribe") != "One-Click":
            raise HTTPException(400, "nothing to do: the form says neither One-Click nor confirm")
        with cfg.db.write() as s:
            optouts.opt_out(s, g.who, g.target, "web", "one-click unsubscribe")
        log.info("unsubscribed %s (%s) from the web", g.target, g.who)
        return render(
            request,
            "unsubscribe.j2",
            title="Unsubscribed",
            channel=g.target,
            done=True,
            token=token,
            who=g.who,
        )

    # --- feeds ------------------------------------------------------------------------------------

    @app.get("/feeds/{token}")
    def feed(request: Request, token: str) -> Response:
        g = grant(token, "feed")
        kind, _, target = g.target.partition(":")
        if kind == "watchlist" and target in cfg.watchlists:
            ids, title = cfg.watchlists[target], f"unionwatch: {target}"
        elif kind == "entity" and target in cfg.entities:
            ids, title = (target,), f"unionwatch: {cfg.entities[target].name}"
        else:
            raise HTTPException(404, "no such watchlist or entity")
        if g.who != ADMIN:
            reader = cfg.readers.get(g.who)
            ids = tuple(i for i in ids if reader is not None and i in reader.entity_ids)
            if not ids:
                raise HTTPException(403, "this feed's reader no longer watches it")
        with cfg.db.read() as s:
            rows = fulltext.find(s, None, Filters(entity_ids=ids), limit=50)
            results = describe(s, rows, None, ids)
        body = feeds.atom(title, url(f"/feeds/{token}"), cfg.base_url, results, g.target)
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    # --- JSON API ---------------------------------------------------------------------------------

    def api_grant(request: Request) -> Any:
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else request.query_params.get("token", "")
        if not token:
            raise HTTPException(
                401,
                "an API token is needed (Authorization: Bearer <token>)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return grant(token, "api")

    api = FastAPI(title="unionwatch API", version="1", docs_url=None, redoc_url=None, openapi_url=None)

    @api.get("/articles")
    def api_articles(
        request: Request, q: str = "", entity: str = "", source: str = "", language: str = "", page: int = 1
    ) -> dict[str, Any]:
        """Stored articles naming watched entities, newest first: words, entity, source, language."""
        api_grant(request)
        if entity and entity not in cfg.entities:
            raise HTTPException(404, "no such entity")
        ids = (entity,) if entity else tuple(cfg.entities)
        with cfg.db.read() as s:
            rows = fulltext.find(
                s,
                q or None,
                Filters(entity_ids=ids, source_id=source or None, language=language or None),
                offset=(max(1, page) - 1) * 50,
                limit=51,
            )
            named = article_details.entity_ids(s, [r.id for r in rows[:50]])
        return {
            "page": page,
            "more": len(rows) > 50,
            "articles": [_api_article(r, named.get(r.id, set())) for r in rows[:50]],
        }

    @api.get("/entities/{entity_id}/mentions")
    def api_mentions(request: Request, entity_id: str, page: int = 1) -> dict[str, Any]:
        """Where one entity is named: article, field, offsets, the words found and why."""
        api_grant(request)
        if entity_id not in cfg.entities:
            raise HTTPException(404, "no such entity")
        with cfg.db.read() as s:
            rows = fulltext.find(
                s, None, Filters(entity_ids=(entity_id,)), offset=(max(1, page) - 1) * 50, limit=51
            )
            out = []
            for r in rows[:50]:
                for m in article_details.mentions(s, r.id):
                    if m.entity_id == entity_id:
                        out.append(
                            {
                                "article_id": r.id,
                                "url": r.url,
                                "title": r.title,
                                "field": m.field,
                                "start": m.start,
                                "end": m.end,
                                "surface": m.surface,
                                "tier": m.tier,
                                "explanation": m.explanation,
                                "published_at": r.published_at.isoformat() if r.published_at else None,
                            }
                        )
        return {
            "entity": {"id": entity_id, "name": cfg.entities[entity_id].name},
            "page": page,
            "more": len(rows) > 50,
            "mentions": out,
        }

    @api.get("/openapi.json", include_in_schema=False)
    async def api_schema(request: Request) -> JSONResponse:
        api_grant(request)
        return JSONResponse(api.openapi())

    @api.get("/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        """The OpenAPI description as a page: server-rendered, so it needs no script from anywhere."""
        api_grant(request)
        spec = api.openapi()
        return render(
            request,
            "api.j2",
            title="API",
            spec=spec,
            schema_url="/api/openapi.json?token=" + request.query_params.get("token", ""),
        )

    api.add_exception_handler(HTTPException, _http)  # type: ignore[arg-type]
    app.mount("/api", api)

    # --- admin ------------------------------------------------------------------------------------

    def admin_only(request: Request) -> Ctx:
        c = ctx(request) if current(request).who else None
        if c is None or not c.admin:
            raise Denied
        return c

    @app.get("/admin", response_class=HTMLResponse)
    def admin_page(request: Request) -> Response:
        admin_only(request)
        health = []
        for src in cfg.sources:
            runs = crawl_runs.recent(cfg.db, src, 5)
            health.append({"id": src, "runs": runs, "errors": crawl_runs.recent_errors(cfg.db, src, 5)})
        with cfg.db.read() as s:
            unsettled = outbox.unsettled(s, 50)
            marks = false_alarms.recent(s, 100)
            around = false_alarms.mentions_of(s, [m.id for m in marks])
            bodies = {m.article_id: article_details.get(s, m.article_id) for m in marks}
            opted = optouts.every(s)[:100]
            queued = work.recent(s, 20)
            digests = article_details.recent_digests(s, 20)
        proposals = proposals_for(marks, around, bodies)
        api_token = signer.make(ADMIN, "api", days=365)
        return render(
            request,
            "admin.j2",
            title="Admin",
            health=health,
            unsettled=unsettled,
            marks=marks,
            proposals=proposals,
            optouts=opted,
            queued=queued,
            digests=digests,
            api_docs=url("/api/docs?token=" + api_token),
            api_token=api_token,
            readers=list(cfg.readers.values()),
            channel_links=[
                (r, ch, url("/u/" + signer.make(r.id, "unsubscribe", ch, days=LINK_DAYS)))
                for r in cfg.readers.values()
                for ch in r.channels
            ],
            digest_links={
                d.digest_id: url(
                    "/d/" + signer.make(d.subscriber_id, "digest", str(d.digest_id), days=LINK_DAYS)
                )
                for d in digests
            },
            watchlist_feeds=[
                (w, url("/feeds/" + signer.make(ADMIN, "feed", f"watchlist:{w}", days=365)))
                for w in cfg.watchlists
            ],
        )

    def proposals_for(marks: list[Any], around: list[Any], bodies: dict[int, Any]) -> dict[int, Any]:
        """Per mark: the phrases around its mentions, and the exclude: line to paste."""
        out: dict[int, Any] = {}
        for m in marks:
            d = bodies.get(m.article_id)
            phrases, excludes = [], []
            for mm in (x for x in around if x.mark_id == m.id):
                text = (d.title if mm.field == "title" else d.body) if d else ""
                a, b = max(0, mm.start - 60), min(len(text), mm.end + 60)
                phrases.append(sentence(text[a:b], [(mm.start - a, mm.end - a)]))
                phrase = _exclude_phrase(text, mm.start, mm.end)
                if phrase:
                    excludes.append(phrase)
            excl = list(dict.fromkeys(excludes))
            e = cfg.entities.get(m.entity_id)
            already = set(e.excludes) if e else set()
            excl = [x for x in excl if x not in already]
            line = "exclude: [" + ", ".join(_yaml_str(x) for x in [*(e.excludes if e else ()), *excl]) + "]"
            out[m.id] = {"phrases": phrases, "line": line if excl else None}
        return out

    @app.post("/admin/crawl")
    async def admin_crawl(request: Request, source: str = Form(...)) -> Response:
        await check_csrf(request)
        admin_only(request)
        if source not in cfg.sources:
            raise HTTPException(404, "no such source")
        with cfg.db.write() as s:
            work.ask(s, work.WorkKind.CRAWL, source, ADMIN)
        return RedirectResponse("/admin?queued=crawl#queue", status_code=303)

    @app.post("/admin/resend")
    async def admin_resend(request: Request, digest: int = Form(...)) -> Response:
        await check_csrf(request)
        admin_only(request)
        with cfg.db.write() as s:
            head, _ = article_details.digest_items(s, digest)
            if head is None:
                raise HTTPException(404, "no such digest")
            work.ask(s, work.WorkKind.RESEND, str(digest), ADMIN)
        return RedirectResponse("/admin?queued=resend#queue", status_code=303)

    @app.post("/admin/link")
    async def admin_reader_link(request: Request, reader: str = Form(...)) -> Response:
        """A sign-in link for a reader, to hand over (their digests carry their own)."""
        await check_csrf(request)
        admin_only(request)
        if reader not in cfg.readers:
            raise HTTPException(404, "no such subscriber")
        return render(
            request,
            "link.j2",
            title="Reader link",
            reader=cfg.readers[reader],
            link=url("/l/" + signer.make(reader, "login", days=30)),
        )

    app.state.signer = signer
    return app


def _safe(u: str) -> str | None:
    return u if u.lower().startswith(("http://", "https://")) else None


def _yaml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _api_article(r: StoredArticle, named: set[str]) -> dict[str, Any]:
    return {
        "id": r.id,
        "title": r.title,
        "url": r.url,
        "source": r.source_id,
        "language": r.language,
        "published_at": r.published_at.isoformat() if r.published_at else None,
        "entities": sorted(named),
    }


_WORD_BEFORE = re.compile(r"(\w[\w-]*)\s+$")
_WORD_AFTER = re.compile(r"^[\s,;:]*[\w-]+")


def _exclude_phrase(text: str, start: int, end: int) -> str | None:
    """The mention with the word before it ("из Харькова"), else with the word after it: a phrase
    that turns down this use of the name, never the bare name (that would turn down every one)."""
    before = _WORD_BEFORE.search(text[max(0, start - 40) : start])
    if before:
        return f"{before.group(1)} {text[start:end]}"
    after = _WORD_AFTER.match(text[end : end + 40])
    return text[start : end + after.end()] if after else None


@dataclass(frozen=True)
class _Evidence:
    """What the article page shows of the evidence kept: re-checks, versions, the Wayback copy."""

    wayback: str | None
    checks: list[tuple[datetime, str, int | None, str | None]]  # at, state, status, detail
    versions: list[tuple[int, datetime, str]]  # number, fetched at, diff from the one before
    removed_at: datetime | None  # the last re-check found it removed


def _evidence(session: Any, article_id: int) -> _Evidence:
    found = versions.of_article(session, article_id)
    diffs = [(found[0].version, found[0].fetched_at, "")] if found else []
    diffs += [(new.version, new.fetched_at, versions.diff(old, new)) for old, new in pairwise(found)]
    checks = rechecks.history(session, article_id)
    last = checks[-1] if checks else None
    removed = last[0] if last is not None and last[1] == rechecks.RecheckState.REMOVED else None
    return _Evidence(wayback.snapshots(session, [article_id]).get(article_id), checks, diffs, removed)
