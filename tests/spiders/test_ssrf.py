"""The SSRF guard on its own: schemes, literal addresses, resolved names, redirect targets.

The end-to-end refusal (a loopback crawl with private networks off) is in test_crawl.py.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import Response

from spiders import ssrf
from spiders.ssrf import BlockedRequest, SsrfGuardMiddleware, is_public


def guard(request: Request, allow_private: bool = False) -> None:
    """Run the middleware's coroutine outside Scrapy (it only awaits a thread when resolving)."""
    mw = SsrfGuardMiddleware(allow_private)

    async def go() -> None:
        await mw.process_request(request)

    from twisted.internet import threads

    real = threads.deferToThread

    def inline(f: Any, *a: Any, **kw: Any) -> Any:
        from twisted.internet import defer

        try:
            return defer.succeed(f(*a, **kw))
        except Exception as exc:
            return defer.fail(exc)

    threads.deferToThread = inline  # no reactor thread pool in a unit test
    try:
        asyncio.run(go())
    finally:
        threads.deferToThread = real


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/feed",
        "http://[::1]/x",
        "http://10.0.0.7/",
        "http://192.168.1.1/admin",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata, link-local
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
        "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the metadata address
        "http://[64:ff9b:1::a00:1]/",  # local-use NAT64 (RFC 8215)
        "http://[2002:7f00:1::1]/",  # 6to4 of 127.0.0.1
        "http://[2002:c0a8:101::]/",  # 6to4 of 192.168.1.1
        "http://[::127.0.0.1]/",  # IPv4-compatible loopback
        "http://[::10.0.0.7]/",  # IPv4-compatible RFC 1918
        "http://[::ffff:0:a00:7]/",  # IPv4-translated (SIIT) RFC 1918
        "http://localhost:8000/",
        "http://printer.local/",
    ],
)
def test_private_destinations_refused(url: str) -> None:
    with pytest.raises(BlockedRequest):
        guard(Request(url))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "data:text/html,hi", "ftp://example.org/x"])
def test_non_http_schemes_refused_even_when_private_allowed(url: str) -> None:
    with pytest.raises(BlockedRequest):
        ssrf.check_scheme(url)


def test_public_literal_and_allowed_private_pass() -> None:
    guard(Request("http://93.184.216.34/"))
    guard(Request("http://127.0.0.1:8080/"), allow_private=True)


def test_hostname_resolving_to_private_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {"intranet.example.org": "10.1.2.3", "news.example.org": "93.184.216.34"}

    def fake(host: str, port: int, type: int = 0) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", fake)
    with pytest.raises(BlockedRequest, match="resolves to private"):
        guard(Request("https://intranet.example.org/feed"))
    guard(Request("https://news.example.org/feed"))


EMBEDDED_PRIVATE = ["64:ff9b::a00:1", "2002:a00:1::1", "::10.0.0.1", "::ffff:0:a00:1",
                    "64:ff9b::7f00:1", "2002:a9fe:a9fe::", "::169.254.169.254"]


@pytest.mark.parametrize("address", EMBEDDED_PRIVATE)
def test_hostname_resolving_to_ipv6_wrapping_a_private_ipv4_is_refused(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    """The resolver is mocked: nothing is ever connected to."""

    def fake(host: str, port: int, type: int = 0) -> list[Any]:
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", fake)
    with pytest.raises(BlockedRequest, match="resolves to private"):
        guard(Request("https://nat64.example.org/feed"))


@pytest.mark.parametrize("address", EMBEDDED_PRIVATE)
def test_connect_time_resolver_refuses_ipv6_wrapping_a_private_ipv4(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    """GuardedResolver, fed the answer a rebinding DNS server would give at connect time."""
    from twisted.internet import defer
    from twisted.internet.error import DNSLookupError

    def answer(self: Any, name: str, timeout: Any = ()) -> Any:
        return defer.succeed(address)

    monkeypatch.setattr(ssrf.CachingThreadedResolver, "getHostByName", answer)
    resolver = ssrf.GuardedResolver.__new__(ssrf.GuardedResolver)  # no reactor needed
    failures: list[Any] = []
    resolver.getHostByName("rebind.example.org").addErrback(failures.append)
    assert len(failures) == 1 and failures[0].check(DNSLookupError), address


def test_redirect_to_file_scheme_refused_by_name() -> None:
    mw = SsrfGuardMiddleware(allow_private=True)
    req = Request("http://127.0.0.1/faults/redirect")
    resp = Response(req.url, status=302, headers={"Location": "file:///etc/passwd"}, request=req)
    with pytest.raises(BlockedRequest, match="file"):
        mw.process_response(req, resp)
    ok = Response(req.url, status=200, request=req)
    assert mw.process_response(req, ok) is ok


def test_is_public() -> None:
    assert is_public(ipaddress.ip_address("8.8.8.8"))
    assert not is_public(ipaddress.ip_address("fd00::1"))
    assert not is_public(ipaddress.ip_address("224.0.0.1"))
    # IPv6 forms wrapping a public IPv4 stay public: NAT64, 6to4, IPv4-compatible.
    for wrapped in ("64:ff9b::808:808", "2002:808:808::1", "::8.8.8.8", "::ffff:8.8.8.8"):
        assert is_public(ipaddress.ip_address(wrapped)), wrapped
    assert is_public(ipaddress.ip_address("2a00:1450:4001:80b::200e"))
