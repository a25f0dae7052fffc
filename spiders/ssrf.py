"""Refusing requests to local files, data: URLs and private networks (SSRF).

Configured URLs and every redirect target pass through the downloader middlewares again,
so one check in process_request covers both. Hostnames are resolved (off the reactor
thread) and every address they resolve to must be public. The resolver the connection
uses later could in theory answer differently (DNS rebinding); GuardedResolver closes
that gap for hostnames by refusing private answers at connect time too.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

logger = logging.getLogger(__name__)
ALLOWED_SCHEMES = frozenset({"http", "https"})
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# IPv6 prefixes whose last 32 bits are an IPv4 address that a gateway or the host itself
# connects to: NAT64 (RFC 6052) and IPv4-translated (SIIT, RFC 2765).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
# Local-use NAT64 (RFC 8215): the IPv4 part may sit anywhere, and nothing in it is public.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


class BlockedRequest(IgnoreRequest):
    """A request refused by policy (scheme or address); recorded as error kind 'blocked'."""


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for: mapped, NAT64, SIIT, 6to4, IPv4-compatible."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or ip in _TRANSLATED or int(ip) >> 32 == 0:  # the last: ::a.b.c.d
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: Address) -> bool:
    """False for loopback, RFC 1918, link-local (169.254/16, metadata), CGNAT, reserved...,
    and for IPv6 forms that wrap such an IPv4 address (a NAT64 gateway or 6to4 relay would
    connect to it)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return False
        inner = embedded_ipv4(ip)
        if inner is not None:
            ip = inner
    return ip.is_global and not ip.is_multicast


def check_scheme(url: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise BlockedRequest(f"scheme {scheme or '(none)'!r} is not allowed: {url}")


def literal_ip(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _resolve(host: str, port: int) -> list[Address]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


class SsrfGuardMiddleware:
    """Downloader middleware at order 40: before robots.txt (100), so a refused host does
    not even get its robots.txt fetched."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._verdicts: dict[str, str | None] = {}  # host -> reason refused, or None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SsrfGuardMiddleware:
        return cls(crawler.settings.getbool("UNIONWATCH_ALLOW_PRIVATE_NETWORKS"))

    async def process_request(self, request: Request) -> None:
        check_scheme(request.url)
        if self.allow_private:
            return None
        parts = urlsplit(request.url)
        host = (parts.hostname or "").lower()
        if not host:
            raise BlockedRequest(f"no host in {request.url}")
        if host not in self._verdicts:
            self._verdicts[host] = await self._judge(host, parts.port or 443)
        reason = self._verdicts[host]
        if reason:
            raise BlockedRequest(f"{reason}: {request.url}")
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        """A redirect Scrapy would not follow (file:, data:, ftp:) is refused by name here,
        rather than surfacing as an unexplained HTTP 3xx."""
        location = response.headers.get(b"Location")
        if 300 <= response.status < 400 and location:
            check_scheme(urljoin(request.url, location.decode("latin-1")))
        return response

    async def _judge(self, host: str, port: int) -> str | None:
        ip = literal_ip(host)
        if ip is not None:
            return None if is_public(ip) else f"private address {ip}"
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            return f"local host name {host}"
        try:
            addrs: list[Address] = await maybe_deferred_to_future(
                threads.deferToThread(_resolve, host, port)
            )
        except OSError:
            return None  # let the download fail as a DNS error, with Scrapy's retries
        private = [a for a in addrs if not is_public(a)]
        return f"{host} resolves to private address {private[0]}" if private else None


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver that refuses private answers unless allowed.

    Installed on the reactor for the whole child (TWISTED_DNS_RESOLVER), so it covers the
    connection itself, not just the middleware's look-up.
    """

    allow_private = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> GuardedResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private = crawler.settings.getbool("UNIONWATCH_ALLOW_PRIVATE_NETWORKS")
        return resolver

    def getHostByName(self, name: str, timeout: Any = ()) -> Deferred[str]:
        d = super().getHostByName(name, timeout)
        if self.allow_private:
            return d

        def check(address: str) -> str:
            ip = literal_ip(address)
            if ip is not None and not is_public(ip):
                raise DNSLookupError(f"{name} resolves to private address {ip}; refused")
            return address

        return d.addCallback(check)
