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


SMTP = """\
delivery:
  smtp: {host: smtp.example.org, from: FROM}
subscribers:
  - id: desk
    watchlists: [w]
    channels: [{type: email, to: TO}]
"""


def smtp_config(sender: str = '"desk@example.org"', to: str = '"lawyer@example.org"') -> str:
    return HEAD + SMTP.replace("FROM", sender).replace("TO", to)


def test_a_well_formed_email_setup_passes(tmp_path: Path) -> None:
    code, problems = check(tmp_path, smtp_config(sender='"unionwatch <desk@example.org>"'))
    assert (code, problems) == (0, [])


@pytest.mark.parametrize(("sender", "to", "where"), [
    # CR/LF in From: would forge headers; every send failed for two days while digest said 0.
    (r'"desk@example.org\r\nBcc: everyone@example.org"', '"lawyer@example.org"',
     ":5: delivery.smtp.from: contains the control character U+000D"),
    ('"desk@example.org"', r'"lawyer@example.org\0"', ":9: subscribers[0].channels[0].to: "
     "contains the control character U+0000"),
    ('"nobody"', '"lawyer@example.org"', ":5: delivery.smtp.from: 'nobody' has no email address"),
])
def test_header_values_with_control_characters_are_refused(
    tmp_path: Path, sender: str, to: str, where: str
) -> None:
    code, problems = check(tmp_path, smtp_config(sender, to))
    assert code == 2
    [problem] = problems
    assert problem.startswith(f"{tmp_path / 'config.yaml'}{where}"), problem


@pytest.mark.parametrize(("snippet", "where"), [
    ("database:\n  url: postgresql://unionwatch:hunter2@db.example.org/unionwatch\n",
     ":5: database.url: a literal secret is refused: leave the password out of the URL; PostgreSQL "
     "reads it from the PGPASSWORD environment variable or ~/.pgpass"),
    ("delivery:\n  telegram:\n    api_base: https://api.telegram.org/bot123456789:"
     "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0\n",
     ":6: delivery.telegram.api_base: this looks like a bot token: secrets come only from "
     "environment variables"),
    ("delivery:\n  telegram:\n    api_base: https://bot:s3cret@proxy.example.org\n",
     ":6: delivery.telegram.api_base: a literal secret is refused: a password in a URL"),
])
def test_secrets_inside_urls_are_refused(tmp_path: Path, snippet: str, where: str) -> None:
    code, problems = check(tmp_path, HEAD + snippet)
    assert code == 2
    [problem] = problems
    assert problem.startswith(f"{tmp_path / 'config.yaml'}{where}"), problem


def test_a_database_url_without_a_password_passes(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(HEAD + "database:\n  url: sqlite:///" + str(tmp_path / "x.db") + "\n", encoding="utf-8")
    run = unionwatch("check", "--config", str(config), "--json", timeout=60)
    assert run.code == 0, run.stdout


def test_a_link_pattern_the_linear_engine_cannot_run_is_refused(tmp_path: Path) -> None:
    source = "sources:\n  - {id: s, type: feed, url: 'https://x.org/', link_pattern: '(?<=/a/)\\d+'}\n"
    code, problems = check(tmp_path, HEAD + source)
    assert code == 2
    [problem] = problems
    assert problem.startswith(f"{tmp_path / 'config.yaml'}:5: sources[0]: link_pattern ")
    assert "look-around" in problem
