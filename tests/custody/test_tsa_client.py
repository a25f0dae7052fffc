"""The RFC 3161 client against the loopback TSA: good tokens kept, every bad reply refused."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from scheduler.tsa import StampError, Trust, check_token, load_certificates, load_trust, request_stamp
from tests.support.tsa import FakeTsa, TsaPki

MESSAGE = b"WARC/1.1\r\nWARC-Type: response\r\n\r\nHTTP/1.1 200 OK\r\n\r\n<html>evidence</html>"


def _trust(pki: TsaPki) -> Trust:
    return load_trust(pki.ca_cert, None)


def test_a_good_reply_is_a_token_for_our_message(tsa: FakeTsa, tsa_pki: TsaPki) -> None:
    with httpx.Client() as client:
        stamp = request_stamp(MESSAGE, tsa.url, _trust(tsa_pki), client, timeout=10)
    digest = hashlib.sha256(MESSAGE).digest()
    assert stamp.imprint == digest.hex()
    assert abs(stamp.gen_time - datetime.now(UTC)) < timedelta(minutes=2)
    assert stamp.tsa_name and "Test TSA" in stamp.tsa_name
    # The token checks out later against the CA, and not for another message.
    assert check_token(stamp.token, digest, _trust(tsa_pki)).ok
    other = check_token(stamp.token, hashlib.sha256(b"x").digest(), _trust(tsa_pki))
    assert not other.ok and "imprint" in (other.problem or "")


@pytest.mark.parametrize(("mode", "why"), [
    ("down", "HTTP 500"),
    ("wrong-nonce", "nonce"),
    ("wrong-imprint", "imprint"),
    ("rejected", "refused to stamp"),
    ("garbage", "no good token"),
    ("html", "text/html"),
    ("stranger", "certificates"),
])
def test_a_bad_reply_is_no_token(tsa: FakeTsa, tsa_pki: TsaPki, mode: str, why: str) -> None:
    tsa.mode = mode
    with httpx.Client() as client, pytest.raises(StampError, match=why):
        request_stamp(MESSAGE, tsa.url, _trust(tsa_pki), client, timeout=10)
    assert tsa.answered == [mode]


def test_a_stranger_is_accepted_only_without_trust_anchors(tsa: FakeTsa) -> None:
    # No CA configured: the imprint and nonce are still checked, the signer is not.
    tsa.mode = "stranger"
    with httpx.Client() as client:
        stamp = request_stamp(MESSAGE, tsa.url, Trust(), client, timeout=10)
    assert check_token(stamp.token, hashlib.sha256(MESSAGE).digest(), Trust()).signature_checked is False


def test_a_tsa_that_stalls_is_given_up_after_the_timeout(tsa: FakeTsa, tsa_pki: TsaPki) -> None:
    tsa.mode = "stall"
    started = time.monotonic()
    with httpx.Client() as client, pytest.raises(StampError, match=r"did not answer within 0\.5 s"):
        request_stamp(MESSAGE, tsa.url, _trust(tsa_pki), client, timeout=0.5)
    assert time.monotonic() - started < 10


def test_a_tsa_nobody_listens_on_is_unreachable(tsa_pki: TsaPki) -> None:
    with httpx.Client() as client, pytest.raises(StampError, match="cannot reach the TSA"):
        request_stamp(MESSAGE, "http://127.0.0.1:9/tsr", _trust(tsa_pki), client, timeout=5)


def test_a_pinned_tsa_certificate_must_be_the_signer(tsa: FakeTsa, tsa_pki: TsaPki,
                                                     stranger_pki: TsaPki) -> None:
    with httpx.Client() as client:
        stamp = request_stamp(MESSAGE, tsa.url, _trust(tsa_pki), client, timeout=10)
    digest = hashlib.sha256(MESSAGE).digest()
    pinned = Trust(load_certificates(tsa_pki.ca_cert), load_certificates(tsa_pki.tsa_cert)[0])
    assert check_token(stamp.token, digest, pinned).ok
    wrong = Trust(load_certificates(tsa_pki.ca_cert), load_certificates(stranger_pki.tsa_cert)[0])
    assert not check_token(stamp.token, digest, wrong).ok


def test_certificate_files_that_are_not_certificates_say_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "ca.pem"
    bad.write_text("hello")
    with pytest.raises(ValueError, match=r"no X\.509 certificate"):
        load_certificates(bad)
    with pytest.raises(ValueError, match="cannot read"):
        load_certificates(tmp_path / "missing.pem")
