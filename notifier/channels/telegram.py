"""The Telegram channel: Bot API sendMessage over httpx, paced, with the token kept out of logs."""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from notifier.channels.base import (
    ChannelGone,
    Outgoing,
    PermanentError,
    SendResult,
    TransientError,
)
from notifier.links import WebLinks, telegram_footer
from notifier.render import html_to_plain
from notifier.settings import SEND_TIMEOUT, ChannelKey, ChannelType, TelegramSettings
from storage.text import clean_text

log = logging.getLogger(__name__)

# The token is part of the URL path, and httpx logs every URL at INFO.
_TOKEN_IN_URL = re.compile(r"bot\d+:[A-Za-z0-9_-]+")
_KNOWN_TOKENS: set[str] = set()


def redact(text: str) -> str:
    """Remove bot tokens (ours, and anything shaped like one) from a message."""
    for token in _KNOWN_TOKENS:
        text = text.replace(token, "<token>")
    return _TOKEN_IN_URL.sub("bot<token>", text)


class RedactTokens(logging.Filter):
    """Takes bot tokens out of log records (httpx logs every request URL, token included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


def quiet_http_logging() -> None:
    """Install the token filter on httpx's loggers and raise them to WARNING; idempotent.

    The program's entry point calls this once (importing this module changes no logging).
    WARNING hides httpx's per-request INFO line; the filter still redacts if someone turns
    the level back down (records of child loggers such as httpcore.* carry no URL path).
    """
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.level in (logging.NOTSET, logging.DEBUG, logging.INFO):
            logger.setLevel(logging.WARNING)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


class Pacer:
    """Bot API limits: about 30 messages/s overall, 1/s per chat, 20/min per group.

    A 429 pauses every chat, as python-telegram-bot does: the flood limit is per bot.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        per_second: float = 30.0,
        chat_interval: float = 1.0,
        group_interval: float = 3.0,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.gap = 1.0 / per_second
        self.chat_interval = chat_interval
        self.group_interval = group_interval
        self._next_any = 0.0
        self._paused_until = 0.0
        self._next_chat: dict[str, float] = {}

    def _interval(self, chat: str) -> float:
        # Group and channel ids are negative; @usernames name channels.
        return self.group_interval if chat.startswith(("-", "@")) else self.chat_interval

    def wait(self, chat: str) -> None:
        now = self.clock()
        due = max(self._next_any, self._paused_until, self._next_chat.get(chat, 0.0))
        if due > now:
            self.sleep(due - now)
            now = max(self.clock(), due)
        self._next_any = now + self.gap
        self._next_chat[chat] = now + self._interval(chat)
        if len(self._next_chat) > 10_000:
            self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    def paused_for(self) -> float:
        """Seconds left of a flood-control pause (0 when none)."""
        return max(0.0, self._paused_until - self.clock())


# Flood bans longer than this are not believed: the message waits an hour and asks again.
MAX_RETRY_AFTER = 3600.0


