"""Outgoing connections go only to public addresses unless the operator allows more (SSRF guard).

A webhook URL comes from a caller, an SMS gateway or mail relay from configuration; any of them
can name loopback, a private network or the cloud metadata endpoint (169.254.169.254) in some
spelling — `127.1`, `2130706433`, `0x7f.1`, `0177.0.0.1`, `[::ffff:127.0.0.1]` — or by a name
that resolves there. So every outgoing connection goes through `EgressGuard`, which

1. resolves the host once (numeric forms are read as the C library reads them, never looked up);
2. refuses it unless every address is public — global, not multicast or reserved, and any IPv4
   address embedded in an IPv6 one public too — or allowed by GRIDPLUS_EGRESS_ALLOW;
3. connects to exactly the addresses it checked: no second lookup that a hostile DNS server
   could answer differently (DNS rebinding);
4. never follows a redirect (`post` returns the 3xx status; the caller decides).

`post` keeps a connection open per thread and destination for a few seconds and sends the next
POST to the same checked addresses over it (a TLS handshake and a TCP connect per delivery
were most of a webhook's cost); the URL is checked again before each POST all the same, and a
connection is reused only when the check gives exactly the addresses it was opened to.

GRIDPLUS_EGRESS_ALLOW: comma-separated exceptions, each a host name, an IP address or a CIDR
network, optionally with a port: `relay.mail.svc.cluster.local:25`, `10.20.0.0/16`,
`127.0.0.1:8099`, `[fd00::/8]:443`, `[::1]:8099`. A host-name rule matches the host as written
in the URL (its addresses are then trusted); an address rule matches the resolved address.
Nothing else is ever allowed: an empty setting means public addresses only.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from gridplus.kit.config import ConfigError, Env

ALLOW_VARIABLE = "GRIDPLUS_EGRESS_ALLOW"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[IPAddress]]

_HOST_NAME = re.compile(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?")
# Dotted numbers: inet_aton reads 1 to 4 such parts (decimal, octal with a leading 0, hex with
# 0x) as IPv4; with more parts it is no address at all, and no name DNS could answer either.
_NUMERIC = re.compile(r"(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*")
_UNSAFE_IN_URL = re.compile(r"[\x00-\x20\x7f]")  # what http.client refuses in a request line
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


class EgressRefused(Exception):
    """The destination is not one this process may connect to; asking again will not help."""


class HostUnresolved(OSError):
    """The host name does not resolve now (an OSError: like a refused connection, it may pass)."""


# -- which addresses ----------------------------------------------------------------------------


def refusal(address: IPAddress) -> str | None:
    """Why `address` is not a public one ("loopback", "private", ...), or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or _compatible(address)
        if embedded is not None:
            # ::ffff:127.0.0.1 and 2002:7f00:1:: reach 127.0.0.1: judge what they reach.
            inner = refusal(embedded)
            return None if inner is None else f"{inner} (IPv4 inside IPv6)"
    checks: tuple[tuple[bool, str], ...] = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (address in _SHARED, "shared (carrier-grade NAT)"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (not address.is_global, "non-public"),
    )
    return next((why for failed, why in checks if failed), None)


def _compatible(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    # Deprecated IPv4-compatible form ::a.b.c.d (:: and ::1 themselves are IPv6's own).
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


# -- the allow-list ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AllowRule:
    """One exception: a host name or an address range, on one port or any (None)."""

    port: int | None
    host: str | None = None
    network: IPNetwork | None = None

    def matches_host(self, host: str, port: int) -> bool:
        return self.host is not None and self.host == host and self.port in (None, port)

    def matches_address(self, address: IPAddress, port: int) -> bool:
        if self.network is None or self.port not in (None, port):
            return False
        return address.version == self.network.version and address in self.network


@dataclass(frozen=True)
class AllowList:
    rules: tuple[AllowRule, ...] = ()

    @classmethod
    def parse(cls, text: str) -> AllowList:
        """From `host[:port], ip[:port], cidr[:port], [ipv6 or cidr][:port]`; ValueError names
        the entry that is none of these."""
        return cls(tuple(_rule(entry.strip()) for entry in text.split(",") if entry.strip()))

    def allows_host(self, host: str, port: int) -> bool:
        return any(rule.matches_host(host, port) for rule in self.rules)

    def allows_address(self, address: IPAddress, port: int) -> bool:
        return any(rule.matches_address(address, port) for rule in self.rules)


def _rule(entry: str) -> AllowRule:
    target, port = _split_port(entry)
    try:
        return AllowRule(port, network=ipaddress.ip_network(target, strict=False))
    except ValueError:
        pass
    host = target.lower()
    if not _HOST_NAME.fullmatch(host) or _NUMERIC.fullmatch(host):
        raise ValueError(f"{entry!r} is not a host, IP address or CIDR network (with :port)")
    return AllowRule(port, host=host.rstrip("."))


def _split_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):
        inside, _, rest = entry[1:].partition("]")
        return inside, _port(entry, rest.removeprefix(":")) if rest else None
    if entry.count(":") == 1:
        target, _, port = entry.partition(":")
        return target, _port(entry, port)
    return entry, None  # no port, or a bare IPv6 address or network


