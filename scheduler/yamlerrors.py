"""YAML syntax errors in plain words: the line and column, what is wrong there, what to do."""

from __future__ import annotations

from pathlib import Path

import yaml

INDENTATION = ("the indentation does not match the lines around it (the keys of one mapping, and the "
               "'-' of one list's items, start in the same column)")
# The parsers' (libyaml's and PyYAML's) problems, by the words they start with.
_PLAIN: list[tuple[tuple[str, ...], str]] = [
    (("did not find expected '-' indicator", "did not find expected key", "expected <block end>"),
     INDENTATION),
    (("mapping values are not allowed",),
     "a ': ' inside a value that is not quoted; put the value in quotes (\"...\")"),
    (("did not find expected ',' or ']'", "expected ',' or ']'"),
     "this [ ... ] list is not closed; add the ']' (or quote a value that holds a comma or ':')"),
    (("did not find expected ',' or '}'", "expected ',' or '}'"),
     "this { ... } mapping is not closed; add the '}'"),
    (("could not find expected ':'",),
     "no ':' after this key; write 'key: value' (a value that goes on over lines needs quotes)"),
    (("found undefined alias",), "an alias (*name) that no anchor (&name) above defines"),
    (("found character '@' that cannot start any token", "found character '`' that cannot start"),
     "a value cannot start with @ or `; put it in quotes"),
]
# Where the problem is better shown at the context's start (the opening quote or bracket).
_AT_CONTEXT = ("found unexpected end of stream", "did not find expected ',' or", "expected ',' or",
               "could not find expected ':'")


def plain_syntax_error(path: Path, text: str, exc: yaml.MarkedYAMLError) -> str:
    """'file:line: column N: what is wrong; what to do' for a parser's MarkedYAMLError."""
    problem = exc.problem or exc.context or "not valid YAML"
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return f"{path}: invalid YAML: {problem}"
    if exc.context_mark is not None and problem.startswith(_AT_CONTEXT):
        mark = exc.context_mark
    tab = _first_tab_indent(text, mark.line)
    if tab is not None:
        line, column = tab
        return (f"{path}:{line}: column {column}: a tab in the indentation; YAML indents with spaces "
                "only: replace the tab with spaces")
    said = next((plain for starts, plain in _PLAIN if problem.startswith(starts)), None)
    if problem.startswith("found unexpected end of stream"):
        said = ("the file ends inside this quoted value; close the quote" if "quoted" in (exc.context or "")
                else f"the file ends {exc.context or 'too early'}".replace("while parsing", "inside"))
    if said is None:
        said = f"invalid YAML: {problem}" + (f" ({exc.context})" if exc.context else "")
    if said is INDENTATION:
        said += _key_column_above(text, mark.line)
    return f"{path}:{mark.line + 1}: column {mark.column + 1}: {said}"


def _key_column_above(text: str, line: int) -> str:
    """'; line N above has its key at column C', from the nearest line with content above."""
    lines = text.splitlines()
    for n in range(min(line, len(lines)) - 1, -1, -1):
        content = lines[n].lstrip(" ")
        if content and not content.startswith("#"):
            column = len(lines[n]) - len(content)
            while content.startswith("- "):  # a list item's key stands after its dash
                stripped = content[2:].lstrip(" ")
                column += len(content) - len(stripped)
                content = stripped
            return f"; line {n + 1} above has its key at column {column + 1}: indent with spaces to match"
    return ": indent with spaces to match"


def _first_tab_indent(text: str, up_to: int) -> tuple[int, int] | None:
    """The first tab among the leading whitespace of lines up to up_to (0-based), 1-based."""
    for n, line in enumerate(text.splitlines()[: up_to + 1]):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent and line.strip():
            return n + 1, indent.index("\t") + 1
    return None
