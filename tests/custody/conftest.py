"""Fixtures for trusted time and evidence packages: a throwaway PKI and the loopback TSA."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.tsa import FakeTsa, TsaPki, make_tsa_pki


@pytest.fixture(scope="session")
def tsa_pki(tmp_path_factory: pytest.TempPathFactory) -> TsaPki:
    """A CA and a TSA certificate (timeStamping EKU), made once per test session by openssl."""
    return make_tsa_pki(tmp_path_factory.mktemp("tsa-pki"))


@pytest.fixture(scope="session")
def stranger_pki(tmp_path_factory: pytest.TempPathFactory) -> TsaPki:
    """Another CA's TSA: its tokens are genuine, but not from the TSA we trust."""
    return make_tsa_pki(tmp_path_factory.mktemp("stranger-pki"), "Stranger TSA")


@pytest.fixture
def tsa(tsa_pki: TsaPki, stranger_pki: TsaPki) -> Iterator[FakeTsa]:
    with FakeTsa(tsa_pki, stranger=stranger_pki) as server:
        yield server
