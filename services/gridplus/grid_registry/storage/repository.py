"""Reads and writes of grid sets: a whole set and its members go in as one new version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import shapely
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from gridplus.grid_registry.domain.fingerprint import geometry_wkb
from gridplus.grid_registry.domain.grids import GridSet, GridSpec
from gridplus.grid_registry.domain.members import Member, MemberRole
from gridplus.grid_registry.domain.places import Place, PlaceKind
from gridplus.grid_registry.storage.models import GridRow, GridSetRow, MemberRow, PlaceRow


@dataclass(frozen=True)
class GridSetInfo:
    version: int
    imported_at: datetime
    source: str
    grid_count: int
    member_count: int
    fingerprint: str


def lock_for_import(session: Session) -> None:
    """Serialise importers so two loads cannot pick the same version or both miss a duplicate.

    SQLite already does (the kit begins every transaction IMMEDIATE). On PostgreSQL this mode
    conflicts with itself but not with readers: the running servers keep reading.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE grid_sets IN SHARE ROW EXCLUSIVE MODE"))


def current_version(session: Session) -> int | None:
    """The newest version, or None before the first import (an index-only lookup: cheap to poll)."""
    version = session.execute(select(func.max(GridSetRow.version))).scalar_one()
    return None if version is None else int(version)


def get_current(session: Session) -> GridSetInfo | None:
    version = current_version(session)
    return None if version is None else get_info(session, version=version)


def get_info(session: Session, *, version: int) -> GridSetInfo | None:
    row = session.get(GridSetRow, version)
    if row is None:
        return None
    return GridSetInfo(
        version=row.version,
        imported_at=row.imported_at,
        source=row.source,
        grid_count=row.grid_count,
        member_count=row.member_count,
        fingerprint=row.fingerprint,
    )


def create(
    session: Session,
    *,
    grid_set: GridSet,
    members: list[Member],
    source: str,
    imported_at: datetime,
    fingerprint: str,
    places: tuple[Place, ...] = (),
) -> int:
    """Write the grid set and members as the next version and return it (after lock_for_import)."""
    version = (current_version(session) or 0) + 1
    session.add(
        GridSetRow(
            version=version,
            imported_at=imported_at,
            source=source,
            grid_count=len(grid_set),
            member_count=len(members),
            fingerprint=fingerprint,
        )
    )
    session.flush()
    session.execute(insert(GridRow), [_grid_row(version, spec) for spec in grid_set])
    if places:
        session.execute(
            insert(PlaceRow),
            [
                {
                    "grid_set_version": version,
                    "code": place.code,
                    "name": place.name,
                    "kind": place.kind.value,
                    "grid_code": place.grid_code,
                    "parent_code": place.parent_code,
                }
                for place in places
            ],
        )
    if members:
        session.execute(
            insert(MemberRow),
            [
                {
                    "grid_set_version": version,
                    "grid_code": member.grid_code,
                    "role": member.role.value,
                    "person_id": member.person_id,
                    "display_name": member.display_name,
                    "email": member.email,
                    "phone": member.phone,
                    "language": member.language,
                    "department_code": member.department_code,
                    "place_code": member.place_code,
                }
                for member in members
            ],
        )
    return version


def get_grid_set(session: Session, *, version: int) -> GridSet:
    rows = session.execute(
        select(GridRow.code, GridRow.name, GridRow.level, GridRow.parent_code, GridRow.geometry)
        .where(GridRow.grid_set_version == version)
        .order_by(GridRow.code)
    ).all()
    # One vectorised decode for all polygons: much faster than one from_wkb per row.
    geometries = shapely.from_wkb([bytes(row.geometry) for row in rows])
    return GridSet(
        GridSpec(row.code, row.name, row.level, row.parent_code, geometry)
        for row, geometry in zip(rows, geometries, strict=True)
    )


def get_members(
    session: Session, *, version: int, grid_code: str, role: MemberRole | None = None
) -> list[Member]:
    query = select(MemberRow).where(
        MemberRow.grid_set_version == version, MemberRow.grid_code == grid_code
    )
    if role is not None:
        query = query.where(MemberRow.role == role.value)
    rows = session.execute(query.order_by(MemberRow.role, MemberRow.person_id)).scalars()
    return [_member(row) for row in rows]


def get_members_of_grids(
    session: Session, *, version: int, grid_codes: list[str]
) -> dict[str, list[Member]]:
    """The members of several grids in one query, per grid, in role then person order."""
    rows = session.execute(
        select(MemberRow)
        .where(MemberRow.grid_set_version == version, MemberRow.grid_code.in_(grid_codes))
        .order_by(MemberRow.grid_code, MemberRow.role, MemberRow.person_id)
    ).scalars()
    found: dict[str, list[Member]] = {code: [] for code in grid_codes}
    for row in rows:
        found[row.grid_code].append(_member(row))
    return found


def get_directory(
    session: Session, *, version: int
) -> tuple[dict[str, list[Member]], dict[str, list[Place]]]:
    """Every member and place of a version, per grid: members in role then person order and
    places in code order, as get_members and get_places give one grid's (the database orders
    them, so its collation decides, as it does for those)."""
    people: dict[str, list[Member]] = {}
    for member in session.execute(
        select(MemberRow)
        .where(MemberRow.grid_set_version == version)
        .order_by(MemberRow.grid_code, MemberRow.role, MemberRow.person_id)
    ).scalars():
        people.setdefault(member.grid_code, []).append(_member(member))
    places: dict[str, list[Place]] = {}
    for place in session.execute(
        select(PlaceRow)
        .where(PlaceRow.grid_set_version == version)
        .order_by(PlaceRow.grid_code, PlaceRow.code)
    ).scalars():
        places.setdefault(place.grid_code, []).append(_place(place))
    return people, places


def all_member_keys(session: Session, *, version: int) -> set[tuple[str, str, str]]:
    """(person_id, role, grid_code) of every member of a version: to tell what an import changed."""
    rows = session.execute(
        select(MemberRow.person_id, MemberRow.role, MemberRow.grid_code).where(
            MemberRow.grid_set_version == version
        )
    ).all()
    return {(row.person_id, row.role, row.grid_code) for row in rows}


def get_places(session: Session, *, version: int, grid_code: str) -> list[Place]:
    rows = session.execute(
        select(PlaceRow)
        .where(PlaceRow.grid_set_version == version, PlaceRow.grid_code == grid_code)
        .order_by(PlaceRow.code)
    ).scalars()
    return [_place(row) for row in rows]


def _place(row: PlaceRow) -> Place:
    return Place(row.code, row.name, PlaceKind(row.kind), row.grid_code, row.parent_code)


def _member(row: MemberRow) -> Member:
    return Member(
        row.person_id,
        row.display_name,
        MemberRole(row.role),
        row.grid_code,
        email=row.email,
        phone=row.phone,
        language=row.language,
        department_code=row.department_code,
        place_code=row.place_code,
    )


def _grid_row(version: int, spec: GridSpec) -> dict[str, object]:
    min_lon, min_lat, max_lon, max_lat = spec.geometry.bounds
    return {
        "grid_set_version": version,
        "code": spec.code,
        "name": spec.name,
        "level": spec.level,
        "parent_code": spec.parent_code,
        "geometry": geometry_wkb(spec.geometry),
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
    }
