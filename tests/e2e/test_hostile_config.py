"""`unionwatch check` against configs written to hurt: each is refused at once, exit 2, naming the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import unionwatch

HEAD = """\
watchlists:
  - id: w
    entities: [{id: e, name: Amin Eleusinov}]
"""


def alias_bomb() -> str:
    """Billion laughs: nine lists of nine, nine levels deep; about 600 bytes that expand to 9**9."""
    lines = ["laughs:", '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"  {name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def check(tmp_path: Path, text: str) -> tuple[int, list[str]]:
    config = tmp_path / "config.yaml"
    config.write_text(text, encoding="utf-8")
    # Before the fix the bomb ran for minutes: the timeout turns that into a failure.
    run = unionwatch("check", "--config", str(config), "--json", timeout=60)
    return run.code, run.json()["problems"]


def test_an_alias_bomb_is_refused_quickly_with_its_line(tmp_path: Path) -> None:
    text = HEAD + alias_bomb()
    assert len(text.encode()) < 700
    code, problems = check(tmp_path, text)
    assert code == 2
    [problem] = problems
    # The smallest part that alone expands past the limit is `g` (9**7 values), on line 11.
    assert problem.startswith(f"{tmp_path / 'config.yaml'}:11: laughs.g: aliases expand this to ")
    assert "more than the 1,000,000 a config may hold" in problem


def test_a_secret_under_a_widely_aliased_part_is_reported_once(tmp_path: Path) -> None:
    text = HEAD + "x:\n  a: &a {password: hunter2}\n  b: &b [*a, *a, *a]\n  c: [*b, *b, *b]\n"
    code, problems = check(tmp_path, text)
    assert code == 2
    assert [p for p in problems if "literal secret" in p] == [
        f"{tmp_path / 'config.yaml'}:5: x.a.password: a literal secret is refused: "
        "put it in an environment variable and name it with 'password_env'"]


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    code, problems = check(tmp_path, HEAD + "loop: &loop [1, *loop]\n")
    assert code == 2
    assert problems == [f"{tmp_path / 'config.yaml'}:4: an alias refers to a value that contains it; "
                        "a config cannot be recursive"]


@pytest.mark.parametrize("depth", [100, 900, 5000])
def test_deep_nesting_is_a_config_error_not_a_traceback(tmp_path: Path, depth: int) -> None:
    code, problems = check(tmp_path, HEAD + "deep: " + "[" * depth + "]" * depth + "\n")
    assert code == 2
    [problem] = problems
    assert problem.startswith(f"{tmp_path / 'config.yaml'}:4: ")
    assert "nested more than 64 levels deep" in problem or "maximum nesting depth" in problem
