"""What a watched entity is (EntitySpec), what a match is (Mention), and a definition's hash."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from typing import Any

KINDS = ("person", "organisation", "term")
MATCH_MODES = ("surname", "full_name")


def _strings(value: Any, field: str) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError(f"{field} must be a sequence of strings, not a string")
    out = tuple(value)
    if not all(isinstance(v, str) for v in out):
        raise TypeError(f"{field} must hold strings")
    return out


@dataclass(frozen=True)
class EntitySpec:
    """A watched person, organisation or topic term, as an admin defines it."""

    id: str
    kind: str
    name: str
    aliases: tuple[str, ...] = ()
    match: str = "surname"
    exclude: tuple[str, ...] = ()
    groups: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        # Lists from a YAML loader are accepted and frozen into tuples.
        object.__setattr__(self, "aliases", _strings(self.aliases, "aliases"))
        object.__setattr__(self, "exclude", _strings(self.exclude, "exclude"))
        if isinstance(self.groups, str):
            raise TypeError("groups must be a sequence of keyword sequences")
        object.__setattr__(self, "groups", tuple(_strings(g, "groups") for g in self.groups))
        if not self.id:
            raise ValueError("an entity needs an id")
        if self.kind not in KINDS:
            raise ValueError(f"entity {self.id}: kind must be one of {', '.join(KINDS)}")
        if self.match not in MATCH_MODES:
            raise ValueError(f"entity {self.id}: match must be one of {', '.join(MATCH_MODES)}")
        if self.match != "surname" and self.kind != "person":
            raise ValueError(f"entity {self.id}: match applies to persons only")
        if self.groups and self.kind != "term":
            raise ValueError(f"entity {self.id}: groups apply to terms only")
        if not self.name.strip() and not self.aliases and not self.groups:
            raise ValueError(f"entity {self.id}: a name is required")


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
