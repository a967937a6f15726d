"""Free loopback ports for servers a test starts.

Not the kernel's pick (bind to port 0): that comes from the ephemeral range, the same range every
outgoing connection's source port comes from, so between this function closing its socket and
the service binding the port, a Kafka or HTTP client of a parallel test could take it (seen:
"Address already in use" from a service started by the chaos tests under `pytest -n 4`). Ports
here come from below the ephemeral range (32768-60999 on Linux), a block of its own per pytest
worker, in turn from a random place in it (so a process never hands out the same port twice in
a row), and are checked free by binding.
"""

from __future__ import annotations

import os
import random
import socket
import time

_FIRST = 20_000  # 20000-28999: below Linux's ephemeral range, above most well-known services
_BLOCK = 1_000  # ports per pytest-xdist worker (gw0 .. gw7); anything else takes the last block
_BLOCKS = 8


def _block() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else _BLOCKS
    start = _FIRST + (index % (_BLOCKS + 1)) * _BLOCK
    return range(start, start + _BLOCK)


_next: int | None = None  # where this process looks next: ports it handed out are not reused soon


def free_port() -> int:
    """A port nobody listens on, never one this process handed out in its last ~1,000 calls (a
    stack asks for twenty before binding any: a random pick each time gave duplicates)."""
    global _next
    block = _block()
    if _next is None:
        _next = random.randrange(len(block))
    for step in range(len(block)):
        index = (_next + step) % len(block)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", block[index]))
            except OSError:
                continue
        _next = index + 1
        return block[index]
    raise RuntimeError(f"no free loopback port in {block.start}-{block.stop - 1}")


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")
