"""`unionwatch web`'s listening socket: its connections send small writes at once."""

from __future__ import annotations

import asyncio
import socket

import pytest

from scheduler.webserve import listening_socket


def _nodelay_of_accepted(sock: socket.socket) -> int:
    """TCP_NODELAY on the server side of one connection, as asyncio (and so uvicorn) sets it."""

    async def main() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                conn = transport.get_extra_info("socket")
                seen.set_result(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        host, port = sock.getsockname()[:2]
        try:
            _, writer = await asyncio.open_connection(host, port)
            value = await asyncio.wait_for(seen, 10)
            writer.close()
            return value
        finally:
            server.close()
            await server.wait_closed()

    return asyncio.run(main())


def test_connections_of_the_web_socket_have_nagle_off() -> None:
    # With Nagle on, each kept-alive response waited ~40 ms for the client's delayed ACK.
    assert _nodelay_of_accepted(listening_socket("127.0.0.1", 0)) != 0


def test_a_plain_socket_would_not_have_it() -> None:
    """What the helper exists for: asyncio leaves Nagle on for a socket made without IPPROTO_TCP."""
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    plain.bind(("127.0.0.1", 0))
    plain.listen(8)
    assert _nodelay_of_accepted(plain) == 0


def test_a_taken_port_is_an_oserror() -> None:
    first = listening_socket("127.0.0.1", 0)
    try:
        with pytest.raises(OSError):
            listening_socket("127.0.0.1", first.getsockname()[1])
    finally:
        first.close()
