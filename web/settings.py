"""What the web app is given by the scheduler: the database, the keys, and who watches whom."""

from __future__ import annotations

from dataclasses import dataclass, field

from matching import Watchlist
from storage.database import Database
from web.archived import CopyFinder


@dataclass(frozen=True)
class EntityView:
    id: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReaderView:
    """A subscriber as the web knows them: the entities they may see and their channel keys."""

    id: str
    name: str
    entity_ids: frozenset[str]
    channels: tuple[str, ...]  # "email:a@b", "telegram:123", "file:path"
    watchlists: tuple[str, ...] = ()


@dataclass
class WebSettings:
    db: Database
    base_url: str  # the public URL links are made with, no trailing slash
    secret: bytes  # the signing key: rotating it revokes every link and session
    admin_password_hash: str | None  # argon2; None: admins come in by a signed link only
    entities: dict[str, EntityView]
    watchlists: dict[str, tuple[str, ...]]  # watchlist id -> entity ids
    readers: dict[str, ReaderView]
    sources: tuple[str, ...]
    names: Watchlist  # the matcher compiled on every watched entity: name search
    cookie_secure: bool = True
    session_hours: float = 12.0
    login_attempts: int = 5  # failed logins per client and window before it must wait
    login_window_s: float = 900.0
    page_size: int = 20
    unsubscribe_mailto: str | None = None
    archived: CopyFinder | None = None  # the evidence store's newest copy of an article, if wired
    source_names: dict[str, str] = field(default_factory=dict)  # id -> sources[].name (else the id)
    extra: dict[str, str] = field(default_factory=dict)
