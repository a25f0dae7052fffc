"""Telegram self-service: the bot answers /start, /stop and /status, by long-polling getUpdates.

One poller per bot token: it holds a lease in the database (`telegram-poll:<bot id>`), and
keeps the offset of the last update it handled there too (storage.bot_offsets), so a restart
neither handles an update twice nor skips one. Telegram allows one getUpdates consumer per
token: a 409 Conflict (another program polling, or a webhook set) is logged and waited out.

Chats that receive nothing get no data: only /start's answer, which is their own chat id and
the line an admin pastes into config.yaml.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from html import escape
from typing import Any, Protocol

import httpx

from notifier.channels.telegram import redact, retry_after_seconds
from notifier.i18n import DEFAULT_LANGUAGE, LANGUAGES, Language, tr
from notifier.settings import ChannelKey, ChannelType, TelegramSettings
from storage import bot_offsets, channel_state, leases, optouts
from storage.database import Database, DatabaseError

log = logging.getLogger(__name__)

LEASE_TTL = timedelta(seconds=90)  # well above a long poll: the poller renews it every round
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 60.0
CONFLICT_WAIT_S = 30.0  # another getUpdates consumer or a webhook: look again this much later
TOKEN_REJECTED_WAIT_S = 300.0
MAX_REPLY_WAIT_S = 30.0


@dataclass(frozen=True, slots=True)
class Follow:
    """One subscription a chat stands for, as config.yaml says (the scheduler's Directory)."""

    subscriber_id: str
    name: str
    channel: str  # the config's channel key ("telegram:-100123"): what an opt-out records
    watching: tuple[str, ...]  # display names of the entities followed
    next_digest: str  # e.g. "2026-12-03 08:00 Asia/Almaty (daily)"
    instant: tuple[str, ...] = ()  # display names sent at once
    language: Language = DEFAULT_LANGUAGE  # of the subscriber's digests: the bot answers in it


class Directory(Protocol):
    def follows(self, channel_keys: Sequence[str]) -> list[Follow]:
        """The subscriptions whose channels are among these keys (current config)."""
        ...


class Conflict(Exception):
    """409: another getUpdates consumer, or a webhook, has this bot's updates."""


class TokenRejected(Exception):
    """401/404: the token is wrong or revoked."""


class FloodWait(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"Telegram flood control: retry after {seconds:g} s")
        self.seconds = seconds


class BotApiError(Exception):
    """Any other failure of a call (network, 5xx, a malformed answer): retried with backoff."""


def bot_id(token: str) -> str:
    """The bot's numeric id, the part of the token before the colon (not secret)."""
    return token.split(":", 1)[0]


class BotClient:
    """The few Bot API calls the poller makes, on one httpx client; errors never hold the token."""

    def __init__(self, settings: TelegramSettings, *, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self._base = f"{settings.api.api_base.rstrip('/')}/bot{settings.token}"
        timeout = httpx.Timeout(settings.api.timeout, read=settings.api.poll_timeout + settings.api.timeout)
        self._client = httpx.Client(timeout=timeout, transport=transport)

    def call(self, method: str, payload: dict[str, Any]) -> Any:
        try:
            resp = self._client.post(f"{self._base}/{method}", json=payload)
        except httpx.HTTPError as exc:
            raise BotApiError(f"Telegram unreachable: {type(exc).__name__}") from None
        try:
            data = resp.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise BotApiError(f"Telegram {method}: HTTP {resp.status_code}, not a Bot API answer")
        if data.get("ok") is True:
            return data.get("result")
        code = data.get("error_code") if type(data.get("error_code")) is int else resp.status_code
        desc = redact(str(data.get("description") or f"HTTP {resp.status_code}"))
        params = data.get("parameters")
        if not isinstance(params, dict):
            params = {}
        if code == 409:
            raise Conflict(desc)
        if code == 429:
            raise FloodWait(retry_after_seconds(params.get("retry_after")) or 1.0)
        if code in (401, 404):
            raise TokenRejected(f"Telegram {code}: {desc}")
        raise BotApiError(f"Telegram {method} {code}: {desc}")

    def get_updates(self, offset: int | None, timeout: int) -> list[dict[str, Any]]:
        payload: dict[str, Any] = {"timeout": timeout, "allowed_updates": ["message", "channel_post"]}
        if offset is not None:
            payload["offset"] = offset
        result = self.call("getUpdates", payload)
        if not isinstance(result, list):
            raise BotApiError("Telegram getUpdates: the result is not a list")
        return [u for u in result if isinstance(u, dict) and type(u.get("update_id")) is int]

    def close(self) -> None:
        self._client.close()


@dataclass
class Chat:
    id: str
    username: str | None
    text: str
    language: str | None = None  # the Telegram app's language of whoever wrote ("ru", "en-GB")

    @property
    def keys(self) -> list[str]:
        keys = [str(ChannelKey.of(ChannelType.TELEGRAM, self.id))]
        if self.username:
            keys.append(str(ChannelKey.of(ChannelType.TELEGRAM, f"@{self.username}")))
        return keys


def _chat_of(update: dict[str, Any]) -> Chat | None:
    msg = update.get("message") or update.get("channel_post")
    if not isinstance(msg, dict):
        return None
    chat, text = msg.get("chat"), msg.get("text")
    if not isinstance(chat, dict) or type(chat.get("id")) is not int or not isinstance(text, str):
        return None
    username = chat.get("username") if isinstance(chat.get("username"), str) else None
    sender = msg.get("from")
    code = sender.get("language_code") if isinstance(sender, dict) else None
    return Chat(str(chat["id"]), username, text, code if isinstance(code, str) else None)


def language_of(chat: Chat, follows: list[Follow]) -> Language:
    """The language to answer in: the subscriber's digests', else the writer's app's, else English."""
    if follows:
        return follows[0].language
    code = (chat.language or "").split("-")[0].lower()
    return next((lang for lang in LANGUAGES if lang == code), DEFAULT_LANGUAGE)


def _command(text: str, me: str | None) -> str | None:
    """'/status@our_bot extra' -> 'status'; None for plain text or another bot's command."""
    if not text.startswith("/"):
        return None
    word = text.split(maxsplit=1)[0][1:]
    name, _, to = word.partition("@")
    if to and me and to.lower() != me.lower():
        return None
    return name.lower()


NOTHING_HERE = "This chat receives nothing from unionwatch."  # in English; nothing_here(lang) in any


def nothing_here(lang: Language) -> str:
    return tr(lang, "This chat receives nothing from unionwatch.")


@dataclass
class BotPoller:
    """Long-polls getUpdates while it holds the poll lease, and answers the commands."""

    db: Database
    settings: TelegramSettings
    directory: Directory
    owner: str
    transport: httpx.BaseTransport | None = None
    wait: Callable[[float], bool] | None = None  # sleeps, True if asked to stop (stop.wait)
    handled: int = 0
    _client: BotClient | None = field(default=None, repr=False)
    _me: str | None = None
    _backoff: float = 0.0
    _conflict_logged: bool = False

    @property
    def bot(self) -> str:
        return bot_id(self.settings.token)

    @property
    def lease(self) -> str:
        return f"telegram-poll:{self.bot}"

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set; a failure of one round never ends the loop."""
        wait = self.wait or stop.wait
        self._client = BotClient(self.settings, transport=self.transport)
        holding = False
        try:
            while not stop.is_set():
                pause = self.round(holding)
                holding = pause is None or pause >= 0
                if pause is not None and wait(abs(pause)):
                    break
        finally:
            self._client.close()
            with contextlib.suppress(DatabaseError):  # else it lapses on its own
                leases.release(self.db, self.lease, self.owner)

    def round(self, holding: bool) -> float | None:
        """One long poll and its updates. Returns None to poll again at once, else seconds to
        wait (negative: the lease is another's)."""
        assert self._client is not None
        try:
            held = (leases.renew if holding else leases.acquire)(self.db, self.lease, self.owner, LEASE_TTL)
            if holding and not held:
                held = leases.acquire(self.db, self.lease, self.owner, LEASE_TTL)
            if not held:
                return -LEASE_TTL.total_seconds() / 3
            offset = bot_offsets.get(self.db, self.bot)
            if self._me is None:
                me = self._client.call("getMe", {})
                self._me = str(me.get("username") or "") if isinstance(me, dict) else ""
            updates = self._client.get_updates(offset, self.settings.api.poll_timeout)
            for update in sorted(updates, key=lambda u: int(u["update_id"])):
                if offset is not None and update["update_id"] < offset:
                    continue  # confirmed already (an API that ignored the offset)
                self.handle(update)
                offset = int(update["update_id"]) + 1
                bot_offsets.put(self.db, self.bot, offset)
                self.handled += 1
        except Conflict as exc:
            if not self._conflict_logged:
                log.error("Telegram: another program reads this bot's updates (%s): /start, /stop "
                          "and /status are not answered until it stops, or set "
                          "delivery.telegram.self_service: false", exc)
                self._conflict_logged = True
            return CONFLICT_WAIT_S
        except FloodWait as exc:
            log.warning("Telegram getUpdates: %s", exc)
            return exc.seconds
        except TokenRejected as exc:
            log.error("Telegram: the bot token was rejected (%s); polling again in %.0f s", exc,
                      TOKEN_REJECTED_WAIT_S)
            return TOKEN_REJECTED_WAIT_S
        except (BotApiError, DatabaseError) as exc:
            self._backoff = min(BACKOFF_MAX_S, 2 * self._backoff) if self._backoff else BACKOFF_FIRST_S
            log.warning("Telegram self-service: %s; trying again in %.0f s", redact(str(exc)), self._backoff)
            return self._backoff
        self._backoff = 0.0
        self._conflict_logged = False
        return None

    # -- commands ---------------------------------------------------------------------------

    def handle(self, update: dict[str, Any]) -> None:
        chat = _chat_of(update)
        if chat is None:
            return
        command = _command(chat.text, self._me)
        if command is None:
            return
        with self.db.read() as s:
            keys = chat.keys + [k for key in chat.keys for k in channel_state.moved_here(s, key)]
        follows = self.directory.follows(keys)
        answer = {"start": self.start, "stop": self.stop, "status": self.status}.get(command, self.help)
        self.reply(chat.id, answer(chat, follows, language_of(chat, follows)))

    def start(self, chat: Chat, follows: list[Follow], lang: Language) -> str:
        code = escape(chat.id)
        its_id = tr(lang, "This chat's id is %(id)s.") % {"id": f"<code>{code}</code>"}
        lines = [f"<b>unionwatch</b>\n{its_id}", ""]
        if not follows:
            lines += [tr(lang, "To get digests here, ask your unionwatch admin to add this chat to a "
                               "subscriber's channels in config.yaml:"),
                      f"<pre>    channels:\n      - {{type: telegram, chat_id: {code}}}</pre>"]
            return "\n".join(lines)
        with self.db.write() as s:
            back = [f for f in follows if optouts.resubscribe(s, f.subscriber_id, f.channel)]
        names = {"names": ", ".join(escape(f.name) for f in follows)}
        if back:
            lines.append(tr(lang, "Digests resumed: this chat gets %(names)s again.") % names)
        else:
            lines.append(tr(lang, "This chat gets the digests of %(names)s.") % names)
        lines.append(tr(lang, "/status: what it follows and when the next digest comes; /stop: stop them."))
        return "\n".join(lines)

    def stop(self, chat: Chat, follows: list[Follow], lang: Language) -> str:
        if not follows:
            return nothing_here(lang)
        with self.db.write() as s:
            for f in follows:
                optouts.opt_out(s, f.subscriber_id, f.channel, "telegram", note=f"/stop in chat {chat.id}")
        names = {"names": ", ".join(escape(f.name) for f in follows)}
        return tr(lang, "Stopped: this chat gets nothing more from unionwatch (%(names)s). "
                        "Send /start to get the digests again.") % names

    def status(self, chat: Chat, follows: list[Follow], lang: Language) -> str:
        if not follows:
            return nothing_here(lang) + " " + tr(lang, "Send /start for this chat's id.")
        with self.db.read() as s:
            stopped = optouts.opted_out(s, [f.subscriber_id for f in follows])
        blocks = []
        for f in follows:
            watching = escape(", ".join(f.watching)) or tr(lang, "nobody")
            block = [f"<b>{escape(f.name)}</b>", tr(lang, "Follows: %(names)s") % {"names": watching}]
            if f.instant:
                block.append(tr(lang, "Instant alerts: %(names)s") % {"names": escape(", ".join(f.instant))})
            if (f.subscriber_id, f.channel) in stopped:
                block.append(tr(lang, "Stopped here (/stop). Send /start to get the digests again."))
            else:
                block.append(tr(lang, "Next digest: %(when)s") % {"when": escape(f.next_digest)})
            blocks.append("\n".join(block))
        return "\n\n".join(blocks)

    def help(self, chat: Chat, follows: list[Follow], lang: Language) -> str:
        return tr(lang, "unionwatch bot: /start gives this chat's id (and resumes stopped digests), "
                        "/status says what this chat follows, /stop stops its digests.")

    def reply(self, chat_id: str, text: str) -> None:
        assert self._client is not None
        payload = {"chat_id": int(chat_id), "text": text, "parse_mode": "HTML",
                   "link_preview_options": {"is_disabled": True}}
        for _ in range(2):
            try:
                self._client.call("sendMessage", payload)
                return
            except FloodWait as exc:
                if exc.seconds > MAX_REPLY_WAIT_S or (self.wait or threading.Event().wait)(exc.seconds):
                    break
            except (BotApiError, TokenRejected, Conflict) as exc:
                log.warning("Telegram: could not answer chat %s: %s", chat_id, exc)
                return
        log.warning("Telegram: could not answer chat %s: flood control", chat_id)
