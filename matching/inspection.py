"""What `Watchlist.inspect` tells an admin besides the mentions: near misses and new forms."""

from __future__ import annotations

from dataclasses import dataclass, field

from matching.spec import Mention


@dataclass(frozen=True)
class NearMiss:
    """A word or name close to a watched one that did not count, and why."""

    entity_id: str
    surface: str
    start: int
    end: int
    resembles: str  # the listed form it is close to
    reason: str  # "no given name nearby", "another country's body (Болгарии)", ...
    aliasable: bool = True  # adding it as an alias would make it count

    @property
    def message(self) -> str:
        """ "Jaksybekov ~ Dzhaksybekov: not counted, no given name nearby; add it as an alias?" """
        hint = "; add it as an alias?" if self.aliasable else ""
        like = f" ~ {self.resembles}" if self.resembles and self.resembles != self.surface else ""
        return f"{self.surface}{like}: not counted, {self.reason}{hint}"


@dataclass(frozen=True)
class NewForm:
    """A form of a watched entity the text uses and the config does not list."""

    entity_id: str
    form: str  # as an alias would list it: a nominative, or an acronym as written
    surface: str
    start: int
    end: int
    kind: str  # "variant" (a spelling variant), "near" (one letter away), "acronym" (defined)
    counted: bool
    # "given name" next to it, "listed form" elsewhere in the text, "given name elsewhere in the
    # text" (the same spelling with it), "definition" (an acronym), or "" (none)
    evidence: str


@dataclass(frozen=True)
class Inspection:
    """Everything the matcher saw in one text."""

    mentions: list[Mention]
    near_misses: list[NearMiss] = field(default_factory=list)
    new_forms: list[NewForm] = field(default_factory=list)
