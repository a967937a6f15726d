"""The escalation ladder: who hears about an overdue petition, and when.

Rung 1 goes out when the breach is detected (offset 0 by default: the grid chief); later rungs
follow at their offsets after the deadline (by default one hour: the level-2 chief and the
department head). Configurable as `0:grid_chief;3600:level2_chief+department_head`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Target(StrEnum):
    GRID_CHIEF = "grid_chief"  # chief of the petition's level-3 grid
    LEVEL2_CHIEF = "level2_chief"  # chief of the level-2 grid above it
    DEPARTMENT_HEAD = "department_head"  # head of the responsible department


@dataclass(frozen=True)
class Rung:
    after_seconds: int  # after the deadline
    targets: tuple[Target, ...]


Ladder = tuple[Rung, ...]

DEFAULT_LADDER = "0:grid_chief;3600:level2_chief+department_head"


def parse_ladder(text: str) -> Ladder:
    rungs = []
    for part in text.split(";"):
        if not part.strip():
            continue
        offset, sep, names = part.partition(":")
        if not sep:
            raise ValueError(f"{part!r} is not seconds:target[+target...]")
        targets = tuple(Target(name.strip()) for name in names.split("+") if name.strip())
        rungs.append(Rung(int(offset), targets))
    if not rungs:
        raise ValueError("the escalation ladder needs at least one rung")
    if [r.after_seconds for r in rungs] != sorted(r.after_seconds for r in rungs):
        raise ValueError("escalation rungs must be in order of their offsets")
    return tuple(rungs)


def next_escalation(ladder: Ladder, climbed: int, deadline: datetime) -> datetime | None:
    """When rung `climbed + 1` is due (None once the ladder is climbed)."""
    if climbed >= len(ladder):
        return None
    return deadline + timedelta(seconds=ladder[climbed].after_seconds)
