"""The signal the delivery worker idles on: a notify wakes it, and so does a stop, within half a
second, however long the idle wait (a worker asleep for its whole wait had held up shutdown for
the grace period)."""

from __future__ import annotations

import threading
import time

from gridplus.notification.handlers.signals import Signal


def test_a_notify_wakes_a_waiter_with_the_new_version() -> None:
    signal = Signal()
    threading.Timer(0.05, signal.notify).start()
    started = time.monotonic()
    assert signal.wait(0, 10.0) == 1
    assert time.monotonic() - started < 5.0


def test_a_stop_ends_a_long_idle_wait_within_half_a_second() -> None:
    signal, stop = Signal(), threading.Event()
    threading.Timer(0.05, stop.set).start()
    started = time.monotonic()
    assert signal.wait(0, 30.0, stop) == 0
    assert time.monotonic() - started < 2.0


def test_without_news_or_stop_the_wait_lasts_its_timeout() -> None:
    started = time.monotonic()
    assert Signal().wait(0, 0.2, threading.Event()) == 0
    assert time.monotonic() - started >= 0.2