def retry_after_seconds(value: object) -> float | None:
    """Telegram's `retry_after` if it is a usable number of seconds (capped); else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int):  # JSON integers have no size limit; float() of a huge one fails
        return float(min(value, MAX_RETRY_AFTER)) if value >= 0 else None
    if not math.isfinite(value) or value < 0:
        return None
    return min(value, MAX_RETRY_AFTER)


def _chat_param(chat: str) -> int | str:
    try:
        return int(chat)  # int64: ids reach 52 significant bits
    except ValueError:
        return chat  # "@channelusername"


def _gone(description: str) -> bool:
    d = description.lower()
    return any(
        s in d
        for s in ("chat not found", "user not found", "bot was kicked", "have no rights to send")
    )


class TelegramSender:
    """Sends each part of a Delivery as one sendMessage; the outbox records progress per part.

    Requests run on the sender's own event loop so that `asyncio.timeout` can bound each send
    as a whole: httpx's timeouts bound one read, and a trickling server never trips them.
    """

    def __init__(
        self,
        settings: TelegramSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        pacer: Pacer | None = None,
        max_inline_wait: float = 60.0,
        max_flood_retries: int = 5,
        deadline: float = SEND_TIMEOUT,
        web: WebLinks | None = None,
    ) -> None:
        _KNOWN_TOKENS.add(settings.token)
        self.settings = settings
        self.web = web
        self.pacer = pacer or Pacer()
        self.max_inline_wait = max_inline_wait
        self.max_flood_retries = max_flood_retries
        self.deadline = deadline
        self._url = f"{settings.api.api_base.rstrip('/')}/bot{settings.token}/sendMessage"
        self._transport = transport
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None

    def units(self, msg: Outgoing) -> int:
        return max(1, len(msg.parts))

    def _with_footer(self, msg: Outgoing, text: str) -> str:
        """The digest ends with its web version and the one-click unsubscribe link, if it fits."""
        from notifier.render import TELEGRAM_LIMIT, tg_len

        assert self.web is not None
        footer = telegram_footer(self.web.digest(msg.subscriber_id, msg.digest_id),
                                 self.web.unsubscribe(msg.subscriber_id, str(msg.channel)))
        return text + footer if tg_len(text + footer) <= TELEGRAM_LIMIT else text

    def _too_slow(self) -> TransientError:
        return TransientError(
            f"Telegram did not answer within the {self.deadline:g} s send deadline", server=True
        )

    def _post(self, payload: dict[str, Any], end: float) -> tuple[int, dict[str, Any]]:
        left = end - time.monotonic()
        if left <= 0:
            raise self._too_slow()
        if self._loop is None or self._client is None:
            self._loop = asyncio.new_event_loop()
            self._client = httpx.AsyncClient(timeout=self.settings.api.timeout,
                                             transport=self._transport)
        try:
            resp = self._loop.run_until_complete(_post_within(self._client, self._url, payload, left))
        except TimeoutError:
            raise self._too_slow() from None
        except httpx.HTTPError as exc:
            # httpx errors can carry the URL (and so the token): keep only the kind.
            raise TransientError(redact(f"Telegram unreachable: {type(exc).__name__}")) from None
        try:
            data = resp.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        return resp.status_code, data

    def send(self, msg: Outgoing, unit: int) -> SendResult:
        # Cleaned again on the way out: a row rendered by an older version may hold controls.
        text = clean_text(msg.parts[unit] if msg.parts else msg.body_text)
        if self.web is not None and unit == self.units(msg) - 1:
            text = self._with_footer(msg, text)
        chat = msg.target
        parse_mode: str | None = "HTML"
        result = SendResult()
        floods = 0
        migrations = 0
        end = time.monotonic() + self.deadline
        while True:
            paused = self.pacer.paused_for()
            if paused > self.max_inline_wait or paused >= end - time.monotonic():
                # A long flood ban: leave the rest of the run to the outbox's schedule instead
                # of sleeping through it while holding claims.
                raise TransientError("Telegram flood control in force", retry_after=paused)
            payload: dict[str, Any] = {
                "chat_id": _chat_param(chat),
                "text": text,
                "link_preview_options": {"is_disabled": True},
            }
            if parse_mode:
                payload["parse_mode"] = parse_mode
            self.pacer.wait(chat)
            status, data = self._post(payload, end)
            if data.get("ok") is True:
                sent = data.get("result")
                mid = sent.get("message_id") if isinstance(sent, dict) else None
                result.answer = f"ok: message {mid} in chat {chat}" if mid is not None else "ok"
                return result
            error_code = data.get("error_code")
            code = error_code if type(error_code) is int else status
            desc = redact(str(data.get("description") or f"HTTP {status}"))
            params = data.get("parameters")
            if not isinstance(params, dict):
                params = {}
            if params.get("migrate_to_chat_id") is not None and migrations < 2:
                # The group became a supergroup: same message, new id, recorded by the outbox.
                migrations += 1
                chat = str(params["migrate_to_chat_id"])
                result.migrated_to = ChannelKey.of(ChannelType.TELEGRAM, chat)
                continue
            if code == 429 or params.get("retry_after") is not None:
                # Missing or unusable (NaN, negative, not a number): pause a second, try again.
                wait = retry_after_seconds(params.get("retry_after")) or 1.0
                self.pacer.pause(wait)
                floods += 1
                fits = wait <= self.max_inline_wait and wait < end - time.monotonic()
                if fits and floods <= self.max_flood_retries:
                    log.info("Telegram flood limit: waiting %.1f s", wait)
                    continue  # Pacer.wait sleeps out the pause before the retry
                raise TransientError(f"Telegram {code}: {desc}", retry_after=wait)
            if code == 403 or (code == 400 and _gone(desc)):
                raise ChannelGone(f"Telegram {code}: {desc}")
            if code == 400 and "can't parse entities" in desc.lower() and parse_mode:
                # Our escaping should make this impossible; if it happens, deliver the words
                # as plain text rather than nothing.
                log.warning("Telegram rejected the HTML of delivery %s: %s", msg.delivery_id, desc)
                text, parse_mode, result.degraded = html_to_plain(text), None, True
                continue
            if code in (401, 404):
                raise TransientError(f"Telegram {code}: bot token rejected ({desc})", alert=True)
            if code == 400:
                raise PermanentError(f"Telegram {code}: {desc}")
            raise TransientError(f"Telegram {code}: {desc}")

    def close(self) -> None:
        if self._loop is not None:
            if self._client is not None:
                self._loop.run_until_complete(self._client.aclose())
            self._loop.close()
        self._loop = self._client = None


async def _post_within(
    client: httpx.AsyncClient, url: str, payload: dict[str, Any], seconds: float
) -> httpx.Response:
    """POST and read the whole answer within `seconds`, or raise TimeoutError."""
    async with asyncio.timeout(seconds):
        return await client.post(url, json=payload)
