"""RFC 3161 trusted time: ask a time-stamping authority (TSA) for a token, and check tokens.

The ASN.1 is rfc3161-client's; this module only sends the query (httpx) and decides whether
the reply is a token we may keep: granted, for our message, with our nonce, and, when trust
anchors are configured, signed by a certificate that chains to them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_REPLY_BYTES = 1 << 20  # a token is a few kB; a TSA that sends more is not one


class StampError(Exception):
    """The TSA gave no token we may keep; the text says why, in one line."""


@dataclass(frozen=True, slots=True)
class Trust:
    """What a token is checked against: CA certificates, and optionally the TSA's own."""

    roots: tuple[x509.Certificate, ...] = ()
    tsa_cert: x509.Certificate | None = None

    @property
    def given(self) -> bool:
        return bool(self.roots or self.tsa_cert)


@dataclass(frozen=True, slots=True)
class Stamp:
    token: bytes  # the TSA's reply (TimeStampResp, DER) exactly as received
    imprint: str  # hex SHA-256 of the stamped message
    gen_time: datetime
    serial: str  # the TSA's serial number of the token
    tsa_name: str | None  # the TSA's name in the token, when it gives one


def load_certificates(path: Path) -> tuple[x509.Certificate, ...]:
    """The certificates of a PEM (one or more) or DER file; ValueError saying what is wrong."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    try:
        if b"-----BEGIN" in data:
            certs = tuple(x509.load_pem_x509_certificates(data))
        else:
            certs = (x509.load_der_x509_certificate(data),)
    except ValueError:
        raise ValueError(f"{path} holds no X.509 certificate (PEM or DER)") from None
    return certs


def load_trust(ca_file: Path | None, tsa_cert_file: Path | None) -> Trust:
    roots = load_certificates(ca_file) if ca_file else ()
    tsa = load_certificates(tsa_cert_file)[0] if tsa_cert_file else None
    return Trust(roots, tsa)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def _check(reply: TimeStampResponse, digest: bytes, trust: Trust, nonce: int | None) -> None:
    """Raise VerificationError (or ValueError) unless the reply is a good token for `digest`."""
    if reply.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        why = "; ".join(reply.status_string) or "no reason given"
        raise VerificationError(f"the TSA refused to stamp (status {reply.status}: {why})")
    info = reply.tst_info
    if nonce is not None and info.nonce != nonce:
        raise VerificationError("the reply's nonce is not the one we sent (a replayed or mixed-up reply)")
    if info.message_imprint.message != digest:
        raise VerificationError("the token stamps another message than ours (its imprint differs)")
    if trust.given:
        builder = VerifierBuilder()
        for root in trust.roots or ((trust.tsa_cert,) if trust.tsa_cert else ()):
            builder = builder.add_root_certificate(root)
        if trust.tsa_cert is not None:
            builder = builder.tsa_certificate(trust.tsa_cert)
        if nonce is not None:
            builder = builder.nonce(nonce)
        builder.build().verify(reply, digest)


def _stamp_of(reply: TimeStampResponse, raw: bytes) -> Stamp:
    info = reply.tst_info
    name = None
    try:
        value = info.name.value if info.name is not None else None
        name = value.rfc4514_string() if isinstance(value, x509.Name) else (str(value) if value else None)
    except (ValueError, AttributeError):
        name = None
    return Stamp(raw, info.message_imprint.message.hex(), info.gen_time, str(info.serial_number), name)


def request_stamp(message: bytes, url: str, trust: Trust, client: httpx.Client, timeout: float) -> Stamp:
    """A token from the TSA at `url` for the SHA-256 of `message`; StampError if there is none."""
    query = (TimestampRequestBuilder().data(message).hash_algorithm(HashAlgorithm.SHA256)
             .nonce(nonce=True).cert_request(cert_request=True).build())
    digest = hashlib.sha256(message).digest()
    try:
        with client.stream("POST", url, content=query.as_bytes(), timeout=timeout,
                           headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE}) as resp:
            if resp.status_code != 200:
                raise StampError(f"the TSA answered HTTP {resp.status_code}")
            kind = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if kind != REPLY_TYPE:
                raise StampError(f"the TSA answered {kind or 'no content type'}, not {REPLY_TYPE}")
            raw = b""
            for chunk in resp.iter_bytes():
                raw += chunk
                if len(raw) > MAX_REPLY_BYTES:
                    raise StampError(f"the TSA's reply is larger than {MAX_REPLY_BYTES} bytes")
    except httpx.TimeoutException:
        raise StampError(f"the TSA did not answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise StampError(f"cannot reach the TSA: {_first_line(exc)}") from None
    try:
        reply = decode_timestamp_response(raw)
        _check(reply, digest, trust, query.nonce)
    except (ValueError, VerificationError) as exc:
        raise StampError(f"the TSA's reply is no good token: {_first_line(exc)}") from None
    return _stamp_of(reply, raw)


@dataclass(frozen=True, slots=True)
class TokenCheck:
    ok: bool
    signature_checked: bool  # False: no trust anchor given, only the imprint was compared
    gen_time: datetime | None
    serial: str | None
    problem: str | None = None


def check_token(token: bytes, digest: bytes, trust: Trust) -> TokenCheck:
    """Whether `token` (a TimeStampResp) stamps `digest`, and is signed as `trust` requires."""
    try:
        reply = decode_timestamp_response(token)
    except ValueError as exc:
        return TokenCheck(False, False, None, None, f"not a time-stamp token: {_first_line(exc)}")
    try:
        info = reply.tst_info
        gen_time, serial = info.gen_time, str(info.serial_number)
    except ValueError as exc:
        return TokenCheck(False, False, None, None, f"no token info: {_first_line(exc)}")
    try:
        _check(reply, digest, trust, None)
    except (ValueError, VerificationError) as exc:
        return TokenCheck(False, trust.given, gen_time, serial, _first_line(exc))
    return TokenCheck(True, trust.given, gen_time, serial)
