"""A TCP proxy in front of the development broker, so that the scaled stack can restart it as
Kafka's controlled shutdown does: stop serving clients first, then stop.

Why: noida-db 0.2.3, on SIGTERM, takes its snapshot and then still acknowledges produce requests
for ~60 ms before it exits; those acknowledged messages are gone after the restart (everything
acknowledged before the SIGTERM is kept). Apache Kafka stops serving clients before it stops, and
the outbox relay marks an event sent only after its ack (acks=all), so in production nothing
acknowledged is lost. With the proxy the stack does the same: `pause()` closes every client
connection and refuses new ones (clients see the broker down and retry), then the broker gets
SIGTERM and exits, starts again, and `resume()` lets clients in.

noida advertises the port it listens on (no advertised-listener option), so the proxy rewrites the
broker's address in the responses that carry one (Metadata, FindCoordinator, DescribeCluster):
"127.0.0.1" + the broker's port becomes "127.0.0.1" + the proxy's port, the same number of bytes.
Clients therefore always come back through the proxy.

One thread accepts; each connection gets two threads, one per direction, reading whole Kafka
frames (int32 size, then the frame).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections import Counter

HOST = "127.0.0.1"
# Requests whose response names brokers by host and port.
_ADDRESS_APIS = {3, 10, 60}  # Metadata, FindCoordinator, DescribeCluster


class BrokerProxy:
    """Clients connect to 127.0.0.1:`port`; frames go to the broker on 127.0.0.1:`upstream`."""

    def __init__(self, port: int, upstream: int) -> None:
        self.port = port
        self.upstream = upstream
        self._ours = HOST.encode() + struct.pack(">i", port)
        self._theirs = HOST.encode() + struct.pack(">i", upstream)
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._serving = threading.Event()
        self._closed = threading.Event()
        self._unanswered: frozenset[int] = frozenset()
        self.requests: Counter[int] = Counter()  # Kafka API key -> requests passed on (tests)
        self._listener = socket.create_server((HOST, port), reuse_port=False, backlog=128)
        self._thread = threading.Thread(target=self._accept, name="broker-proxy", daemon=True)

    def start(self) -> None:
        self._serving.set()
        self._thread.start()

    def pause(self) -> None:
        """Refuse clients: close every connection (both sides); new ones are closed at once."""
        with self._lock:
            self._serving.clear()
            connections, self._connections = self._connections, set()
        for sock in connections:
            _close(sock)

    def resume(self) -> None:
        self._serving.set()

    def leave_unanswered(self, api_keys: frozenset[int]) -> None:
        """Swallow requests of these Kafka APIs, connections kept: a broker too busy to answer
        them (fault injection for tests, e.g. OffsetCommit = 8). An empty set answers all again."""
        self._unanswered = api_keys

    def close(self) -> None:
        self._closed.set()
        self.pause()
        _close(self._listener)
        self._thread.join(5)

    # -- inside ---------------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._serving.is_set():
                _close(client)
                continue
            try:
                broker = socket.create_connection((HOST, self.upstream), timeout=5)
                broker.settimeout(None)
            except OSError:
                _close(client)  # the broker is down: so is the proxy, for this client
                continue
            with self._lock:
                if not self._serving.is_set():  # paused while connecting
                    _close(client)
                    _close(broker)
                    continue
                self._connections.update((client, broker))
            pending: dict[int, int] = {}  # correlation id -> api key, of address-carrying requests
            for source, target, requests in ((client, broker, True), (broker, client, False)):
                threading.Thread(
                    target=self._pump,
                    args=(source, target, pending, requests),
                    name="broker-proxy-pump",
                    daemon=True,
                ).start()

    def _pump(
        self, source: socket.socket, target: socket.socket, pending: dict[int, int], requests: bool
    ) -> None:
        try:
            while True:
                frame = _read_frame(source)
                if frame is None:
                    break
                if requests:
                    # Request header: api_key int16, api_version int16, correlation_id int32.
                    api_key, _, correlation = struct.unpack_from(">hhi", frame, 4)
                    self.requests[api_key] += 1
                    if api_key in self._unanswered:
                        continue
                    if api_key in _ADDRESS_APIS:
                        pending[correlation] = api_key
                else:
                    (correlation,) = struct.unpack_from(">i", frame, 4)
                    if pending.pop(correlation, None) is not None:
                        frame = frame.replace(self._theirs, self._ours)
                target.sendall(frame)
        except OSError:
            pass
        finally:
            with self._lock:
                self._connections.discard(source)
                self._connections.discard(target)
            _close(source)
            _close(target)


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def _read_frame(sock: socket.socket) -> bytes | None:
    """One Kafka frame with its size prefix, or None at the end of the stream."""
    head = _read_exactly(sock, 4)
    if head is None:
        return None
    (size,) = struct.unpack(">i", head)
    body = _read_exactly(sock, size)
    return None if body is None else head + body


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
