"""A wall-clock deadline on one SMTP send, enforced at the sockets smtplib reads and writes.

A socket timeout bounds one read or write. A server that trickles a byte per read (a tarpit)
never trips it, and holds the relay for as long as it likes. Inside `within(seconds, per_op)`
each wait of a BoundedSocket or BoundedSSLSocket is cut to what is left of the deadline, so
the whole send (connect, TLS handshake, every command and reply) ends by then: a wait that
runs out raises TimeoutError, which smtplib reports as a dropped connection.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# (monotonic end, per-operation timeout) of the send in progress in this thread, if any.
_LIMIT: ContextVar[tuple[float, float | None] | None] = ContextVar("send_deadline", default=None)


class Deadline:
    """The deadline of one send; `.passed` tells a deadline from the server's own failure."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.end - 0.01  # a wait cut to the deadline ends at it


@contextmanager
def within(seconds: float, per_op: float | None) -> Iterator[Deadline]:
    """Bound every socket wait in the block by `per_op` and by `seconds` from now, all told."""
    deadline = Deadline(seconds)
    token = _LIMIT.set((deadline.end, per_op))
    try:
        yield deadline
    finally:
        _LIMIT.reset(token)


def cut(timeout: float | None) -> float | None:
    """`timeout`, shortened to what is left of the deadline in force (unchanged outside one)."""
    limit = _LIMIT.get()
    if limit is None:
        return timeout
    left = limit[0] - time.monotonic()
    if left <= 0:
        raise TimeoutError("the send deadline passed")
    return left if timeout is None else min(timeout, left)


def _bound(sock: socket.socket) -> None:
    limit = _LIMIT.get()
    if limit is not None:
        sock.settimeout(cut(limit[1]))


class BoundedSocket(socket.socket):
    """A plain socket whose every wait, inside `within()`, ends by the deadline."""

    @classmethod
    def adopt(cls, sock: socket.socket) -> BoundedSocket:
        """Take over a connected socket (its file descriptor and timeout)."""
        timeout = sock.gettimeout()
        bounded = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        bounded.settimeout(timeout)
        return bounded

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        _bound(self)
        return super().recv(bufsize, flags)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        _bound(self)
        return super().recv_into(buffer, nbytes, flags)

    def send(self, data: Any, flags: int = 0) -> int:
        _bound(self)
        return super().send(data, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        _bound(self)  # one timeout covers the whole sendall (Python >= 3.5)
        super().sendall(data, flags)


class BoundedSSLSocket(ssl.SSLSocket):
    """The TLS socket of a bounded connection (SSLContext.sslsocket_class); reads, writes and
    the handshake end by the deadline. recv, recv_into and sendall go through these."""

    def read(self, len: int = 1024, buffer: Any = None) -> Any:
        _bound(self)
        return super().read(len, buffer)

    def write(self, data: Any) -> int:
        _bound(self)
        return super().write(data)

    def send(self, data: Any, flags: int = 0) -> int:
        _bound(self)
        return super().send(data, flags)

    def do_handshake(self, block: bool = False) -> None:
        _bound(self)  # one timeout covers the whole handshake
        super().do_handshake(block)

    def unwrap(self) -> socket.socket:
        _bound(self)
        return super().unwrap()
