"""Evidence packages: written as WACZ, verified record by record; one changed byte is named."""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from scheduler.evidence_package import (
    MANIFEST,
    WARC_PATH,
    ArticleEntry,
    CustodyEvent,
    Selection,
    stamped_message,
    token_path,
    write_package,
)
from scheduler.evidence_verify import verify_package
from scheduler.tsa import load_trust, request_stamp
from storage.timestamps import TimestampRow
from tests.custody.warcdata import FakeCapture, write_capture
from tests.support.tsa import FakeTsa, TsaPki

T0 = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
URL = "https://rus.azattyq.org/a/28503666.html"
BODY_V1 = "<html><body><h1>Амин Елеусинов</h1><p>Суд в Астане.</p></body></html>".encode()
BODY_V2 = "<html><body><h1>Амин Елеусинов</h1><p>Суд в Астане (обновлено).</p></body></html>".encode()


def _stamp(tsa: FakeTsa, pki: TsaPki, evidence: Path, cap: FakeCapture) -> TimestampRow:
    with httpx.Client() as client:
        s = request_stamp(stamped_message(evidence, cap), tsa.url, load_trust(pki.ca_cert, None), client, 10)
    return TimestampRow(cap.id, "stamped", s.imprint, tsa.url, s.token, s.gen_time, s.serial, 1, None, None,
                        T0, s.gen_time)


@pytest.fixture
def package(tmp_path: Path, tsa: FakeTsa, tsa_pki: TsaPki) -> Path:
    evidence = tmp_path / "evidence"
    first = write_capture(evidence, "2026/12/01/a.warc.gz", 11, 5, URL, BODY_V1, T0)
    write_capture(evidence, "2026/12/01/a.warc.gz", 12, 6, "https://other.example/x", b"other", T0)
    second = write_capture(evidence, "2026/12/08/b.warc.gz", 13, 5, URL, BODY_V2, T0 + timedelta(days=7),
                           ip="127.0.0.2", kind="recheck")
    pending = TimestampRow(13, "pending", None, tsa.url, None, None, None, 3, T0, "the TSA answered HTTP 500",
                           T0, None)
    article = ArticleEntry(5, URL, "Амин Елеусинов", "rus-azattyq", T0 - timedelta(hours=2), T0,
                           ("eleusinov",))
    out = tmp_path / "out" / "article-5.wacz"
    summary = write_package(
        out, evidence_dir=evidence, articles=[article], captures=[first, second],
        stamps={11: _stamp(tsa, tsa_pki, evidence, first), 13: pending},
        events=[CustodyEvent(T0 + timedelta(days=7), "rechecked", 5, {"state": "changed", "capture_id": 13})],
        selection=Selection(article=5), software="unionwatch 0.1.0", exported_at=T0 + timedelta(days=8),
        ca_pem=tsa_pki.ca_cert.read_bytes())
    assert (summary.captures, summary.stamped, summary.missing) == (2, 1, [])
    return out


