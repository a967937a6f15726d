"""How a caught-up consumer waits between polls: the broker this project develops against
(noida-db) answers an empty fetch at once instead of holding it, so the consumer polls without
blocking and pauses itself (kit/consumer.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IdlePause:
    """How a caught-up consumer waits between empty polls: `first` after the first, doubling up
    to `most` while nothing comes. An empty poll costs ~0.6-1 ms of CPU in kafka-python against
    a broker that answers empty fetches at once (noida-db), so shorter pauses cost idle CPU."""

    first: float
    most: float

    def after(self, last: float) -> float:
        return min(self.most, max(self.first, last * 2))


# Consumers nobody waits on: ~5 polls/s idle.
DEFAULT_IDLE_PAUSE = IdlePause(first=0.05, most=0.2)
# On the path a resident waits on (submit -> ASSIGNED: dispatch, petition): an event waits ~5 ms
# at each hop under load and at most ~50 ms after a quiet spell (was up to 200), for ~20 polls/s
# (~2% of a core) while idle.
PATH_IDLE_PAUSE = IdlePause(first=0.005, most=0.05)
