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


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"


class _Walk:
    """One pass over the composed nodes that builds the values and refuses duplicate keys,
    recursive aliases, and a document too big or too deep with every alias expanded.

    Aliases make the nodes a DAG: each node is built once, and its value, expanded size and
    height memoised by id, so a few hundred bytes of aliases that expand to billions cost
    microseconds (and an alias shares its value, as PyYAML's own constructor does). Scalars
    other than plain strings, and collections with a tag of their own, are built by PyYAML's
    constructor; this pass exists because PyYAML's is a second, slower walk of the same nodes.
    """

    def __init__(self, path: Path, constructor: yaml.SafeLoader) -> None:
        self.path = path
        self.constructor = constructor
        self.built: dict[int, tuple[Any, int, int]] = {}  # id(node) -> (value, values, height)
        self.on_path: set[int] = set()
        self.loc: list[str | int] = []
        self.problems: list[str] = []

    def scalar(self, node: yaml.Node) -> Any:
        if node.tag == _STR:
            return node.value
        return self.constructor.yaml_constructors.get(node.tag, _unknown_tag)(self.constructor, node)

    def node(self, node: yaml.Node, depth: int) -> tuple[Any, int, int]:
        """(value, expanded values, height) of a collection not built yet, at depth."""
        if depth > MAX_DEPTH:
            self.too_deep(node)
        if node.tag not in (_MAP, _SEQ):  # !!set, !!omap and the like
            return self.constructor.construct_object(node, deep=True), len(node.value) + 1, 2
        self.on_path.add(id(node))
        values, height = 1, 2 if node.value else 1
        loc, scalar, child = self.loc, self.scalar, self.child
        out: Any
        if isinstance(node, yaml.MappingNode):
            self.duplicate_keys(node)
            if any(k.tag == _MERGE for k, _ in node.value):
                self.constructor.flatten_mapping(node)  # `<<: *defaults`, as PyYAML merges it
            out = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode):
                    out[scalar(key)] = scalar(value)  # most pairs: nothing below them
                    values += 2
                    continue
                loc.append(str(key.value) if isinstance(key, yaml.ScalarNode) else "(key)")
                k, kv, kh = self.any(key, depth)
                v, vv, vh = self.any(value, depth)
                try:
                    out[k] = v
                except TypeError:
                    raise ConfigError([f"{self.path}:{key.start_mark.line + 1}: a key cannot be a list "
                                       "or a mapping"]) from None
                values += kv + vv
                height = max(height, kh + 1, vh + 1)
                loc.pop()
        else:
            out = []
            for i, item in enumerate(node.value):
                if isinstance(item, yaml.ScalarNode):
                    out.append(scalar(item))
                    values += 1
                    continue
                loc.append(i)
                v, vv, vh = child(item, depth)
                out.append(v)
                values += vv
                height = max(height, vh + 1)
                loc.pop()
        self.on_path.discard(id(node))
        self.built[id(node)] = out, values, height
        return out, values, height

    def any(self, node: yaml.Node, depth: int) -> tuple[Any, int, int]:
        return (self.scalar(node), 1, 1) if isinstance(node, yaml.ScalarNode) else self.child(node, depth)

    def child(self, child: yaml.Node, depth: int) -> tuple[Any, int, int]:
        """A collection below a node at depth: built, or taken from the memo if aliased."""
        known = self.built.get(id(child))
        if known is not None:
            if depth + known[2] > MAX_DEPTH:
                self.too_deep(child)
            return known
        if id(child) in self.on_path:
            raise ConfigError([f"{self.path}:{child.start_mark.line + 1}: an alias refers to a value "
                               "that contains it; a config cannot be recursive"])
        return self.node(child, depth + 1)

    def duplicate_keys(self, node: yaml.MappingNode) -> None:
        first_at: dict[Any, int] = {}
        for key, _ in node.value:
            label = key.value if isinstance(key, yaml.ScalarNode) else id(key)
            if label in first_at:
                self.problems.append(f"{self.path}:{key.start_mark.line + 1}: duplicate key "
                                     f"'{label}' (first at line {first_at[label]})")
            else:
                first_at[label] = key.start_mark.line + 1

    def too_deep(self, node: yaml.Node) -> None:
        shown = format_loc(tuple(self.loc[:6])) + ("..." if len(self.loc) > 6 else "")
        raise ConfigError([f"{self.path}:{node.start_mark.line + 1}: {shown}: nested more than "
                           f"{MAX_DEPTH} levels deep; a config is refused past that"])

    def too_big(self, root: yaml.Node) -> None:
        """Refuse past MAX_VALUES at the smallest part that alone expands past it."""
        node: yaml.Node = root
        loc: tuple[str | int, ...] = ()
        while True:
            big = [(label, c) for label, c in _labelled_children(node)
                   if self.built.get(id(c), (None, 1, 1))[1] > MAX_VALUES]
            if not big:
                break
            label, node = big[0]
            loc = (*loc, label)
        raise ConfigError([
            f"{self.path}:{node.start_mark.line + 1}: {format_loc(loc)}: aliases expand this to "
            f"{self.built[id(node)][1]:,} values, more than the {MAX_VALUES:,} a config may hold; "
            "write the values out or use fewer aliases"
        ])


def _unknown_tag(constructor: yaml.SafeLoader, node: yaml.Node) -> Any:
    return constructor.construct_undefined(node)  # raises, naming the tag and its line


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


def _build(root: yaml.Node, path: Path, constructor: yaml.SafeLoader) -> Any:
    """The document's value, once it is known to be small, shallow and free of duplicate keys."""
    walk = _Walk(path, constructor)
    if not isinstance(root, yaml.MappingNode | yaml.SequenceNode):
        return walk.scalar(root)
    value, values, _ = walk.node(root, 1)
    if values > MAX_VALUES:
        walk.too_big(root)
    if walk.problems:
        raise ConfigError(walk.problems)
    return value


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
        data = _build(root, path, loader)
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
