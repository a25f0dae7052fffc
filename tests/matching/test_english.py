"""English spellings: possessives and the usual romanisation variants."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "text",
    [
        "Yerlan Kaliyev was sentenced to three years.",
        "Erlan Kaliev was sentenced to three years.",
        "Kaliyev's lawyer said he would appeal.",
        "Kaliev’s lawyer said he would appeal.",
        "Qaliev was released on parole.",
        "Kaliyevs' relatives waited outside.",
    ],
)
def test_variants_and_possessives(found, text: str) -> None:
    assert found(text) == ["kaliev"]


@pytest.mark.parametrize(
    "text",
    [
        "Kassym-Jomart Akhmetov spoke first.",
        "Kasym-Zhomart Akhmetov spoke first.",
        "Qasym-Jomart Ahmetov spoke first.",
        "Akhmetov's speech was short.",
    ],
)
def test_doubled_s_zh_j_kh_h(found, text: str) -> None:
    assert found(text) == ["akhmetov"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Asqar Tasmagambetov resigned.", "tasmagambetov"),
        ("Askar Tasmagambetov resigned.", "tasmagambetov"),
        ("Tasmaghambetov resigned.", "tasmagambetov"),
        ("Murat Zhaksybay's union was closed.", "zhaksybay"),
        ("Murat Jaksybai was detained.", "zhaksybay"),
        ("Sokolsky and Sokolskiy are the same man.", "sokolsky"),
    ],
)
def test_more_variants(found, text: str, expected: str) -> None:
    assert found(text) == [expected]


def test_zhansaya_full_name_with_possessive(wl) -> None:
    (m,) = wl.match("Zhansaya Muratova's lawyer spoke to reporters.")
    assert m.entity_id == "muratova"
    assert m.tier == "full_name"
    assert m.surface == "Zhansaya Muratova's"
    assert m.explanation.endswith("Muratova's = Muratova + possessive -'s (en)")
