"""Process lifecycle: start a service's parts, and on SIGTERM or Ctrl-C stop taking work, drain,
commit and exit within the pod's grace period."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from gridplus.kit import metrics
from gridplus.kit.grpc_server import GrpcServer

log = logging.getLogger(__name__)

Loop = Callable[[threading.Event], None]


@dataclass
class _Part:
    name: str
    thread: threading.Thread


def is_database_outage(exc: BaseException) -> bool:
    """A lost or refused database connection (failover, restart, network), not a bug."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class ServiceRunner:
    def __init__(
        self,
        name: str,
        grace_seconds: float,
        *,
        restart_backoff: tuple[float, float] = (1.0, 30.0),
    ) -> None:
        self.name = name
        self._grace = grace_seconds
        self._restart_backoff = restart_backoff
        self.stopping = threading.Event()
        self._loops: list[tuple[str, Loop]] = []
        self._parts: list[_Part] = []
        self._on_stop: list[Callable[[], None]] = []

    def add_loop(self, name: str, loop: Loop) -> None:
        """A background loop (consumer, outbox relay, scanner) that returns once stop is set."""
        self._loops.append((name, loop))

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Run after the loops have drained (close HTTP servers, dispose engines), in order."""
        self._on_stop.append(callback)

    def run(self, server: GrpcServer, *, ready: Callable[[], None] | None = None) -> None:
        signal.signal(signal.SIGTERM, self._signal)
        signal.signal(signal.SIGINT, self._signal)
        server.start()
        for name, loop in self._loops:
            thread = threading.Thread(target=self.supervise(name, loop), name=name, daemon=True)
            thread.start()
            self._parts.append(_Part(name, thread))
        server.set_serving(True)
        log.info("service started", extra={"grpc_port": server.port})
        if ready:
            ready()
        while not self.stopping.wait(0.5):
            pass
        self._shutdown(server)

    def _signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("stop requested", extra={"signal": signal.Signals(signum).name})
        self.stopping.set()

    def supervise(self, name: str, loop: Loop) -> Callable[[], None]:
        """The body of a loop's thread: a loop that fails on a database outage is restarted
        after a growing pause (the database comes back; the pod need not restart); any other
        failure stops the service."""

        def run() -> None:
            first, longest = self._restart_backoff
            pause = first
            while not self.stopping.is_set():
                started = time.monotonic()
                try:
                    loop(self.stopping)
                    return
                except Exception as exc:
                    if not is_database_outage(exc):
                        # A loop that dies leaves the service half-working; stopping lets the
                        # orchestrator restart it whole rather than hiding the failure.
                        log.exception(
                            "background loop crashed; stopping the service", extra={"loop": name}
                        )
                        self.stopping.set()
                        return
                    if time.monotonic() - started > longest:
                        pause = first  # it ran well for a while: start the backoff afresh
                    log.warning(
                        "background loop lost the database; restarting it",
                        extra={"loop": name, "error": repr(exc), "pause_seconds": pause},
                    )
                    metrics.LOOP_RESTARTS.labels(name).inc()
                    self.stopping.wait(pause)
                    pause = min(longest, pause * 2)

        return run

    def _shutdown(self, server: GrpcServer) -> None:
        deadline = time.monotonic() + self._grace
        drained = server.stop(self._grace * 0.5)
        for part in self._parts:
            part.thread.join(max(0.1, deadline - time.monotonic()))
            if part.thread.is_alive():
                log.warning("loop did not stop in time", extra={"loop": part.name})
        drained.wait(max(0.0, deadline - time.monotonic()))
        for callback in self._on_stop:
            try:
                callback()
            except Exception:
                log.exception("error while stopping")
        log.info("service stopped")
