"""Reading households and the care access log (HouseholdService).

A staff read of a household with care members needs a reason and writes a care access-log row
in the read's own transaction: no read without its row. Lists are always masked and not logged
(they show care-group codes, never who a member is)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Generic, TypeVar

from gridplus.grid_registry.domain import household_access as access
from gridplus.grid_registry.domain.households import Household, masked
from gridplus.grid_registry.handlers.grids import get_grid
from gridplus.grid_registry.handlers.households import HouseholdDeps
from gridplus.grid_registry.handlers.snapshots import GridSetSnapshot
from gridplus.grid_registry.storage import care_access
from gridplus.grid_registry.storage import households as store
from gridplus.grid_registry.storage.care_access import CareAccess
from gridplus.kit.errors import InvalidArgument, NotFound
from gridplus.kit.page_tokens import read_page_token, write_page_token
from gridplus.kit.roles import Principal
from gridplus.kit.text import clean_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEFAULT_PAGE = 100
MAX_PAGE = 500
MAX_REASON = 500
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str


def read(
    session: Session,
    deps: HouseholdDeps,
    snapshot: GridSetSnapshot,
    viewer: Principal,
    *,
    household_id: str,
    reason: str,
) -> Household:
    """One household as `viewer` may see it; a special-care record's read is logged."""
    if not household_id:
        raise InvalidArgument.single("household_id", "required")
    reason = clean_text(reason.strip(), field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidArgument.single("reason", f"at most {MAX_REASON} characters")
    found = store.get(session, household_id=household_id, sealing=deps.sealing)
    if (
        found is None
        or found.removed
        or not access.in_scope(viewer, found.grid_code, snapshot.grids)
    ):
        raise NotFound(f"household {household_id!r} not found")
    if found.has_care_members and access.reads_are_logged(viewer):
        if not reason:
            raise InvalidArgument.single(
                "reason", "required to read a household with special-care members (it is logged)"
            )
        care_access.create(
            session,
            actor_id=viewer.subject,
            actor_role=viewer.role.value,
            household_id=found.household_id,
            grid_code=found.grid_code,
            reason=reason,
            at=deps.clock.now(),
        )
    return found if access.sees_full(viewer, found.grid_code, snapshot.grids) else masked(found)


def list_households(
    session: Session,
    deps: HouseholdDeps,
    snapshot: GridSetSnapshot,
    viewer: Principal,
    *,
    grid_code: str,
    place_code: str,
    care_group: str,
    page_size: int,
    page_token: str,
) -> Page[Household]:
    if care_group and care_group not in deps.care_groups:
        raise InvalidArgument.single("care_group", f"unknown care group {care_group!r}")
    codes = _grid_scope(snapshot, viewer, grid_code, may=access.in_scope)
    size = _size(page_size)
    filters = [grid_code, place_code, care_group]
    after = None
    if page_token:
        position = read_page_token(page_token, filters)
        after = (str(position.get("place", "")), str(position.get("id", "")))
    found = store.get_page(
        session,
        grid_codes=codes,
        place_code=place_code,
        care_group=care_group,
        after=after,
        size=size + 1,
        sealing=deps.sealing,
    )
    items = [masked(household) for household in found[:size]]
    next_token = ""
    if len(found) > size:
        last = items[-1]
        next_token = write_page_token({"place": last.place_code, "id": last.household_id}, filters)
    return Page(items, next_token)


def access_log(
    session: Session,
    snapshot: GridSetSnapshot,
    viewer: Principal,
    *,
    grid_code: str,
    actor_id: str,
    since: datetime | None,
    page_size: int,
    page_token: str,
) -> Page[CareAccess]:
    codes = _grid_scope(snapshot, viewer, grid_code, may=access.may_read_log)
    size = _size(page_size)
    filters = [grid_code, actor_id, since.isoformat() if since else ""]
    before = None
    if page_token:
        position = read_page_token(page_token, filters)
        if not isinstance(position.get("before"), int):
            raise InvalidArgument.single("page_token", "not a token this API returned")
        before = int(position["before"])
    found = care_access.get_page(
        session, grid_codes=codes, actor_id=actor_id, since=since, before_id=before, size=size + 1
    )
    items = found[:size]
    next_token = write_page_token({"before": items[-1].id}, filters) if len(found) > size else ""
    return Page(items, next_token)


def _grid_scope(
    snapshot: GridSetSnapshot, viewer: Principal, grid_code: str, *, may: access.ScopeCheck
) -> list[str] | None:
    """The grid codes a listing covers (None = the whole city): the named grid's subtree, which
    must be in the caller's scope (else NOT_FOUND, as an unknown grid), or the caller's own."""
    grids = snapshot.grids
    if grid_code:
        spec = get_grid(snapshot, grid_code)
        if not may(viewer, spec.code, grids):
            raise NotFound(f"grid {grid_code!r} not found in grid set {snapshot.version}")
        return [spec.code, *(child.code for child in grids.descendants(spec.code))]
    roots = access.scope_roots(viewer, grids)
    if roots is None:
        return None
    return sorted(
        {code for root in roots for code in (root, *(g.code for g in grids.descendants(root)))}
    )


def _size(page_size: int) -> int:
    if not 0 <= page_size <= MAX_PAGE:
        raise InvalidArgument.single("page_size", f"must be 0 to {MAX_PAGE} (0 = {DEFAULT_PAGE})")
    return page_size or DEFAULT_PAGE
