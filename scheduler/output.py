"""Console output: rich for people, JSON for programs, errors on stderr."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from typing import Any, NoReturn

from rich.console import Console
from rich.markup import escape

console = Console()
err_console = Console(stderr=True)


def _default(obj: Any) -> Any:
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, set | tuple):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n")
    sys.stdout.flush()


class Failed(Exception):
    """An expected failure (bad input, a database that cannot be used): no traceback, but a
    line per problem on stderr, or one JSON object with --json, and the exit status."""

    def __init__(self, problems: list[str], code: int = 1, **detail: Any) -> None:
        super().__init__("; ".join(problems))
        self.problems, self.code, self.detail = problems, code, detail


def fail(message: str, code: int = 1, **detail: Any) -> NoReturn:
    raise Failed([message], code, **detail)


def report_failure(failure: Failed, *, json_out: bool) -> int:
    """Print a failure as its command's caller asked (cli.main); return its exit status."""
    if json_out:
        print_json({"error": str(failure), "problems": failure.problems, **failure.detail,
                    "exit_code": failure.code})
    else:
        for problem in failure.problems:
            err_console.print("[bold red]error:[/] " + escape(problem), highlight=False, soft_wrap=True)
    return failure.code
