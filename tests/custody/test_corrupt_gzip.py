"""A changed byte anywhere in a record's gzip member is a named, unreadable record, never a crash."""

from __future__ import annotations

import gzip
import random

import pytest

from scheduler.evidence_package import CaptureUnreadable, records_bytes


def test_every_flipped_byte_is_unreadable_or_caught_by_the_digest() -> None:
    rng = random.Random(3161)
    text = " ".join(f"Кушакбаев {rng.random():.6f}" for _ in range(400)).encode()
    member = gzip.compress(b"WARC/1.1\r\n" + text)
    for pos in range(10, len(member), 7):  # past the gzip header, through the deflate data and CRC
        broken = bytearray(member)
        broken[pos] ^= 0x20
        try:
            got = records_bytes(bytes(broken))
        except CaptureUnreadable:
            continue  # zlib's "invalid distance too far back" included: not a traceback
        assert got != b"WARC/1.1\r\n" + text or pos >= len(member) - 8, pos
    with pytest.raises(CaptureUnreadable):
        records_bytes(member[: len(member) // 2])
