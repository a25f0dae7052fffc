"""Fetching stored articles again: unchanged, changed, removed, or failed (tried again later).

The re-check spider runs in the crawl child under the crawl's rules (robots.txt, the per-host
delay, the SSRF guard, max_page_bytes, Retry-After), reads each page with the same extraction
as a first fetch, and stores what it found (storage/rechecks.py) as it goes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from spiders.capture import CAPTURE
from spiders.context import CrawlContext
from spiders.events import Rechecked
from spiders.extract import ExtractionError
from spiders.failures import describe
from spiders.jobspec import Language, RecheckSpec
from spiders.soft_errors import SoftErrorCheck, similarity
from storage import rechecks, versions
from storage.rechecks import Found, RecheckState
from storage.types import utcnow
from storage.urls import url_key

logger = logging.getLogger(__name__)
SPEC = "uw_recheck"
GONE = {404: "not found (404)", 410: "gone (410)", 451: "unavailable for legal reasons (451)"}
EVENT_SOURCE = "recheck"
SAME_ARTICLE = 0.5  # share of word stems a redirect's target shares with the article, to be it


def removal_by_redirect(original: str, final: str) -> str | None:
    """Why a redirect from the article's URL to `final` may mean the article is gone.

    The same URL up to what canonicalisation ignores (scheme, www., tracking parameters, a
    trailing slash) is still the article. The home page is not; another path is not, unless
    its text is the article's (RecheckSpider.same_article: a new slug).
    """
    if url_key(original) == url_key(final):
        return None
    path = urlsplit(final).path.strip("/")
    where = "the home page" if not path else final
    return f"redirected to {where}"


class RecheckSpider(scrapy.Spider):
    name = "recheck"

    def __init__(self, rechecks: list[RecheckSpec], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.specs = rechecks

    @property
    def context(self) -> CrawlContext:
        return CrawlContext.of(self.crawler)

    async def start(self) -> AsyncIterator[Any]:
        for spec in self.specs:
            yield scrapy.Request(
                spec.url, callback=self.parse_page, errback=self.on_error, dont_filter=True,
                # Gone pages must reach the callback; 5xx stay errors (RetryMiddleware retries them).
                # CAPTURE: the evidence middleware archives every answer of the chain.
                meta={SPEC: spec, "handle_httpstatus_list": sorted(GONE), CAPTURE: True},
            )

    async def parse_page(self, response: Response) -> None:
        spec: RecheckSpec = response.meta[SPEC]
        at = utcnow()
        final = response.url if response.meta.get("redirect_urls") else None
        base = Found(spec.article_id, at, response.status, final,
                     capture_id=self.capture_of(response.url, at))
        moved = removal_by_redirect(spec.url, response.url)
        if moved is not None and (response.status in GONE or not isinstance(response, TextResponse)
                                  or not urlsplit(response.url).path.strip("/")):
            gone = f", which answered {response.status}" if response.status in GONE else ""
            self.store(spec, base._replace(removed=moved + gone))
            return
        if response.status in GONE:
            self.store(spec, base._replace(removed=GONE[response.status]))
            return
        if not isinstance(response, TextResponse):
            self.store(spec, base._replace(failed="the page is no longer text/HTML"))
            return
        fallback = None if spec.language == Language.AUTO else spec.language.value
        try:
            read = await self.context.extractor.extract(response.text, response.url, fallback,
                                                        spec.timezone)
        except ExtractionError as exc:
            self.store(spec, base._replace(removed=moved) if moved else
                       base._replace(failed=f"parse failed: {exc}"))
            return
        except Exception as exc:  # lxml and trafilatura can fail in many ways on bad markup
            logger.exception("recheck: extraction crashed on %s", response.url)
            self.store(spec, base._replace(failed=f"parse failed: {type(exc).__name__}: {exc}"))
            return
        ex = read.article
        if moved is not None and not self.same_article(spec, ex.title, ex.body):
            # Redirected to another page (a section, another story): the article is gone.
            self.store(spec, base._replace(removed=moved))
            return
        # A "page not found" served with 200: the article is gone all the same.
        soft = SoftErrorCheck().check(response.url, ex.title, ex.body, dated=ex.dated, key=read.body_key)
        if soft is not None:
            self.store(spec, base._replace(removed=soft.reason))
            return
        self.store(spec, base._replace(title=ex.title, body=ex.body))

    def same_article(self, spec: RecheckSpec, title: str, body: str) -> bool:
        """Whether a page a redirect led to is the article at a new address (a new slug):
        most of its words are the latest version's."""
        try:
            with self.context.db.read() as s:
                last = versions.latest(s, spec.article_id)
        except Exception:
            logger.exception("recheck: reading article %d", spec.article_id)
            return False
        return last is not None and similarity(f"{last.title} {last.body}", f"{title} {body}") >= SAME_ARTICLE

    def capture_of(self, url: str, at: datetime) -> int | None:
        """Index what the evidence middleware wrote so far; the id of this answer's capture."""
        queue = self.context.evidence
        if queue is None:
            return None
        try:
            # One fsync per re-checked page: they are few, and each is evidence.
            for failed, message in queue.flush():
                if failed == url:
                    logger.error("recheck: capture of %s not archived: %s", url, message)
                    return None
            with self.context.db.read() as s:
                return rechecks.capture_before(s, url, at)
        except Exception:
            logger.exception("recheck: finding the capture of %s", url)
        return None

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        if request is None or SPEC not in request.meta:
            logger.error("recheck: a request failed without its article: %s", failure.value)
            return
        kind, message = describe(failure)
        status = getattr(getattr(failure.value, "response", None), "status", None)
        self.store(request.meta[SPEC], Found(request.meta[SPEC].article_id, utcnow(), status,
                                             failed=f"{kind}: {message}"))

    def store(self, spec: RecheckSpec, found: Found) -> None:
        state: str
        detail = found.failed or found.removed or (f"moved to {found.final_url}" if found.final_url else None)
        try:
            with self.context.db.write() as s:
                outcome = rechecks.record(s, found)
        except Exception as exc:
            logger.error("recheck of article %d: not stored: %s: %s", spec.article_id,
                         type(exc).__name__, exc)
            state, detail = RecheckState.FAILED, f"not stored: {type(exc).__name__}: {exc}"
        else:
            if outcome is None:
                return  # the article was deleted meanwhile
            state = outcome.state
        self.context.events.emit(Rechecked(
            source=EVENT_SOURCE, article_id=spec.article_id, url=spec.url, state=state,
            at=found.at.isoformat(), status=found.status_code, detail=detail))
