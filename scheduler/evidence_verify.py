"""`unionwatch evidence verify FILE`: check an evidence package without the database.

Every file of the WACZ against datapackage.json (and that against datapackage-digest.json);
every capture's records against the SHA-256 the manifest gives, the WARC digests inside the
records, the manifest's claims (URL, record id, IP address) against the records' own headers;
and every token against the records, and against the TSA's CA when one is given (--ca) or,
failing that, the CA certificates inside the package (which only an outside copy makes
trustworthy).
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from scheduler.evidence_package import (
    CA_FILE,
    CUSTODY,
    FORMAT,
    MANIFEST,
    CaptureUnreadable,
    iso,
    records_bytes,
)
from scheduler.tsa import Trust, check_token, load_certificates

_CHUNK = 1 << 20


@dataclass
class RecordReport:
    capture_id: int | str
    url: str
    fetched_at: str | None
    ip: str | None
    sha256: str | None
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    timestamp: str = "none"  # "verified", "imprint only", "none", "pending", "failed", "unchecked"
    gen_time: str | None = None
    tsa: str | None = None

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)

    @property
    def name(self) -> str:
        return f"capture {self.capture_id} ({self.url})"


@dataclass
class VerifyReport:
    package: str
    trust: str  # what the tokens' signatures were checked against
    files: list[dict[str, Any]] = field(default_factory=list)
    records: list[RecordReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # of the package as a whole
    not_included: list[str] = field(default_factory=list)  # captures the export said it could not read

    @property
    def ok(self) -> bool:
        return not self.problems and all(f["ok"] for f in self.files) and all(r.ok for r in self.records)

    def failed_names(self) -> list[str]:
        names = [f"file {f['path']}" for f in self.files if not f["ok"]]
        return names + [r.name for r in self.records if not r.ok]

    def as_dict(self) -> dict[str, Any]:
        return {"package": self.package, "ok": self.ok, "trust": self.trust, "problems": self.problems,
                "not_included": self.not_included,
                "failed": self.failed_names(), "files": self.files,
                "records": [{**asdict(r), "ok": r.ok} for r in self.records]}


def _sha256_of_member(zf: zipfile.ZipFile, name: str) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with zf.open(name) as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _read(zf: zipfile.ZipFile, name: str) -> bytes:
    with zf.open(name) as fh:
        return fh.read()


def _check_files(zf: zipfile.ZipFile, report: VerifyReport) -> None:
    """Each file against datapackage.json, and datapackage.json against its digest file."""
    names = set(zf.namelist())
    try:
        package_bytes = _read(zf, "datapackage.json")
        package = json.loads(package_bytes)
        resources = package["resources"]
    except KeyError:
        report.problems.append("datapackage.json is missing or lists no resources: this is no WACZ")
        return
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        report.files.append({"path": "datapackage.json", "ok": False, "problem": f"unreadable: {exc}"})
        return
    try:
        digest = json.loads(_read(zf, "datapackage-digest.json"))
        ok = digest.get("hash") == "sha256:" + hashlib.sha256(package_bytes).hexdigest()
        report.files.append({"path": "datapackage.json", "ok": ok,
                             "problem": None if ok else
                             "its SHA-256 is not the one datapackage-digest.json gives"})
    except KeyError:
        report.files.append({"path": "datapackage-digest.json", "ok": False, "problem": "missing"})
    except (zipfile.BadZipFile, ValueError, OSError, AttributeError) as exc:
        report.files.append({"path": "datapackage-digest.json", "ok": False, "problem": f"unreadable: {exc}"})
    listed = set()
    for res in resources:
        path = str(res.get("path", ""))
        listed.add(path)
        if path not in names:
            report.files.append({"path": path, "ok": False,
                                 "problem": "listed in datapackage.json but missing"})
            continue
        try:
            got, size = _sha256_of_member(zf, path)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:  # a CRC error: a changed byte
            report.files.append({"path": path, "ok": False, "problem": f"unreadable: {exc}"})
            continue
        want = str(res.get("hash", ""))
        ok = want == f"sha256:{got}" and res.get("bytes", size) == size
        report.files.append({"path": path, "ok": ok,
                             "problem": None if ok else
                             f"SHA-256 {got} is not the {want} datapackage.json gives"})
    for extra in sorted(names - listed - {"datapackage.json", "datapackage-digest.json"}):
        if not extra.endswith("/"):
            report.files.append({"path": extra, "ok": False, "problem": "not listed in datapackage.json"})


def _trust(zf: zipfile.ZipFile, ca: Path | None, tsa_cert: Path | None,
           manifest: dict[str, Any]) -> tuple[Trust, str]:
    if ca is not None or tsa_cert is not None:
        roots = load_certificates(ca) if ca else ()
        pinned = load_certificates(tsa_cert)[0] if tsa_cert else None
        given = " and ".join(f"{what} {p}" for what, p in (("--ca", ca), ("--tsa-cert", tsa_cert)) if p)
        return Trust(roots, pinned), f"the certificates given ({given})"
    embedded = manifest.get("tsa_certificates")
    if embedded:
        try:
            pem = _read(zf, str(embedded))
            from cryptography import x509

            return (Trust(tuple(x509.load_pem_x509_certificates(pem))),
                    f"the CA certificates inside the package ({embedded}); give --ca for one you trust")
        except (KeyError, ValueError, zipfile.BadZipFile, OSError):
            return Trust(), f"nothing: {embedded} is unreadable (give --ca)"
    return Trust(), "nothing: no CA given (--ca) and none in the package; only the imprints were compared"


def _check_warc(message: bytes, entry: dict[str, Any], rep: RecordReport) -> None:
    """The WARC digests inside the records, and the manifest's claims against their headers."""
    seen_response = False
    try:
        for rec in ArchiveIterator(io.BytesIO(message), check_digests=True):
            stream = rec.content_stream()
            while stream.read(_CHUNK):
                pass
            rid = rec.rec_headers.get_header("WARC-Record-ID")
            if rec.digest_checker.passed is False:
                rep.fail(f"{rec.rec_type} record {rid}: " + "; ".join(rec.digest_checker.problems))
            if rec.rec_type == "response" and not seen_response:
                seen_response = True
                h = rec.rec_headers
                for key, header in (("warc_record_id", "WARC-Record-ID"), ("url", "WARC-Target-URI"),
                                    ("ip", "WARC-IP-Address"), ("payload_digest", "WARC-Payload-Digest")):
                    if entry.get(key) is not None and h.get_header(header) != entry.get(key):
                        rep.fail(f"the manifest's {key} {entry.get(key)!r} is not the record's "
                                 f"{header} {h.get_header(header)!r}")
    except Exception as exc:  # warcio raises many kinds on a record it cannot parse
        rep.fail(f"the WARC records do not parse: {exc}")
        return
    if not seen_response:
        rep.fail("no WARC response record")


