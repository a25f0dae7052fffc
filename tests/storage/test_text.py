"""The one cleaning rule for scraped and outgoing text."""

from __future__ import annotations

import pytest

from storage.text import REPLACEMENT, clean_line, clean_text, clean_tree, fit


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Елеусінов", "Елеусінов"),
        ("a\x00b", "ab"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("dos\r\nmac\rline", "dos\nmac\nline"),
        ("bell\x07 esc\x1b del\x7f c1\x85", "bell esc del c1"),
        ("lone \ud800 high", f"lone {REPLACEMENT} high"),
        ("lone \udfff low", f"lone {REPLACEMENT} low"),
        ("nonchar \uffff", "nonchar "),
        ("", ""),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean
    clean_text(raw).encode("utf-8")  # always encodable


def test_clean_line_folds_breaks_and_trims() -> None:
    assert clean_line("  Subject\r\nBcc: victim@example.org\x00 ") == "Subject Bcc: victim@example.org"


def test_clean_tree_cleans_keys_and_nested_values() -> None:
    tree = {"headline\x00": ["a\ud800", {"name": "b\x01"}], "n": 3, "ok": True, "none": None}
    assert clean_tree(tree) == {"headline": [f"a{REPLACEMENT}", {"name": "b"}], "n": 3, "ok": True,
                                "none": None}


def test_fit_bounds_to_the_limit() -> None:
    assert fit("abcdef", 4) == "abcd"
    assert fit("abc", 4) == "abc"
