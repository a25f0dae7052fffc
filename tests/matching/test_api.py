"""The package's public interface, as docs/interfaces.md states it."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

import matching
from matching import EntitySpec, Mention, Watchlist, compile_watchlist, entity_fingerprint


def test_public_names() -> None:
    assert set(matching.__all__) == {
        "EntitySpec",
        "Mention",
        "Watchlist",
        "compile_watchlist",
        "entity_fingerprint",
        "sentence_span",
    }


def test_entity_spec_defaults_and_freezing() -> None:
    spec = EntitySpec("x", "person", "Ерлан Қалиев")
    assert (spec.aliases, spec.match, spec.exclude, spec.groups) == ((), "surname", (), ())
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "other"  # type: ignore[misc]


def test_entity_spec_accepts_lists_from_yaml() -> None:
    spec = EntitySpec("t", "term", "t", aliases=["a"], groups=[["x", "y"], ["z"]])  # type: ignore[arg-type]
    assert spec.aliases == ("a",) and spec.groups == (("x", "y"), ("z",))
    assert hash(spec)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "place"},
        {"match": "exact"},
        {"kind": "organisation", "match": "full_name"},
        {"kind": "person", "groups": (("a",),)},
        {"id": ""},
        {"name": " "},
        {"aliases": "Ерлан"},
    ],
)
def test_entity_spec_rejects_bad_definitions(kwargs: dict[str, object]) -> None:
    base: dict[str, object] = {"id": "x", "kind": "person", "name": "Ерлан Қалиев"}
    with pytest.raises((ValueError, TypeError)):
        EntitySpec(**{**base, **kwargs})  # type: ignore[arg-type]


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate entity ids: a"):
        compile_watchlist([EntitySpec("a", "person", "X Y"), EntitySpec("a", "person", "Z W")])


def test_fingerprint_is_stable_and_order_insensitive() -> None:
    a = EntitySpec("k", "person", "Yerlan Kaliyev", aliases=("Ерлан Қалиев", "Erlan Kaliev"))
    b = EntitySpec("k", "person", "Yerlan Kaliyev", aliases=("Erlan Kaliev", "Ерлан Қалиев"))
    assert entity_fingerprint(a) == entity_fingerprint(b)
    assert len(entity_fingerprint(a)) == 64 and int(entity_fingerprint(a), 16) >= 0
    # Pinned: the lead stores fingerprints to notice config changes, so a new matcher release
    # must not change the hash of an unchanged definition.
    kharkova = EntitySpec(
        "kharkova", "person", "Larisa Kharkova", aliases=("Лариса Харькова",), match="full_name"
    )
    assert entity_fingerprint(kharkova) == (
        "df48d05e91210c3709b6b157ccbc1b3eaa704d407a45d96b3189db650c1663df"
    )
    # white space inside a name is not a change
    assert entity_fingerprint(EntitySpec("x", "person", "A B")) == entity_fingerprint(
        EntitySpec("x", "person", " A  B")
    )
    for changed in (
        dataclasses.replace(a, match="full_name"),
        dataclasses.replace(a, aliases=("Ерлан Қалиев",)),
        dataclasses.replace(a, exclude=("из Калиева",)),
        dataclasses.replace(a, name="Erlan Kaliyev"),
        dataclasses.replace(a, id="k2"),
    ):
        assert entity_fingerprint(changed) != entity_fingerprint(a)


def test_fingerprint_of_terms_ignores_keyword_and_group_order() -> None:
    a = EntitySpec("t", "term", "t", groups=(("суд", "сот"), ("профсоюз",)))
    b = EntitySpec("t", "term", "t", groups=(("профсоюз",), ("сот", "суд")))
    assert entity_fingerprint(a) == entity_fingerprint(b)


def test_watchlist_interface(wl: Watchlist) -> None:
    assert isinstance(wl, Watchlist)
    assert wl.entity_ids[:2] == ("kaliev", "muratova")
    assert len(wl) == len(wl.entity_ids)
    text = "Калиев и ФПРК. Калиеву предъявили обвинение."
    mentions = wl.match(text)
    assert all(isinstance(m, Mention) for m in mentions)
    assert [m.entity_id for m in mentions] == ["kaliev", "fprk", "kaliev"]
    assert sorted({m.entity_id for m in wl.match(text)}) == ["fprk", "kaliev"]
    for m in mentions:
        assert m.surface == text[m.start : m.end]
        assert m.tier in ("full_name", "surname", "initial", "name", "acronym", "term")
        assert m.explanation
    with pytest.raises(dataclasses.FrozenInstanceError):
        mentions[0].start = 3  # type: ignore[misc]


def test_watchlist_is_reusable_and_independent() -> None:
    a = compile_watchlist([EntitySpec("a", "person", "Ерлан Қалиев")])
    b = compile_watchlist([EntitySpec("b", "person", "Жансая Мұратова")])
    text = "Қалиев пен Мұратова келді."
    for _ in range(3):
        assert sorted({m.entity_id for m in a.match(text)}) == ["a"]
        assert sorted({m.entity_id for m in b.match(text)}) == ["b"]
    assert compile_watchlist([]).match(text) == []


def test_package_is_pure() -> None:
    """No I/O and nothing of ours: matching imports only the standard library and itself."""
    allowed = {
        "__future__",
        "matching",
        "bisect",
        "collections",
        "dataclasses",
        "functools",
        "hashlib",
        "itertools",
        "math",
        "datetime",
        "json",
        "re",
        "typing",
        "unicodedata",
    }
    package = Path(matching.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
