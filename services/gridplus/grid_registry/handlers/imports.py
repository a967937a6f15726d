"""Imports: a grid set with its places and members as a new version (gridctl import, load-demo),
and the NYC demo city with its demo organisation chain. Everything is validated before the first
write; the caller's session is the unit of work."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gridplus.grid_registry.api import convert
from gridplus.grid_registry.domain.coverage import CoverageReport, check_coverage
from gridplus.grid_registry.domain.demo_workers import demo_organisation, demo_places
from gridplus.grid_registry.domain.events import Event, GridSetImported, membership_changes
from gridplus.grid_registry.domain.fingerprint import content_fingerprint
from gridplus.grid_registry.domain.grids import GridSet, GridSetInvalid, GridSpec
from gridplus.grid_registry.domain.members import Member, MemberInvalid, MemberLike, check_members
from gridplus.grid_registry.domain.places import Place, PlaceInvalid, check_places
from gridplus.grid_registry.handlers.reference import sync_reference_data
from gridplus.grid_registry.storage import repository
from gridplus.grid_registry.storage.geojson_files import load_nyc_demo
from gridplus.grid_registry.storage.seed_files import read_taxonomy
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.outbox import Outbox
from gridplus.kit.text import clean_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# All grid-set events share one key, so they stay in order on one partition.
GRID_SET_EVENT_KEY = "grid-set"
DEMO_SOURCE = "demo: NYC DCP 24C boroughs, CDTA2020, NTA2020"


@dataclass(frozen=True)
class ImportOutcome:
    version: int
    created: bool  # False: the current version already held exactly this data
    grid_count: int
    member_count: int
    # Computed for a new version; None when nothing was imported (or coverage was not asked for).
    coverage: CoverageReport | None = None
    # MembershipChanged events written for this import (joins and leaves since the last version).
    membership_changes: int = 0


def import_grid_set(
    session: Session,
    specs: Iterable[GridSpec],
    members: Iterable[MemberLike],
    *,
    source: str,
    outbox: Outbox,
    clock: Clock,
    places: Iterable[Place] = (),
    check: bool = True,
) -> ImportOutcome:
    """Store grids, places and members as a new version, all or nothing, and record
    GridSetImported plus a MembershipChanged per join and leave since the previous version.

    Everything is validated before the first write, so bad input leaves the registry unchanged.
    With `check`, the new version's coverage report (gaps, overlaps) comes back in the outcome:
    it informs, it does not refuse (real city data has real exceptions, e.g. Marble Hill).
    Identical content to the current version changes nothing and returns that version.
    """
    grid_set, checked_places, people = validate_grid_set(specs, members, places)
    fingerprint = content_fingerprint(grid_set, people, checked_places)
    repository.lock_for_import(session)
    current = repository.get_current(session)
    if current is not None and current.fingerprint == fingerprint:
        return ImportOutcome(current.version, False, current.grid_count, current.member_count)
    now = clock.now()
    version = repository.create(
        session,
        grid_set=grid_set,
        members=people,
        source=source,
        imported_at=now,
        fingerprint=fingerprint,
        places=tuple(checked_places),
    )
    # The first import has no "before": consumers read its members with ListMembers/GetChain,
    # rather than thousands of join events.
    changes = (
        []
        if current is None
        else membership_changes(
            repository.all_member_keys(session, version=current.version), people, now
        )
    )
    events: list[Event] = [GridSetImported(version, len(grid_set), now), *changes]
    for event in events:
        outbox.add(session, convert.event_payload(event), key=GRID_SET_EVENT_KEY)
    coverage = check_coverage(grid_set) if check else None
    return ImportOutcome(version, True, len(grid_set), len(people), coverage, len(changes))


def validate_grid_set(
    specs: Iterable[GridSpec], members: Iterable[MemberLike], places: Iterable[Place] = ()
) -> tuple[GridSet, list[Place], list[Member]]:
    """The hierarchy, places and members checked together; InvalidArgument names the offender."""
    specs, places, members = list(specs), list(places), list(members)
    _check_text(specs, places, members)
    try:
        grid_set = GridSet(specs)
        checked_places = check_places(grid_set, places)
        people = check_members(grid_set, members, checked_places)
    except GridSetInvalid as exc:
        raise InvalidArgument.single(f"grids[{exc.code}]", exc.reason) from exc
    except PlaceInvalid as exc:
        raise InvalidArgument.single(f"places[{exc.code}]", exc.reason) from exc
    except MemberInvalid as exc:
        raise InvalidArgument.single(f"members[{exc.person_id}]", exc.reason) from exc
    return grid_set, checked_places, people


def _check_text(
    specs: Sequence[GridSpec], places: Sequence[Place], members: Sequence[MemberLike]
) -> None:
    """Names and codes reach staff screens and public views: control and bidi characters are
    refused (kit.text), so an import cannot make one name read as another."""
    for index, spec in enumerate(specs):
        clean_text(spec.code, field=f"grids[{index}].code")
        clean_text(spec.name, field=f"grids[{spec.code}].name")
        clean_text(spec.parent_code or "", field=f"grids[{spec.code}].parent_code")
    for index, place in enumerate(places):
        clean_text(place.code, field=f"places[{index}].code")
        clean_text(place.name, field=f"places[{place.code}].name")
    for index, member in enumerate(members):
        clean_text(member.person_id, field=f"members[{index}].person_id")
        for name in _MEMBER_TEXT:
            value = getattr(member, name, "")
            if isinstance(value, str):
                clean_text(value, field=f"members[{member.person_id}].{name}")


# Member attributes shown to people (MemberLike's optional ones read when present).
_MEMBER_TEXT = ("display_name", "email", "phone", "language", "department_code", "place_code")


def load_demo(
    sessions: SessionFactory, *, directory: Path, outbox: Outbox, clock: Clock
) -> ImportOutcome:
    """Import the NYC demo city (5 boroughs, 71 CDTAs, 262 NTAs) with its demo organisation
    chain, after re-syncing the reference data with the seed. Files are read and parsed before
    the transaction opens, so the database is locked only while rows are written."""
    specs = load_nyc_demo(directory)
    members = demo_organisation(specs, departments=read_taxonomy().departments())
    with transaction(sessions) as session:
        # The migration seeded the reference data; a newer seed shipped since is applied here.
        sync_reference_data(session)
        return import_grid_set(
            session,
            specs,
            members,
            places=demo_places(specs),
            source=DEMO_SOURCE,
            outbox=outbox,
            clock=clock,
        )
