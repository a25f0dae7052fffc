"""YAML loading that remembers where every key stood, so errors can name the line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml

from scheduler.yamlerrors import plain_syntax_error

# libyaml when PyYAML has it: faster, and it refuses absurd nesting with a marked error where
# the pure-Python composer would exhaust the stack.
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# YAML 1.1 reads 10:30 as the base-60 number 630: an admin writing a digest time unquoted
# means the text, as YAML 1.2 reads it.
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_NUMBERS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class _NotSexagesimal:
    """A resolver's pattern, except for base-60 numbers."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def match(self, value: str) -> re.Match[str] | None:
        return None if _SEXAGESIMAL.match(value) else self.pattern.match(value)


class _Loader(_Base):  # type: ignore[valid-type, misc]  # chosen at import: C when present
    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, Any]]]] = {
        first: [(tag, _NotSexagesimal(rx) if tag in _NUMBERS else rx) for tag, rx in resolvers]
        for first, resolvers in _Base.yaml_implicit_resolvers.items()
    }
# A config is refused past these, counted with every alias expanded: the models and the
# secret scan see the expansion, so a few hundred bytes of aliases could cost hours.
MAX_VALUES = 1_000_000
MAX_DEPTH = 64


class ConfigError(Exception):
    """A config problem, already phrased for an admin: 'file:line: key.path: what is wrong'."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class LocatedYaml:
    path: Path
    data: Any
    root: yaml.Node | None

    def line_of(self, loc: tuple[str | int, ...]) -> int | None:
        """1-based line of the deepest node along loc that exists."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if key.value == part:
                        line = key.start_mark.line + 1
                        node = value
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    return line
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line

    def where(self, loc: tuple[str | int, ...]) -> str:
        line = self.line_of(loc)
        return f"{self.path}:{line}" if line else str(self.path)


def format_loc(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


@dataclass(frozen=True)
class _Extent:
    values: int  # nodes under and including this one, every alias expanded
    depth: int  # levels of nesting, likewise


def _extents(root: yaml.Node, path: Path) -> dict[int, _Extent]:
    """The expanded size and depth of every node, each node visited once (by id).

    Aliases make the node graph a DAG, so sizes are summed from memoised children rather than
    by walking the expansion; a node that contains itself is refused.
    """
    extents: dict[int, _Extent] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in extents:
            continue
        kids = _children(node)
        if children_done:
            on_path.discard(id(node))
            sub = [extents[id(k)] for k in kids]
            extents[id(node)] = _Extent(1 + sum(e.values for e in sub),
                                        1 + max((e.depth for e in sub), default=0))
            continue
        on_path.add(id(node))
        stack.append((node, True))
        for k in kids:
            if id(k) in on_path:
                raise ConfigError([f"{path}:{k.start_mark.line + 1}: an alias refers to a value that "
                                   "contains it; a config cannot be recursive"])
            if id(k) not in extents:
                stack.append((k, False))
    return extents


def _labelled_children(node: yaml.Node) -> list[tuple[str | int, yaml.Node]]:
    """Each child with the part of a key path that leads to it."""
    if isinstance(node, yaml.SequenceNode):
        return list(enumerate(node.value))
    out: list[tuple[str | int, yaml.Node]] = []
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            label = str(key.value) if isinstance(key, yaml.ScalarNode) else "(key)"
            out += [(label, key), (label, value)]
    return out


def _check_extent(root: yaml.Node, path: Path) -> None:
    """Refuse a document that expands past MAX_VALUES or nests past MAX_DEPTH, naming where."""
    extents = _extents(root, path)
    top = extents[id(root)]
    node = root
    loc: tuple[str | int, ...] = ()
    if top.depth > MAX_DEPTH:
        for _ in range(MAX_DEPTH):  # down the deepest branch, to where it crosses the limit
            label, node = max(_labelled_children(node), key=lambda c: extents[id(c[1])].depth)
            loc = (*loc, label)
        shown = format_loc(loc[:6]) + ("..." if len(loc) > 6 else "")
        raise ConfigError([f"{path}:{node.start_mark.line + 1}: {shown}: nested more than "
                           f"{MAX_DEPTH} levels deep; a config is refused past that"])
    if top.values > MAX_VALUES:
        while True:  # down to the smallest part that alone expands past the limit
            big = [c for c in _labelled_children(node) if extents[id(c[1])].values > MAX_VALUES]
            if not big:
                break
            label, node = big[0]
            loc = (*loc, label)
        raise ConfigError([
            f"{path}:{node.start_mark.line + 1}: {format_loc(loc)}: aliases expand this to "
            f"{extents[id(node)].values:,} values, more than the {MAX_VALUES:,} a config may hold; "
            "write the values out or use fewer aliases"
        ])


def _duplicate_keys(root: yaml.Node, path: Path, problems: list[str]) -> None:
    seen_nodes: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue  # an alias: its keys were checked where it was defined
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key, _ in node.value:
                line = key.start_mark.line + 1
                if key.value in seen:
                    problems.append(
                        f"{path}:{line}: duplicate key '{key.value}' (first at line {seen[key.value]})"
                    )
                seen[key.value] = line
        stack.extend(reversed(_children(node)))


def load_yaml(path: Path) -> LocatedYaml:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None
    # Parsed once: the nodes keep the lines for errors, and the values are built from them.
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return LocatedYaml(path=path, data={}, root=None)
        _check_extent(root, path)
        problems: list[str] = []
        _duplicate_keys(root, path, problems)
        if problems:
            raise ConfigError(problems)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([plain_syntax_error(path, text, exc)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: invalid YAML: {exc}"]) from None
    except RecursionError:  # the pure-Python composer, without libyaml's own nesting limit
        raise ConfigError([f"{path}: nested too deeply; a config is refused past {MAX_DEPTH} levels"]
                          ) from None
    finally:
        loader.dispose()
    return LocatedYaml(path=path, data=data if data is not None else {}, root=root)
