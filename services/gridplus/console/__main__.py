"""Run the staff console: python -m gridplus.console serve

Served by waitress until SIGTERM or Ctrl-C; then it stops accepting, lets requests in flight
finish (up to GRIDPLUS_SHUTDOWN_GRACE_SECONDS) and exits."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from collections.abc import Sequence
from types import FrameType
from typing import Any

from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

from gridplus.console.app import create_app
from gridplus.console.config import ConsoleSettings
from gridplus.kit.logging import configure_logging

log = logging.getLogger("gridplus.console")
_POLL_SECONDS = 0.1


def serve(settings: ConsoleSettings, *, host: str = "0.0.0.0") -> None:
    app = create_app(settings)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("stop requested", extra={"signal": signal.Signals(signum).name})
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    socket_map: dict[int, Any] = {}
    server = create_server(
        app,
        map=socket_map,
        host=host,
        port=settings.http_port,
        threads=16,
        ident="gridplus-console",
        clear_untrusted_proxy_headers=True,
    )
    assert isinstance(server, BaseWSGIServer)  # one listen address
    log.info("console listening", extra={"http_port": server.effective_port})
    while not stop.is_set():
        wasyncore.loop(timeout=_POLL_SECONDS, map=socket_map, count=1)
    # Stop accepting, then let what is in flight finish.
    wasyncore.dispatcher.close(server)
    deadline = time.monotonic() + settings.grace_seconds
    while any(c.requests or c.total_outbufs_len for c in list(server.active_channels.values())):
        if time.monotonic() > deadline:
            break
        wasyncore.loop(timeout=_POLL_SECONDS, map=socket_map, count=1)
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
    wasyncore.close_all(socket_map)
    log.info("console stopped")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gridplus.console")
    parser.add_argument("command", choices=["serve"])
    parser.parse_args(argv)
    settings = ConsoleSettings.from_env()
    configure_logging("console", settings.log_level)
    serve(settings)


if __name__ == "__main__":
    main()