def _data_start(path: Path, member: str) -> int:
    """Where a member's bytes begin in the zip file (after its local header)."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    raw = path.read_bytes()
    name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26: info.header_offset + 30])
    return info.header_offset + 30 + name_len + extra_len


def _flip(src: Path, dst: Path, at: int) -> Path:
    data = bytearray(src.read_bytes())
    data[at] ^= 0x01
    dst.write_bytes(bytes(data))
    return dst


def test_the_package_holds_the_captures_byte_for_byte_with_tokens_and_custody(
        package: Path, tmp_path: Path, tsa_pki: TsaPki) -> None:
    with zipfile.ZipFile(package) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read(MANIFEST))
        custody = [json.loads(line) for line in zf.read("logs/custody.jsonl").decode().splitlines()]
        warc = zf.read(WARC_PATH)
    assert {"datapackage.json", "datapackage-digest.json", WARC_PATH, token_path(11)} <= names
    assert token_path(13) not in names  # still owed: said in the manifest, not invented
    records = {r["capture_id"]: r for r in manifest["records"]}
    assert set(records) == {11, 13}  # the other article's capture in the same file stays out
    assert records[13]["timestamp"] is None
    assert records[13]["timestamp_state"].startswith("pending (3 attempts")
    # byte for byte: the stored gzip members, copied
    src = (tmp_path / "evidence" / "2026/12/01/a.warc.gz").read_bytes()
    r = records[11]
    assert warc[r["offset"]: r["offset"] + r["length"]] == src[: r["length"]]
    events = [(c["event"], c.get("capture_id")) for c in custody]
    assert events == [("fetched", 11), ("timestamped", 11), ("fetched", 13), ("rechecked", 13),
                      ("exported", None)]
    assert custody[0]["ip"] == "127.0.0.1" and custody[0]["software"].startswith("unionwatch/0.1")
    assert custody[2]["ip"] == "127.0.0.2" and custody[-1]["software"] == "unionwatch 0.1.0"


def test_verify_passes_on_the_package_and_checks_the_token_against_the_ca(
        package: Path, tsa_pki: TsaPki, stranger_pki: TsaPki) -> None:
    report = verify_package(package, ca=tsa_pki.ca_cert)
    assert report.ok, report.as_dict()
    by_id = {r.capture_id: r for r in report.records}
    assert by_id[11].timestamp == "verified" and by_id[11].gen_time
    assert by_id[13].timestamp == "pending"
    assert "--ca" in report.trust
    # Without --ca the CA inside the package is used, and said to be so.
    embedded = verify_package(package)
    assert embedded.ok and "inside the package" in embedded.trust
    # Against another CA the token does not hold.
    wrong = verify_package(package, ca=stranger_pki.ca_cert)
    assert not wrong.ok and wrong.failed_names() == [f"capture 11 ({URL})"]


def test_a_flipped_byte_in_a_payload_fails_naming_the_record(package: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(package) as zf:
        entry = {r["capture_id"]: r for r in json.loads(zf.read(MANIFEST))["records"]}[13]
    at = _data_start(package, WARC_PATH) + entry["offset"] + entry["length"] // 3
    report = verify_package(_flip(package, tmp_path / "flipped.wacz", at))
    assert not report.ok
    assert f"capture 13 ({URL})" in report.failed_names()
    assert f"capture 11 ({URL})" not in report.failed_names()


def test_a_flipped_byte_in_a_token_fails_naming_the_record(package: Path, tmp_path: Path) -> None:
    at = _data_start(package, token_path(11)) + 200
    report = verify_package(_flip(package, tmp_path / "flipped.wacz", at))
    assert not report.ok
    assert f"capture 11 ({URL})" in report.failed_names()


def test_a_flipped_byte_in_the_manifest_fails(package: Path, tmp_path: Path) -> None:
    at = _data_start(package, MANIFEST) + 40
    report = verify_package(_flip(package, tmp_path / "flipped.wacz", at))
    assert not report.ok
    assert f"file {MANIFEST}" in report.failed_names() or any(MANIFEST in p for p in report.problems)


def _rewrite(src: Path, dst: Path, change: dict[str, bytes]) -> None:
    """A careful forger's copy: members replaced and datapackage.json's hashes made to agree."""
    with zipfile.ZipFile(src) as zin:
        members = {n: zin.read(n) for n in zin.namelist()}
    members.update(change)
    package = json.loads(members["datapackage.json"])
    for res in package["resources"]:
        data = members[res["path"]]
        res["hash"], res["bytes"] = "sha256:" + hashlib.sha256(data).hexdigest(), len(data)
    members["datapackage.json"] = json.dumps(package).encode()
    members["datapackage-digest.json"] = json.dumps(
        {"path": "datapackage.json",
         "hash": "sha256:" + hashlib.sha256(members["datapackage.json"]).hexdigest()}
    ).encode()
    with zipfile.ZipFile(dst, "w") as zout:
        for name, data in members.items():
            zout.writestr(name, data)


def test_a_forged_copy_with_consistent_hashes_still_fails_on_the_token(
        package: Path, tmp_path: Path, tsa_pki: TsaPki) -> None:
    evidence = tmp_path / "forged-evidence"
    altered = BODY_V1.replace("Суд".encode(), "Сад".encode())
    forged = write_capture(evidence, "f.warc.gz", 11, 5, URL, altered, T0)
    with zipfile.ZipFile(package) as zf:
        manifest = json.loads(zf.read(MANIFEST))
        warc = zf.read(WARC_PATH)
    stored = (evidence / "f.warc.gz").read_bytes()
    records = {r["capture_id"]: r for r in manifest["records"]}
    r11, r13 = records[11], records[13]
    new_warc = stored + warc[r13["offset"]: r13["offset"] + r13["length"]]
    r11.update(length=len(stored), sha256=hashlib.sha256(stamped_message(evidence, forged)).hexdigest(),
               warc_record_id=forged.record_id, payload_digest=forged.payload_digest)
    r13["offset"] = len(stored)
    _rewrite(package, tmp_path / "forged.wacz",
             {WARC_PATH: new_warc, MANIFEST: json.dumps(manifest).encode()})
    report = verify_package(tmp_path / "forged.wacz", ca=tsa_pki.ca_cert)
    assert [f for f in report.files if not f["ok"]] == []  # the hashes agree: only the token can tell
    assert report.failed_names() == [f"capture 11 ({URL})"]
    assert "time-stamp token does not hold" in " ".join(report.records[0].problems)


def test_a_file_that_is_no_package_is_said_to_be_so(tmp_path: Path) -> None:
    junk = tmp_path / "junk.wacz"
    junk.write_bytes(b"PK\x03\x04 not really")
    report = verify_package(junk)
    assert not report.ok and "not a readable WACZ" in report.problems[0]
    shutil.copy(junk, tmp_path / "copy")


def test_the_package_is_a_wacz_the_wacz_tool_accepts(package: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from wacz.main import main as wacz_main

    assert wacz_main(["validate", "-f", str(package)]) == 0
    assert "Validation succeeded" in capsys.readouterr().out


def test_a_capture_whose_file_is_gone_is_named_and_the_rest_exported(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    kept = write_capture(evidence, "a.warc.gz", 21, 9, URL, BODY_V1, T0)
    lost = write_capture(evidence, "b.warc.gz", 22, 9, URL, BODY_V2, T0 + timedelta(days=1), kind="recheck")
    (evidence / "b.warc.gz").unlink()
    article = ArticleEntry(9, URL, "t", "s", None, T0)
    out = tmp_path / "p.wacz"
    summary = write_package(out, evidence_dir=evidence, articles=[article], captures=[kept, lost], stamps={},
                            events=[], selection=Selection(article=9), software="unionwatch test",
                            exported_at=T0 + timedelta(days=2))
    assert summary.captures == 1 and len(summary.missing) == 1 and "capture 22" in summary.missing[0]
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read(MANIFEST))
    assert [r["capture_id"] for r in manifest["records"]] == [21]
    assert "b.warc.gz" in manifest["not_included"][0]
    report = verify_package(out)
    assert report.ok and report.records[0].timestamp == "none"
    assert len(report.not_included) == 1 and "capture 22" in report.not_included[0]