def _port(entry: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{entry!r}: the port must be a number from 1 to 65535")
    return int(text)


# -- the guard ----------------------------------------------------------------------------------


def system_resolver(host: str, port: int) -> list[IPAddress]:
    """The host's addresses from the operating system's resolver, in its order, once each."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise HostUnresolved(f"the host does not resolve ({exc})") from None
    addresses: list[IPAddress] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]))
        if address not in addresses:
            addresses.append(address)
    return addresses


@dataclass(frozen=True)
class Destination:
    """A checked host: connect to `addresses` (and nothing else); `host` for Host and TLS."""

    host: str
    port: int
    addresses: tuple[IPAddress, ...]


@dataclass(frozen=True)
class HttpTarget:
    destination: Destination
    tls: bool
    path: str  # path and query, as sent in the request line


# A kept connection is dropped after this long unused: well under the keep-alive timeouts of
# common servers (5 s in Apache httpd and Node.js), so a server seldom closes one under us.
KEEP_ALIVE_SECONDS = 2.0
# A response body longer than this is not read to its end; the connection is closed instead.
_DRAIN_LIMIT = 64 * 1024

_RETRY_ON_FRESH = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class _KeptConnections(threading.local):
    """One thread's idle connections by (TLS, checked destination), with when each was last used."""

    def __init__(self) -> None:
        self.idle: dict[tuple[bool, Destination], tuple[http.client.HTTPConnection, float]] = {}


class EgressGuard:
    def __init__(
        self, allow: AllowList | None = None, resolver: Resolver = system_resolver
    ) -> None:
        self._allow = allow or AllowList()
        self._resolver = resolver
        self._kept = _KeptConnections()

    @classmethod
    def from_env(cls, env: Env) -> EgressGuard:
        try:
            return cls(AllowList.parse(env.optional(ALLOW_VARIABLE) or ""))
        except ValueError as exc:
            raise ConfigError(f"{ALLOW_VARIABLE}: {exc}") from None

    def check(self, host: str, port: int) -> Destination:
        """The host's addresses, all of them public or allowed; EgressRefused naming why not,
        HostUnresolved when it has none."""
        name = _host(host)
        literal = _literal(name)
        addresses = (literal,) if literal is not None else tuple(self._resolver(name, port))
        if not addresses:
            raise HostUnresolved("the host has no address")
        if not self._allow.allows_host(name, port):
            for address in addresses:
                self._check_address(literal is not None, address, port)
        return Destination(name, port, addresses)

    def check_url(self, url: str) -> HttpTarget:
        if _UNSAFE_IN_URL.search(url):
            raise EgressRefused(
                "must not contain spaces or control characters; percent-encode them"
            )
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EgressRefused("must be an absolute http or https URL")
        if parts.username is not None or parts.password is not None:
            raise EgressRefused("must not carry a user name or password")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise EgressRefused("the port must be a number from 1 to 65535") from None
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return HttpTarget(self.check(parts.hostname, port), parts.scheme == "https", path)

    def connect(self, destination: Destination, timeout: float | None) -> socket.socket:
        """A TCP connection to the first of the checked addresses that answers."""
        failure: OSError = OSError("no address to connect to")
        for address in destination.addresses:
            try:
                return socket.create_connection((str(address), destination.port), timeout)
            except OSError as exc:
                failure = exc
        raise failure

    def post(self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float) -> int:
        """POST to a checked address; the response status, redirects included (not followed).
        Raises EgressRefused, or OSError (HostUnresolved among them) when it cannot connect."""
        target = self.check_url(url)
        kept = self._take_kept(target, timeout)
        if kept is not None:
            try:
                return self._exchange(kept, target, body, headers)
            except _RETRY_ON_FRESH:
                pass  # the server closed the idle connection first: once more on a new one
        pinned = _PinnedHttps if target.tls else _PinnedHttp
        connection = pinned(self, target.destination, timeout)
        return self._exchange(connection, target, body, headers)

    def _exchange(
        self,
        connection: http.client.HTTPConnection,
        target: HttpTarget,
        body: bytes,
        headers: Mapping[str, str],
    ) -> int:
        keep = False
        try:
            connection.request("POST", target.path, body=body, headers=dict(headers))
            response = connection.getresponse()
            # The body is not used: read it to its end so the connection can carry the next.
            response.read(_DRAIN_LIMIT)
            keep = response.isclosed() and not response.will_close
            return response.status
        except http.client.HTTPException as exc:
            if isinstance(exc, _RETRY_ON_FRESH):
                raise
            raise OSError(f"bad HTTP answer: {type(exc).__name__}") from None
        finally:
            if keep:
                self._kept.idle[(target.tls, target.destination)] = (connection, time.monotonic())
            else:
                connection.close()

    def _take_kept(self, target: HttpTarget, timeout: float) -> http.client.HTTPConnection | None:
        """This thread's open connection to exactly these checked addresses, if still fresh."""
        idle = self._kept.idle
        now = time.monotonic()
        for key, (stale, since) in list(idle.items()):
            if now - since > KEEP_ALIVE_SECONDS:
                del idle[key]
                stale.close()
        found = idle.pop((target.tls, target.destination), None)
        if found is None:
            return None
        connection = found[0]
        connection.timeout = timeout
        if connection.sock is not None:
            connection.sock.settimeout(timeout)
        return connection

    def _check_address(self, literal: bool, address: IPAddress, port: int) -> None:
        if self._allow.allows_address(address, port):
            return
        why = refusal(address)
        if why is not None:
            # The host is not named: a delivery's reason and the logs stay free of addresses.
            said = "the host is" if literal else "the host resolves to"
            article = "an" if why[0] in "aeiou" else "a"
            raise EgressRefused(
                f"{said} {article} {why} address; only public addresses are allowed"
                f" unless {ALLOW_VARIABLE} lists the destination"
            )


def _host(host: str) -> str:
    """Lower-case ASCII host (IDNA for international names), brackets of IPv6 removed."""
    host = host.strip("[]").lower()
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        name = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise EgressRefused("the host is not a valid host name") from None
    if not _HOST_NAME.fullmatch(name):
        raise EgressRefused("the host is not a valid host name")
    return name.rstrip(".")  # "example.org." is example.org, also to the allow-list


def _literal(host: str) -> IPAddress | None:
    """The address a numeric host stands for (127.1 and 2130706433 are 127.0.0.1), or None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not _NUMERIC.fullmatch(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        raise EgressRefused("the host is not a valid IPv4 address") from None


class _PinnedHttp(http.client.HTTPConnection):
    """HTTP to the guard's checked addresses; Host says the name the URL gave."""

    def __init__(self, guard: EgressGuard, destination: Destination, timeout: float) -> None:
        super().__init__(destination.host, destination.port, timeout=timeout)
        self._guard = guard
        self._destination = destination

    def connect(self) -> None:
        self.sock = self._guard.connect(self._destination, self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHttps(http.client.HTTPSConnection):
    """HTTPS to the checked addresses; the certificate is verified for the URL's host name."""

    def __init__(self, guard: EgressGuard, destination: Destination, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(destination.host, destination.port, timeout=timeout, context=self._tls)
        self._guard = guard
        self._destination = destination

    def connect(self) -> None:
        raw = self._guard.connect(self._destination, self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self._destination.host)
