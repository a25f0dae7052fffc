"""An RFC 3161 time-stamping authority on loopback, signing with OpenSSL's `ts -reply`.

    pki = make_tsa_pki(tmp_path)          # a throwaway CA and a TSA certificate (timeStamping EKU)
    with FakeTsa(pki) as tsa:
        url = tsa.url                      # POST application/timestamp-query here
        tsa.mode = "down"                  # 500 until set back to "ok"

Modes (`tsa.mode`, or `tsa.script` for one reply each, in order):
  ok            a reply `openssl ts -reply` signed for the request as sent
  down          HTTP 500 with a text body
  stall         holds the request until `tsa.release` is set or 30 s pass (a client timeout)
  wrong-nonce   a genuine signed reply, but for another request with another nonce
  wrong-imprint a genuine signed reply for another message (the nonce as asked)
  rejected      a signed "rejection" status: the request names a policy the TSA refuses
  garbage       HTTP 200 application/timestamp-reply with bytes that are no DER at all
  html          HTTP 200 text/html, an error page (as a proxy in front of a TSA sends)
  stranger      a genuine reply signed by another CA's TSA certificate
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

OPENSSL = shutil.which("openssl") or "openssl"
POLICY = "1.3.6.1.4.1.99999.1.1"
MODES = ("ok", "down", "stall", "wrong-nonce", "wrong-imprint", "rejected", "garbage", "html", "stranger")

_TS_CONFIG = """\
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = {policy}
other_policies = 1.3.6.1.4.1.99999.1.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""

_TSA_EXT = """\
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""
@dataclass(frozen=True)
class TsaPki:
    """A CA and the TSA certificate it issued, as files in `dir` (PEM)."""

    dir: Path
    ca_cert: Path
    tsa_cert: Path
    tsa_key: Path
    config: Path


def _run(*args: str, cwd: Path, stdin: bytes | None = None) -> bytes:
    done = subprocess.run([OPENSSL, *args], cwd=cwd, input=stdin, capture_output=True, check=False,
                          timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)}: {done.stderr.decode(errors='replace')}")
    return done.stdout


def make_tsa_pki(dir: Path, name: str = "Test TSA") -> TsaPki:
    """A throwaway CA and a TSA certificate with the critical timeStamping EKU, made by openssl."""
    dir.mkdir(parents=True, exist_ok=True)
    (dir / "tsa.ext").write_text(_TSA_EXT)
    _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650", "-subj", f"/CN={name} Root CA",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
         cwd=dir)
    _run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", f"/CN={name}", cwd=dir)
    _run("x509", "-req", "-in", "tsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "tsa.crt", "-days", "3650", "-extfile", "tsa.ext", cwd=dir)
    (dir / "serial").write_text("01\n")
    config = dir / "ts.cnf"
    config.write_text(_TS_CONFIG.format(dir=dir, policy=POLICY))
    return TsaPki(dir, dir / "ca.crt", dir / "tsa.crt", dir / "tsa.key", config)


class FakeTsa:
    """The stand-in TSA: `start()` gives its URL, `mode` says how it answers."""

    def __init__(self, pki: TsaPki, *, stranger: TsaPki | None = None) -> None:
        self.pki = pki
        self.stranger = stranger
        self.mode = "ok"
        self.script: list[str] = []  # modes for the next replies, first first; then `mode`
        self.release = threading.Event()
        self.requests: list[bytes] = []  # every query received, as sent
        self.answered: list[str] = []  # the mode of each reply
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> str:
        handler = type("Handler", (_Handler,), {"tsa": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/tsr"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeTsa:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def next_mode(self, query: bytes) -> str:
        with self._lock:
            self.requests.append(query)
            mode = self.script.pop(0) if self.script else self.mode
            self.answered.append(mode)
            return mode

    # -- signing ----------------------------------------------------------------------------
    def sign(self, query: bytes, pki: TsaPki | None = None) -> bytes:
        """The reply `openssl ts -reply` signs for this query (a query file in, a reply out)."""
        pki = pki or self.pki
        with tempfile.TemporaryDirectory() as tmp, self._lock:
            q = Path(tmp) / "q.tsq"
            q.write_bytes(query)
            # Only the signer's certificate goes in (the query asks for it): OpenSSL writes a
            # chain's certificates unsorted, which a strict DER parser refuses as a SET.
            return _run("ts", "-reply", "-config", str(pki.config), "-queryfile", str(q),
                        "-out", "/dev/stdout", cwd=Path(tmp))

    def other_query(self, query: bytes, *, policy: str | None = None) -> bytes:
        """Another query for this query's digest, with a fresh nonce (and this policy)."""
        with tempfile.TemporaryDirectory() as tmp:
            args = ["ts", "-query", "-digest", _imprint(query).hex(), "-sha256", "-cert"]
            return _run(*args, *(["-tspolicy", policy] if policy else []), cwd=Path(tmp))


def _imprint_at(query: bytes) -> int:
    # A SHA-256 query's imprint is its only 32-byte OCTET STRING (tag 04 20): the nonce is an
    # INTEGER and the hash algorithm an OID, so the first 04 20 starts the digest.
    at = query.find(b"\x04\x20")
    if at < 0:
        raise ValueError("no SHA-256 imprint in the query")
    return at + 2


def _imprint(query: bytes) -> bytes:
    at = _imprint_at(query)
    return query[at: at + 32]


def _replace_imprint(query: bytes) -> bytes:
    """The same query (its nonce too) for another message: the imprint's bytes inverted."""
    at = _imprint_at(query)
    return query[:at] + bytes(b ^ 0xFF for b in query[at: at + 32]) + query[at + 32:]


class _Handler(BaseHTTPRequestHandler):
    tsa: FakeTsa

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        query = self.rfile.read(length)
        mode = self.tsa.next_mode(query)
        if self.headers.get("Content-Type") != "application/timestamp-query":
            self._answer(415, b"expected application/timestamp-query", "text/plain")
            return
        if mode == "down":
            self._answer(500, b"Internal Server Error", "text/plain")
        elif mode == "stall":
            self.tsa.release.wait(30)
            self._answer(500, b"too late", "text/plain")
        elif mode == "garbage":
            self._answer(200, b"\x30\x82\xff\xffnot a time-stamp reply at all", "application/timestamp-reply")
        elif mode == "html":
            self._answer(200, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
        else:
            self._answer(200, self._signed(mode, query), "application/timestamp-reply")

    def _signed(self, mode: str, query: bytes) -> bytes:
        tsa = self.tsa
        if mode == "wrong-nonce":
            return tsa.sign(tsa.other_query(query))
        if mode == "wrong-imprint":
            return tsa.sign(_replace_imprint(query))
        if mode == "rejected":
            return tsa.sign(tsa.other_query(query, policy="1.3.6.1.4.1.99999.9.9"))
        if mode == "stranger":
            assert tsa.stranger is not None, "FakeTsa(stranger=make_tsa_pki(...)) for this mode"
            return tsa.sign(query, tsa.stranger)
        return tsa.sign(query)

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def log_message(self, format: str, *args: Any) -> None:
        pass
