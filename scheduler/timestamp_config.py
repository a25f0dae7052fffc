"""config.yaml's `evidence.timestamp`: the RFC 3161 time-stamping authority, if any."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _tsa_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"'{value}' is not an http(s) URL of a time-stamping authority")
    return value


class TimestampConfig(BaseModel):
    """Each matched capture's records are time-stamped by this TSA (none: no trusted time).

    `ca_file` holds the CA certificate(s) a reply must chain to (PEM), `tsa_cert_file` the
    TSA's own certificate to pin; both relative to config.yaml's folder. Without them a reply
    is still checked for our message and nonce, not for who signed it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    tsa_url: Annotated[str, AfterValidator(_tsa_url)] | None = None
    ca_file: Path | None = None
    tsa_cert_file: Path | None = None
    timeout: float = Field(10.0, gt=0, le=300)  # seconds for one request
