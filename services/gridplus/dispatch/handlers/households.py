"""The household replica: HouseholdChanged from grid-registry keeps dispatch's copy of each
household (grid, place, care members with their groups and shortest interval) and the care
clocks. A newer version replaces what is held, an older or equal one changes nothing; a removed
household, and a member no longer in a care group, stops their clocks. No personal data arrives
or is kept: ids, codes and intervals only."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from gridplus.dispatch.domain.care import CareClock, interval_seconds
from gridplus.dispatch.domain.visits import Household
from gridplus.dispatch.storage import care

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CareMember:
    member_id: str
    care_groups: tuple[str, ...]
    interval_days: int


@dataclass(frozen=True)
class HouseholdChange:
    household: Household
    care_members: tuple[CareMember, ...]
    member_count: int
    changed_at: datetime


class HouseholdReplica:
    def __init__(self, *, overrides: Mapping[str, int] | None = None) -> None:
        self._overrides = dict(overrides or {})

    def apply(self, session: Session, change: HouseholdChange) -> bool:
        """Whether the change was newer than what is held (and so applied)."""
        household = change.household
        held = care.household_version(session, household_id=household.household_id)
        if held is not None and held >= household.version:
            log.info(
                "older household version ignored",
                extra={"household_id": household.household_id, "version": household.version},
            )
            return False
        care.save_household(
            session, household, member_count=change.member_count, changed_at=change.changed_at
        )
        held_clocks = care.clocks_of(session, household_id=household.household_id, lock=True)
        clocks = {clock.member_id: clock for clock in held_clocks}
        keep = () if household.removed else change.care_members
        for member in keep:
            care.save_clock(session, self._clock(change, member, clocks.get(member.member_id)))
        kept = {member.member_id for member in keep}
        care.drop_clocks(session, member_ids=[m for m in clocks if m not in kept])
        return True

    def _clock(
        self, change: HouseholdChange, member: CareMember, held: CareClock | None
    ) -> CareClock:
        seconds = interval_seconds(member.care_groups, member.interval_days, self._overrides)
        household = change.household
        if held is None:
            return CareClock(
                member_id=member.member_id,
                household_id=household.household_id,
                grid_code=household.grid_code,
                grid_path=household.grid_path,
                care_groups=member.care_groups,
                interval_days=member.interval_days,
                interval_seconds=seconds,
                registered_at=change.changed_at,
            )
        # Registration and the last visit stay: a change of groups only changes the interval.
        return replace(
            held,
            grid_code=household.grid_code,
            grid_path=household.grid_path,
            care_groups=member.care_groups,
            interval_days=member.interval_days,
            interval_seconds=seconds,
        )
