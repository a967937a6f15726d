"""Serve a WSGI app with waitress as a kit loop: runs until the stop event is set, then stops
accepting connections, lets requests in flight finish (up to a grace period) and closes.

waitress's own `serve()` only stops on a signal; here one thread owns waitress's socket map
and polls it, so shutdown happens on that thread, between polls, without racing the loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

from gridplus.kit.runner import Loop

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.1


def http_loop(
    app: Callable[..., Any],
    *,
    port: int,
    host: str = "0.0.0.0",
    threads: int = 16,
    grace_seconds: float = 10.0,
) -> Loop:
    """A loop for ServiceApp.add_loop serving `app` on host:port."""

    def run(stop: threading.Event) -> None:
        socket_map: dict[int, Any] = {}
        server = create_server(
            app,
            map=socket_map,
            host=host,
            port=port,
            threads=threads,
            ident="gridplus-petition",
            clear_untrusted_proxy_headers=True,
        )
        assert isinstance(server, BaseWSGIServer)  # one listen address, so one server
        log.info("HTTP API listening", extra={"http_port": server.effective_port})
        while not stop.is_set():
            wasyncore.loop(timeout=_POLL_SECONDS, map=socket_map, count=1)
        _drain(server, socket_map, grace_seconds)

    return run


def _drain(server: BaseWSGIServer, socket_map: dict[int, Any], grace_seconds: float) -> None:
    # Stop accepting: close only the listening socket; the trigger that wakes the loop when a
    # worker thread has a response ready must stay open until the end.
    wasyncore.dispatcher.close(server)
    deadline = time.monotonic() + grace_seconds
    while _in_flight(server) and time.monotonic() < deadline:
        wasyncore.loop(timeout=_POLL_SECONDS, map=socket_map, count=1)
    left = _in_flight(server)
    if left:
        log.warning("HTTP requests still running at shutdown", extra={"requests": left})
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
    wasyncore.close_all(socket_map)
    log.info("HTTP API stopped")


def _in_flight(server: BaseWSGIServer) -> int:
    """Connections with a request being read, handled, or a response not yet fully sent."""
    return sum(
        1
        for channel in list(server.active_channels.values())
        if channel.requests or channel.request is not None or channel.total_outbufs_len
    )
