"""How a caught-up consumer waits between polls: the broker this project develops against
(noida-db) answers an empty fetch at once instead of holding it, so the consumer polls without
blocking and pauses itself (kit/consumer.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IdlePause:
    """How a caught-up consumer waits between polls: `first` after the first empty poll,
    doubling up to `most` while nothing comes, and `after_batch` after a poll whose records
    left it caught up (the poll right after a batch finds nothing at a modest rate). An empty
    poll costs ~0.6-2 ms of CPU in kafka-python against a broker that answers empty fetches at
    once (noida-db), so shorter pauses cost idle CPU."""

    first: float
    most: float
    after_batch: float = 0.0

    def after(self, last: float) -> float:
        return min(self.most, max(self.first, last * 2))


# Consumers nobody waits on: ~5 polls/s idle, and one poll per 50 ms at most while events come
# one or two at a time (at 30 petitions/s notification's CPU per petition fell 9.9 -> 6.0 ms,
# evaluation's 7.0 -> 4.3 ms; the events wait up to 50 ms longer, and nobody waits on them).
DEFAULT_IDLE_PAUSE = IdlePause(first=0.05, most=0.2, after_batch=0.05)
# On the path a resident waits on (submit -> ASSIGNED: dispatch, petition): an event waits ~5 ms
# at each hop under load and at most ~50 ms after a quiet spell (was up to 200), for ~20 polls/s
# (~2% of a core) while idle. They look again at once after a batch: a pause there added ~5 ms
# to each of the two hops at 30/s for ~1 ms of CPU per petition.
PATH_IDLE_PAUSE = IdlePause(first=0.005, most=0.05, after_batch=0.0)
