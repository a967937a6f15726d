"""Webhook POSTs from one thread to one destination share a connection for a few seconds, and
only while the destination's check gives the same addresses: a host that now resolves elsewhere
gets a new connection to its new (checked) address."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gridplus.kit import egress
from gridplus.kit.egress import AllowList, EgressGuard, EgressRefused, IPAddress
from tests.support.ports import free_port

pytestmark = pytest.mark.integration


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int) -> None:
        self.connections: list[str] = []  # the address each new connection came to
        self.bodies: list[bytes] = []
        self.close_after_each = False
        self.hang_up_silently = False  # close after answering, without saying so
        super().__init__((host, port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless told otherwise
    server: Receiver

    def setup(self) -> None:
        super().setup()
        self.server.connections.append(self.connection.getsockname()[0])

    def do_POST(self) -> None:
        self.server.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        if self.server.close_after_each:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.server.hang_up_silently:
            self.close_connection = True

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    port = free_port()
    # Two loopback addresses on one port: "the same host name, resolving elsewhere now".
    servers = (Receiver("127.0.0.1", port), Receiver("127.0.0.2", port))
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


def guard_resolving(addresses: list[IPAddress]) -> EgressGuard:
    return EgressGuard(AllowList.parse("127.0.0.0/8"), resolver=lambda _host, _port: addresses)


def url(receiver: Receiver) -> str:
    return f"http://hooks.example:{receiver.server_address[1]}/in"


def test_posts_in_a_row_share_one_connection(receivers: tuple[Receiver, Receiver]) -> None:
    first, _ = receivers
    guard = guard_resolving([egress.ipaddress.ip_address("127.0.0.1")])
    statuses = [guard.post(url(first), b"n%d" % n, {}, timeout=5) for n in range(20)]
    assert statuses == [204] * 20
    assert first.bodies == [b"n%d" % n for n in range(20)]
    assert first.connections == ["127.0.0.1"]


def test_a_host_resolving_elsewhere_gets_a_new_connection_to_the_checked_address(
    receivers: tuple[Receiver, Receiver],
) -> None:
    first, second = receivers
    addresses = [egress.ipaddress.ip_address("127.0.0.1")]
    guard = EgressGuard(AllowList.parse("127.0.0.0/8"), resolver=lambda _h, _p: addresses)
    assert guard.post(url(first), b"one", {}, timeout=5) == 204
    addresses[:] = [egress.ipaddress.ip_address("127.0.0.2")]
    assert guard.post(url(first), b"two", {}, timeout=5) == 204
    assert (first.bodies, second.bodies) == ([b"one"], [b"two"])
    assert second.connections == ["127.0.0.2"]
    # Refused now: the open connection to a once-allowed address is no way around the check.
    strict = EgressGuard(AllowList.parse("127.0.0.1"), resolver=lambda _h, _p: addresses)
    with pytest.raises(EgressRefused):
        strict.post(url(first), b"three", {}, timeout=5)


def test_an_idle_connection_is_not_reused_after_the_keep_alive_time(
    receivers: tuple[Receiver, Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = receivers
    monkeypatch.setattr(egress, "KEEP_ALIVE_SECONDS", 0.2)
    guard = guard_resolving([egress.ipaddress.ip_address("127.0.0.1")])
    guard.post(url(first), b"one", {}, timeout=5)
    time.sleep(0.4)
    guard.post(url(first), b"two", {}, timeout=5)
    assert len(first.connections) == 2


def test_a_server_that_closes_connections_still_gets_every_post_once(
    receivers: tuple[Receiver, Receiver],
) -> None:
    first, _ = receivers
    first.close_after_each = True
    guard = guard_resolving([egress.ipaddress.ip_address("127.0.0.1")])
    for n in range(5):
        assert guard.post(url(first), b"n%d" % n, {}, timeout=5) == 204
    assert first.bodies == [b"n%d" % n for n in range(5)]
    assert len(first.connections) == 5


def test_a_connection_the_server_hung_up_is_replaced_and_the_post_sent_once(
    receivers: tuple[Receiver, Receiver],
) -> None:
    first, _ = receivers
    first.hang_up_silently = True
    guard = guard_resolving([egress.ipaddress.ip_address("127.0.0.1")])
    for n in range(5):
        assert guard.post(url(first), b"n%d" % n, {}, timeout=5) == 204
        time.sleep(0.05)  # the server's close reaches the client's socket first
    assert first.bodies == [b"n%d" % n for n in range(5)]
