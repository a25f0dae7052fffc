"""What a watched entity is (EntitySpec), what a match is (Mention), and a definition's hash."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

Kind = Literal["person", "organisation", "term"]
MatchMode = Literal["surname", "full_name"]
KINDS: tuple[Kind, ...] = ("person", "organisation", "term")
MATCH_MODES: tuple[MatchMode, ...] = ("surname", "full_name")


def _strings(value: Any, field: str) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError(f"{field} must be a sequence of strings, not a string")
    out = tuple(value)
    if not all(isinstance(v, str) for v in out):
        raise TypeError(f"{field} must hold strings")
    return out


@dataclass(frozen=True)
class EntitySpec:
    """A watched person, organisation or topic term, as an admin defines it.

    The one model of an entity: config.yaml's `entities[]` are validated into it (pydantic
    reads the field types and the config below; this package imports nothing but the
    standard library). Lists, as a YAML loader gives them, are frozen into tuples.
    """

    # How pydantic validates config.yaml's entities: unknown keys are errors, text is trimmed.
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid", "str_strip_whitespace": True}

    id: str
    kind: Kind = "person"
    # `...` is pydantic's "required": the field must come after kind, which has a default.
    name: str = ...  # type: ignore[assignment]
    aliases: tuple[str, ...] = ()
    # How much of a person's name must appear: the surname alone counts unless full_name.
    match: MatchMode = "surname"
    exclude: tuple[str, ...] = ()  # phrases in which a mention does not count ("из Харькова")
    # Terms only: keyword groups that must all match somewhere in the text (AND of ORs);
    # when empty, the name and its aliases form the one group.
    groups: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "aliases", _strings(self.aliases, "aliases"))
        object.__setattr__(self, "exclude", _strings(self.exclude, "exclude"))
        if isinstance(self.groups, str):
            raise TypeError("groups must be a sequence of keyword sequences")
        object.__setattr__(self, "groups", tuple(_strings(g, "groups") for g in self.groups))
        if not isinstance(self.name, str):  # left at `...`: no name given
            raise TypeError("an entity needs a name")
        if not self.id:
            raise ValueError("an entity needs an id")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if self.match not in MATCH_MODES:
            raise ValueError(f"match must be one of {', '.join(MATCH_MODES)}")
        if not self.name.strip():
            raise ValueError("a name is required")
        if self.match != "surname" and self.kind != "person":
            raise ValueError("match applies to persons only")
        if self.groups and self.kind != "term":
            raise ValueError("groups apply to terms only")
        if any(not g for g in self.groups):
            raise ValueError("a term group must list at least one keyword")


@dataclass(frozen=True)
class Mention:
    """One place in a text where a watched entity is mentioned; offsets index the original text."""

    entity_id: str
    surface: str
    start: int
    end: int
    tier: str
    explanation: str


def _norm(s: str) -> str:
    return " ".join(unicodedata.normalize("NFC", s).split())


def entity_fingerprint(spec: EntitySpec) -> str:
    """Stable hex hash of a definition; alias, exclude and keyword order do not matter."""
    canonical = {
        "id": spec.id,
        "kind": spec.kind,
        "name": _norm(spec.name),
        "aliases": sorted({_norm(a) for a in spec.aliases}),
        "match": spec.match,
        "exclude": sorted({_norm(e) for e in spec.exclude}),
        "groups": sorted(sorted({_norm(k) for k in g}) for g in spec.groups),
    }
    blob = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
