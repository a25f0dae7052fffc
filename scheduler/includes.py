"""Watchlist entities kept in a file beside config.yaml (`include: people.csv` or `.yaml`).

Admins keep long lists in spreadsheets. An included file's entities join the watchlist's own
`entities`, and every problem in them is named at the file's own line.

CSV: a header row naming the columns (`id`, `name`, `kind`, `aliases`, `match`, `exclude`; only
`id` and `name` are required), then one entity per row. Several aliases or exclusions in one cell
are separated by `|`. Commas separate the cells, or semicolons as Excel writes them in many
locales (told apart by the header). UTF-8, with or without a byte-order mark; blank rows and rows
whose first cell starts with `#` are skipped.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scheduler.yamlsource import ConfigError, LocatedYaml, format_loc, load_yaml

COLUMNS = ("id", "name", "kind", "aliases", "match", "exclude")
LISTS = ("aliases", "exclude")
SEPARATOR = "|"
SUFFIXES = (".csv", ".yaml", ".yml")


@dataclass
class Included:
    """A file's entities (as config.yaml would spell them) and where each stands."""

    path: Path
    entities: list[dict[str, Any]]
    lines: list[int] = field(default_factory=list)  # CSV: the line of each row
    located: LocatedYaml | None = None  # YAML: the nodes, for lines down to each value

    def where(self, loc: tuple[str | int, ...]) -> tuple[str, str]:
        """(file:line, key path) of a problem at loc, loc[0] being the entity's index here."""
        index, rest = loc[0], loc[1:]
        if self.located is not None:
            return self.located.where(loc), format_loc(loc)
        assert isinstance(index, int)
        return f"{self.path}:{self.lines[index]}", format_loc(rest) if rest else "(row)"


def resolve(config_path: Path, value: object) -> Path:
    """The included file, relative to the folder of config.yaml; ValueError says what is wrong."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("include takes a file name, e.g. people.csv")
    path = config_path.parent / value.strip()
    if path.suffix.lower() not in SUFFIXES:
        raise ValueError(f"{value}: include takes a .csv or .yaml file")
    return path


def load(path: Path) -> Included:
    """The entities of a .csv or .yaml file; ConfigError for a file that cannot be read as one."""
    if path.suffix.lower() == ".csv":
        return _load_csv(path)
    located = load_yaml(path)
    if not isinstance(located.data, list) or not all(isinstance(e, dict) for e in located.data):
        raise ConfigError([f"{located.where(())}: an included YAML file is a list of entities "
                           "(- id: ..., name: ...)"])
    return Included(path, located.data, located=located)


def _load_csv(path: Path) -> Included:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                           "save the spreadsheet as CSV UTF-8"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in header_line and "," not in header_line else ","
    rows = csv.reader(text.splitlines(keepends=True), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower() for h in next(rows, [])]
        problems = _header_problems(path, header)
        if problems:
            raise ConfigError(problems)
        out = Included(path, [])
        for row in rows:
            if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
                continue
            if len(row) > len(header):
                problems.append(f"{path}:{rows.line_num}: {len(row)} cells, but the header names "
                                f"{len(header)} columns (a cell with a comma needs quotes)")
                continue
            entity: dict[str, Any] = {}
            for column, cell in zip(header, row, strict=False):
                cell = cell.strip()
                if cell and column in LISTS:
                    entity[column] = [p.strip() for p in cell.split(SEPARATOR) if p.strip()]
                elif cell:
                    entity[column] = cell
            out.entities.append(entity)
            out.lines.append(rows.line_num)
    except csv.Error as exc:
        raise ConfigError([f"{path}:{rows.line_num}: not valid CSV: {exc}"]) from None
    if problems:
        raise ConfigError(problems)
    return out


def _header_problems(path: Path, header: list[str]) -> list[str]:
    known = ", ".join(COLUMNS)
    out = [f"{path}:1: unknown column '{h}' (the columns are {known})" for h in header if h not in COLUMNS]
    out += [f"{path}:1: the header names no '{c}' column (the columns are {known})"
            for c in ("id", "name") if c not in header]
    out += [f"{path}:1: column '{h}' is named twice" for i, h in enumerate(header) if h in header[:i]]
    return out
