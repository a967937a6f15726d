"""Households between protobuf and the domain, once, at the edge (the servicer and the outbox)."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import households_pb2
from gridplus.grid_registry.domain.care_groups import CareGroup
from gridplus.grid_registry.domain.households import (
    Household,
    HouseholdChanged,
    HouseholdDraft,
    MemberDraft,
)
from gridplus.grid_registry.storage.care_access import CareAccess


def draft(message: households_pb2.Household) -> HouseholdDraft:
    return HouseholdDraft(
        place_code=message.place_code,
        address=message.address,
        unit=message.unit,
        members=tuple(
            MemberDraft(
                name=member.name,
                phone=member.phone,
                id_number=member.id_number,
                birth_year=member.birth_year,
                care_groups=tuple(member.care_groups),
                member_id=member.member_id,
            )
            for member in message.members
        ),
    )


def household(value: Household) -> households_pb2.Household:
    return households_pb2.Household(
        household_id=value.household_id,
        place_code=value.place_code,
        grid_code=value.grid_code,
        address=value.address,
        unit=value.unit,
        members=[
            households_pb2.HouseholdMember(
                member_id=member.member_id,
                name=member.name,
                phone=member.phone,
                id_number_tail=member.id_tail,
                birth_year=member.birth_year,
                care_groups=list(member.care_groups),
            )
            for member in value.members
        ],
        has_care_members=value.has_care_members,
        masked=value.masked,
        updated_at=timestamp(value.updated_at),
    )


def care_group(value: CareGroup) -> households_pb2.CareGroup:
    return households_pb2.CareGroup(
        code=value.code,
        name_zh=value.name_zh,
        name_en=value.name_en,
        visit_interval_days=value.visit_interval_days,
    )


def access_entry(value: CareAccess) -> households_pb2.CareAccessEntry:
    return households_pb2.CareAccessEntry(
        actor_id=value.actor_id,
        actor_role=value.actor_role,
        household_id=value.household_id,
        grid_code=value.grid_code,
        reason=value.reason,
        read_at=timestamp(value.read_at),
    )


def event_payload(event: HouseholdChanged) -> events_pb2.HouseholdChanged:
    """The outbox payload: ids, place, care groups and counts, never personal data."""
    return events_pb2.HouseholdChanged(
        household_id=event.household_id,
        grid_code=event.grid_code,
        place_code=event.place_code,
        care_members=[
            events_pb2.CareMemberRef(
                member_id=member.member_id,
                care_groups=list(member.care_groups),
                visit_interval_days=member.visit_interval_days,
            )
            for member in event.care_members
        ],
        member_count=event.member_count,
        removed=event.removed,
        changed_at=timestamp(event.changed_at),
        version=event.version,
    )


def timestamp(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp
