"""Households and their members, sealed field by field with the key ring (gridplus.kit.pii), as
petition's reporters are: the database holds ciphertext, key ids, a keyed hash of each ID number,
places and care-group codes, never a name, phone, address or ID number in clear. Each value is
bound to its row and field (the seal's context), so a ciphertext moved elsewhere does not open.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, literal, select
from sqlalchemy.orm import Session

from gridplus.grid_registry.domain.households import Household, HouseholdDraft, HouseholdMember
from gridplus.grid_registry.domain.places import Place, PlaceKind
from gridplus.grid_registry.storage.models import HouseholdMemberRow, HouseholdRow, PlaceRow
from gridplus.kit.pii import KeyRing, Sealed


@dataclass(frozen=True)
class Sealing:
    """The key ring for personal fields and the key of the ID-number hash. The hash key is its
    own (kit.pii keys rotate; a hash must stay comparable across rotations)."""

    keys: KeyRing
    id_hash_key: bytes

    def id_hash(self, id_number: str) -> str:
        return hmac.new(self.id_hash_key, id_number.encode(), hashlib.sha256).hexdigest()

    def seal(self, value: str, context: str) -> bytes | None:
        return self.keys.seal(value, context=context).blob if value else None

    def open(self, key_id: str, blob: bytes | None, context: str) -> str:
        return self.keys.open(Sealed(key_id, blob), context=context) if blob else ""


def get_place(session: Session, *, version: int, code: str) -> Place | None:
    row = session.get(PlaceRow, (version, code))
    if row is None:
        return None
    return Place(row.code, row.name, PlaceKind(row.kind), row.grid_code, row.parent_code)


def new_id() -> str:
    return str(uuid.uuid4())


def create(
    session: Session,
    *,
    household_id: str,
    grid_code: str,
    draft: HouseholdDraft,
    at: datetime,
    sealing: Sealing,
    import_key: str | None = None,
) -> None:
    session.add(
        HouseholdRow(
            household_id=household_id,
            grid_code=grid_code,
            place_code=draft.place_code,
            has_care_members=False,
            version=0,
            import_key=import_key,
            created_at=at,
            updated_at=at,
        )
    )
    session.flush()
    replace_contents(
        session,
        household_id=household_id,
        grid_code=grid_code,
        draft=draft,
        at=at,
        sealing=sealing,
    )


def replace_contents(
    session: Session,
    *,
    household_id: str,
    grid_code: str,
    draft: HouseholdDraft,
    at: datetime,
    sealing: Sealing,
) -> None:
    """New address, unit and members; a member keeps the id the draft gives (checked by the
    caller to be one of this household's), the others get new ids. Bumps the version."""
    row = session.get(HouseholdRow, household_id, with_for_update=True, populate_existing=True)
    assert row is not None
    row.place_code = draft.place_code
    row.grid_code = grid_code  # the place decides the grid: a household may move to another
    row.key_id = sealing.keys.active_id
    row.address = sealing.seal(draft.address, _context(household_id, "address"))
    row.unit = sealing.seal(draft.unit, _context(household_id, "unit"))
    row.has_care_members = any(member.care_groups for member in draft.members)
    row.version += 1
    row.updated_at = at
    session.execute(
        delete(HouseholdMemberRow).where(HouseholdMemberRow.household_id == household_id)
    )
    for position, member in enumerate(draft.members):
        member_id = member.member_id or new_id()
        context = _context(household_id, f"member/{member_id}")
        session.add(
            HouseholdMemberRow(
                member_id=member_id,
                household_id=household_id,
                position=position,
                key_id=sealing.keys.active_id,
                name=sealing.seal(member.name, f"{context}/name"),
                phone=sealing.seal(member.phone, f"{context}/phone"),
                id_tail=sealing.seal(member.id_number[-4:], f"{context}/id_tail"),
                id_hash=sealing.id_hash(member.id_number) if member.id_number else None,
                birth_year=member.birth_year,
                care_groups=",".join(member.care_groups),
            )
        )
    session.flush()


def remove(session: Session, *, household_id: str, reason: str, at: datetime) -> None:
    """Moved away: personal data goes (members deleted, address and unit emptied); the ids and
    place stay, so a retried removal and other services' history still name it."""
    row = session.get(HouseholdRow, household_id, with_for_update=True, populate_existing=True)
    assert row is not None
    session.execute(
        delete(HouseholdMemberRow).where(HouseholdMemberRow.household_id == household_id)
    )
    row.address = row.unit = row.key_id = None
    row.has_care_members = False
    row.removed_at = at
    row.removed_reason = reason
    row.updated_at = at
    row.version += 1
    session.flush()


def get(session: Session, *, household_id: str, sealing: Sealing) -> Household | None:
    row = session.get(HouseholdRow, household_id)
    return None if row is None else _household(session, row, sealing)


def get_by_import_key(session: Session, *, import_key: str) -> tuple[str, bool] | None:
    """(household_id, removed) of the household a CSV key made, if any."""
    row = session.execute(
        select(HouseholdRow.household_id, HouseholdRow.removed_at).where(
            HouseholdRow.import_key == import_key
        )
    ).first()
    return None if row is None else (row.household_id, row.removed_at is not None)


def member_ids(session: Session, *, household_id: str) -> set[str]:
    return set(
        session.scalars(
            select(HouseholdMemberRow.member_id).where(
                HouseholdMemberRow.household_id == household_id
            )
        )
    )


def registered_elsewhere(
    session: Session, *, id_hashes: Sequence[str], household_id: str | None
) -> set[str]:
    """Which of `id_hashes` belong to a member of another (not removed) household."""
    if not id_hashes:
        return set()
    query = select(HouseholdMemberRow.id_hash).where(HouseholdMemberRow.id_hash.in_(id_hashes))
    if household_id is not None:
        query = query.where(HouseholdMemberRow.household_id != household_id)
    return {value for value in session.scalars(query) if value}


def get_page(
    session: Session,
    *,
    grid_codes: Sequence[str] | None,
    place_code: str,
    care_group: str,
    after: tuple[str, str] | None,
    size: int,
    sealing: Sealing,
) -> list[Household]:
    """Up to `size` households (not removed) ordered by place then id, after the cursor."""
    query = select(HouseholdRow).where(HouseholdRow.removed_at.is_(None))
    if grid_codes is not None:
        query = query.where(HouseholdRow.grid_code.in_(grid_codes))
    if place_code:
        query = query.where(HouseholdRow.place_code == place_code)
    if care_group:
        wrapped = literal(",") + HouseholdMemberRow.care_groups + literal(",")
        query = query.where(
            exists().where(
                HouseholdMemberRow.household_id == HouseholdRow.household_id,
                wrapped.like(f"%,{care_group},%"),
            )
        )
    if after is not None:
        query = query.where(
            (HouseholdRow.place_code > after[0])
            | ((HouseholdRow.place_code == after[0]) & (HouseholdRow.household_id > after[1]))
        )
    rows = session.scalars(
        query.order_by(HouseholdRow.place_code, HouseholdRow.household_id).limit(size)
    ).all()
    members = _members_of(session, [row.household_id for row in rows])
    return [_household(session, row, sealing, members.get(row.household_id, [])) for row in rows]


def _members_of(session: Session, household_ids: list[str]) -> dict[str, list[HouseholdMemberRow]]:
    """The members of a page of households in one query, in their order."""
    found: dict[str, list[HouseholdMemberRow]] = {}
    if not household_ids:
        return found
    rows = session.scalars(
        select(HouseholdMemberRow)
        .where(HouseholdMemberRow.household_id.in_(household_ids))
        .order_by(HouseholdMemberRow.household_id, HouseholdMemberRow.position)
    )
    for row in rows:
        found.setdefault(row.household_id, []).append(row)
    return found


def _household(
    session: Session,
    row: HouseholdRow,
    sealing: Sealing,
    members: list[HouseholdMemberRow] | None = None,
) -> Household:
    if members is None:
        members = _members_of(session, [row.household_id]).get(row.household_id, [])
    key_id = row.key_id or ""
    return Household(
        household_id=row.household_id,
        grid_code=row.grid_code,
        place_code=row.place_code,
        address=sealing.open(key_id, row.address, _context(row.household_id, "address")),
        unit=sealing.open(key_id, row.unit, _context(row.household_id, "unit")),
        members=tuple(_member(m, sealing) for m in members),
        version=row.version,
        updated_at=row.updated_at,
        removed=row.removed_at is not None,
    )


def _member(row: HouseholdMemberRow, sealing: Sealing) -> HouseholdMember:
    context = _context(row.household_id, f"member/{row.member_id}")
    return HouseholdMember(
        member_id=row.member_id,
        name=sealing.open(row.key_id, row.name, f"{context}/name"),
        phone=sealing.open(row.key_id, row.phone, f"{context}/phone"),
        id_hash=row.id_hash or "",
        id_tail=sealing.open(row.key_id, row.id_tail, f"{context}/id_tail"),
        birth_year=row.birth_year,
        care_groups=tuple(code for code in row.care_groups.split(",") if code),
    )


def _context(household_id: str, field: str) -> str:
    return f"gridplus.grid_registry/household/{household_id}/{field}"