def _read_range(zf: zipfile.ZipFile, name: str, offset: int, length: int) -> bytes:
    """Bytes of a member, read without its whole-file CRC check for a stored (uncompressed) one.

    Each record is judged by its own digests, so that a changed byte is pinned on the record
    that holds it; the CRC, which would condemn every record of the file, is the file check's.
    """
    info = zf.getinfo(name)
    if info.compress_type != zipfile.ZIP_STORED or zf.fp is None:
        with zf.open(name) as fh:
            fh.seek(offset)
            return fh.read(length)
    with open(str(zf.filename), "rb") as raw:
        raw.seek(info.header_offset)
        header = raw.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"{name}: bad local header")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        raw.seek(info.header_offset + 30 + name_len + extra_len + offset)
        return raw.read(min(length, max(0, info.file_size - offset)))


def _check_record(zf: zipfile.ZipFile, entry: dict[str, Any], trust: Trust, rep: RecordReport) -> None:
    try:
        stored = _read_range(zf, str(entry["warc_file"]), int(entry["offset"]), int(entry["length"]))
        if len(stored) != int(entry["length"]):
            raise CaptureUnreadable("the WARC file ends before the record does")
        message = records_bytes(stored)
    except (KeyError, ValueError, TypeError) as exc:
        rep.fail(f"the manifest does not say where its records are ({exc})")
        return
    except (CaptureUnreadable, zipfile.BadZipFile, OSError, EOFError) as exc:
        rep.fail(f"its WARC records are unreadable: {exc}")
        if entry.get("timestamp"):
            rep.timestamp = "unchecked"  # a token for records that cannot be read proves nothing here
        return
    digest = hashlib.sha256(message).digest()
    if digest.hex() != rep.sha256:
        rep.fail(f"its WARC records changed: SHA-256 {digest.hex()} is not the manifest's {rep.sha256}")
    _check_warc(message, entry, rep)
    ts = entry.get("timestamp")
    if not ts:
        rep.timestamp = "pending" if str(entry.get("timestamp_state", "")).startswith("pending") else "none"
        return
    try:
        token = _read(zf, str(ts["file"]))
    except (KeyError, zipfile.BadZipFile, OSError, EOFError) as exc:
        rep.timestamp = "failed"
        rep.fail(f"its time-stamp token is unreadable: {exc}")
        return
    check = check_token(token, digest, trust)
    rep.gen_time, rep.tsa = iso(check.gen_time), ts.get("tsa_url")
    if not check.ok:
        rep.timestamp = "failed"
        rep.fail(f"its time-stamp token does not hold: {check.problem}")
    else:
        rep.timestamp = "verified" if check.signature_checked else "imprint only"


def verify_package(path: Path, *, ca: Path | None = None, tsa_cert: Path | None = None) -> VerifyReport:
    """Check the package at `path`; a ValueError only for certificates given that cannot be read."""
    report = VerifyReport(str(path), trust="nothing")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        report.problems.append(f"{path} is not a readable WACZ (zip) file: {exc}")
        return report
    with zf:
        _check_files(zf, report)
        try:
            manifest = json.loads(_read(zf, MANIFEST))
            entries = list(manifest["records"])
        except (KeyError, TypeError, ValueError, zipfile.BadZipFile, OSError, EOFError) as exc:
            report.problems.append(f"{MANIFEST} is missing or unreadable: {exc}")
            return report
        report.not_included = [str(m) for m in manifest.get("not_included") or []]
        if manifest.get("format") != FORMAT:
            report.problems.append(f"{MANIFEST} is not of the format {FORMAT} "
                                   f"(it says {manifest.get('format')!r})")
        if CUSTODY not in zf.namelist():
            report.problems.append(f"{CUSTODY}, the chain of custody, is missing")
        trust, report.trust = _trust(zf, ca, tsa_cert, manifest)
        for entry in entries:
            rep = RecordReport(entry.get("capture_id", "?"), str(entry.get("url", "?")),
                               entry.get("fetched_at"), entry.get("ip"), entry.get("sha256"))
            _check_record(zf, entry, trust, rep)
            report.records.append(rep)
        if not entries:
            report.problems.append(f"{MANIFEST} lists no records")
    return report


__all__ = ["CA_FILE", "RecordReport", "VerifyReport", "verify_package"]
