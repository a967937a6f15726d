"""Reporters' contacts, sealed field by field with the key ring (gridplus.kit.pii); the database
only ever holds ciphertext and the key id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, insert, select, update
from sqlalchemy.orm import Session

from gridplus.kit.pii import KeyRing, Sealed
from gridplus.petition.domain.values import Contact
from gridplus.petition.storage import rows
from gridplus.petition.storage.models import ContactRow

_FIELDS = ("name", "phone", "email", "address")
_CONTACTS: Table = ContactRow.__table__  # type: ignore[assignment]
_PETITIONS = rows.PETITIONS
# Built once: intake writes one per petition, notification reads one per assignment.
_INSERT = insert(_CONTACTS)
_REPORTERS = select(
    _PETITIONS.c.id,
    _PETITIONS.c.reporter_id,
    _CONTACTS.c.key_id,
    *(_CONTACTS.c[field] for field in _FIELDS),
    _CONTACTS.c.language,
).select_from(
    _PETITIONS.outerjoin(
        _CONTACTS,
        and_(_CONTACTS.c.petition_id == _PETITIONS.c.id, _CONTACTS.c.erased_at.is_(None)),
    )
)
_OF_PETITION = _REPORTERS.where(_PETITIONS.c.id == bindparam("pid"))
_OF_MERGED = _REPORTERS.where(_PETITIONS.c.duplicate_of.in_(bindparam("ids", expanding=True)))
_OF_PETITIONS = _REPORTERS.where(_PETITIONS.c.id.in_(bindparam("ids", expanding=True)))
_OF_MERGED_INTO = _OF_MERGED.add_columns(_PETITIONS.c.duplicate_of)


@dataclass(frozen=True)
class Reporter:
    """Who reported a petition and the contact they left (None: none left, or erased)."""

    petition_id: str
    reporter_id: str
    contact: Contact | None


def reporters(session: Session, *, petition_id: str, keys: KeyRing) -> list[Reporter]:
    """The petition's reporter first, then those of petitions merged into it, directly or
    through a chain of merges (nearest first); empty when there is no such petition. One
    statement per level of merges, the contacts read with the petitions."""
    found = [_reporter(row, keys) for row in session.execute(_OF_PETITION, {"pid": petition_id})]
    frontier = [petition_id]
    seen = {petition_id}
    while found and frontier:
        level = [
            _reporter(row, keys)
            for row in session.execute(_OF_MERGED, {"ids": frontier})
            if row.id not in seen
        ]
        seen.update(reporter.petition_id for reporter in level)
        found += level
        frontier = [reporter.petition_id for reporter in level]
    return found


def reporters_of_many(
    session: Session, *, petition_ids: Sequence[str], keys: KeyRing
) -> dict[str, list[Reporter]]:
    """`reporters` of each petition that exists, by id in the order asked: one statement for
    the petitions and one per level of merges for all of them (notification asks for a poll's
    petitions at once: one look-up each was two round trips per petition)."""
    ids = list(dict.fromkeys(petition_ids))
    if not ids:
        return {}
    own = {row.id: _reporter(row, keys) for row in session.execute(_OF_PETITIONS, {"ids": ids})}
    found = {pid: [own[pid]] for pid in ids if pid in own}
    # Which asked petitions each petition of the current level reports to (through merges).
    roots: dict[str, list[str]] = {pid: [pid] for pid in found}
    seen = {pid: {pid} for pid in found}
    while roots:
        below: dict[str, list[str]] = {}
        for row in session.execute(_OF_MERGED_INTO, {"ids": list(roots)}):
            for root in roots[row.duplicate_of]:
                if row.id not in seen[root]:
                    seen[root].add(row.id)
                    found[root].append(_reporter(row, keys))
                    below.setdefault(row.id, []).append(root)
        roots = below
    return found


def _reporter(row: Any, keys: KeyRing) -> Reporter:
    contact = _open_fields(row.id, row, keys) if row.key_id is not None else None
    return Reporter(row.id, row.reporter_id, contact)


def save(
    session: Session, *, petition_id: str, reporter_id: str, contact: Contact, keys: KeyRing
) -> None:
    values: dict[str, Any] = {
        "petition_id": petition_id,
        "reporter_id": reporter_id,
        "key_id": keys.active_id,
        "language": contact.language or None,
    }
    for field in _FIELDS:
        value: str = getattr(contact, field)
        sealed = keys.seal(value, context=_context(petition_id, field)) if value else None
        values[field] = sealed.blob if sealed else None
    # On the connection: the Session's execute costs ~10 µs more for a Core statement.
    session.connection().execute(_INSERT, values)


def get(session: Session, *, petition_id: str, keys: KeyRing) -> Contact | None:
    row = session.get(ContactRow, petition_id)
    if row is None or row.erased_at is not None or row.key_id is None:
        return None
    return _open(row, keys)


def get_many(session: Session, *, petition_ids: list[str], keys: KeyRing) -> dict[str, Contact]:
    rows = session.scalars(
        select(ContactRow).where(
            ContactRow.petition_id.in_(petition_ids), ContactRow.erased_at.is_(None)
        )
    )
    return {row.petition_id: _open(row, keys) for row in rows if row.key_id is not None}


def erase(session: Session, *, reporter_id: str, at: datetime) -> int:
    """Anonymise: every contact the reporter left is erased; their petitions stay."""
    result = session.execute(
        update(ContactRow)
        .where(ContactRow.reporter_id == reporter_id, ContactRow.erased_at.is_(None))
        .values(
            name=None,
            phone=None,
            email=None,
            address=None,
            language=None,
            key_id=None,
            erased_at=at,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _open(row: ContactRow, keys: KeyRing) -> Contact:
    return _open_fields(row.petition_id, row, keys)


def _open_fields(petition_id: str, row: Any, keys: KeyRing) -> Contact:
    """The contact's sealed fields of `row` (a contacts row, or a row naming the same columns)
    opened."""
    assert row.key_id is not None
    values: dict[str, str] = {}
    for field in _FIELDS:
        blob: bytes | None = getattr(row, field)
        if blob:
            values[field] = keys.open(
                Sealed(row.key_id, blob), context=_context(petition_id, field)
            )
    return Contact(**values, language=row.language or "")


def _context(petition_id: str, field: str) -> str:
    return f"gridplus.petition/{petition_id}/{field}"


def reseal(session: Session, *, keys: KeyRing, limit: int = 500) -> int:
    """Re-encrypt up to `limit` contacts sealed with an older key under the active one (run
    after rotating keys, until it returns 0; then the old key can leave the ring)."""
    rows = session.scalars(
        select(ContactRow)
        .where(ContactRow.key_id.is_not(None), ContactRow.key_id != keys.active_id)
        .limit(limit)
    ).all()
    for row in rows:
        contact = _open(row, keys)
        row.key_id = keys.active_id
        for field in _FIELDS:
            value: str = getattr(contact, field)
            sealed = keys.seal(value, context=_context(row.petition_id, field)) if value else None
            setattr(row, field, sealed.blob if sealed else None)
    session.flush()
    return len(rows)
