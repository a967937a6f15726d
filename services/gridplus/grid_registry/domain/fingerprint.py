"""A content fingerprint of a grid set and its members, so importing the same data twice is
recognised and changes nothing (`load-demo` runs at every start of the local stack)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import shapely
from shapely.geometry.base import BaseGeometry

from gridplus.grid_registry.domain.grids import GridSet
from gridplus.grid_registry.domain.members import Member
from gridplus.grid_registry.domain.places import Place


def geometry_wkb(geometry: BaseGeometry) -> bytes:
    """Canonical WKB: 2-D, little-endian, so equal geometries give equal bytes."""
    return bytes(shapely.to_wkb(geometry, output_dimension=2, byte_order=1))


def content_fingerprint(
    grid_set: GridSet, members: Iterable[Member], places: Iterable[Place] = ()
) -> str:
    """SHA-256 over every grid (code, name, level, parent, geometry), member and place,
    order-free."""
    digest = hashlib.sha256()
    for spec in sorted(grid_set, key=lambda s: s.code):
        _field(digest, "grid", spec.code, spec.name, str(spec.level), spec.parent_code or "")
        _bytes(digest, geometry_wkb(spec.geometry))
    for member in sorted(members, key=lambda m: (m.grid_code, m.role.value, m.person_id)):
        _field(
            digest, "member", member.person_id, member.display_name, member.role, member.grid_code
        )
        _field(
            digest,
            member.email,
            member.phone,
            member.language,
            member.department_code,
            member.place_code,
        )
    for place in sorted(places, key=lambda p: p.code):
        _field(digest, "place", place.code, place.name, place.kind, place.grid_code)
        _field(digest, place.parent_code or "")
    return digest.hexdigest()


def _field(digest: hashlib._Hash, *parts: str) -> None:
    for part in parts:
        _bytes(digest, part.encode())


def _bytes(digest: hashlib._Hash, data: bytes) -> None:
    # Length-prefixed, so ("ab", "c") and ("a", "bc") hash differently.
    digest.update(len(data).to_bytes(8, "little"))
    digest.update(data)
