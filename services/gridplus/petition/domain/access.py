"""Who may see and change a petition, and who may see personal data unmasked.

- residents: their own petitions, and the survivors of their petitions merged as duplicates;
- grid workers and chiefs: petitions in the grid subtrees they belong to (token claim `grids`),
  plus those they reported or are assigned;
- department staff and heads: petitions their department handles (claim `department`), plus
  those they reported or are assigned;
- admins, inspectors and services: everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridplus.kit.roles import Principal, Role
from gridplus.petition.domain.petition import Petition
from gridplus.petition.domain.values import Actor, Source

# The role a submitter has decides the channel recorded on the petition.
_SOURCES = {
    Role.RESIDENT: Source.RESIDENT,
    Role.GRID_WORKER: Source.GRID_WORKER,
    Role.GRID_CHIEF: Source.GRID_WORKER,
}
SEE_ALL = frozenset({Role.ADMIN, Role.INSPECTOR, Role.SERVICE})
GRID_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF})
DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD})
# Staff who handle petitions: verify, reject, merge, resolve, reopen, add notes.
HANDLERS = GRID_ROLES | DEPARTMENT_ROLES | {Role.ADMIN}
# Inspectors change nothing but may note what they found on a visit (README, Access).
NOTE_TAKERS = HANDLERS | {Role.INSPECTOR}
# Grid workers and chiefs visit and call reporters; admins answer requests about the data.
# Departments and inspectors work from masked data.
SEE_CONTACTS = GRID_ROLES | {Role.ADMIN, Role.SERVICE}


@dataclass(frozen=True)
class Viewer:
    """A caller with the scope its token carries."""

    id: str
    role: Role
    grid_codes: tuple[str, ...] = ()
    department: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Viewer:
        return cls(principal.subject, principal.role, principal.grid_codes, principal.department)

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.role)


def may_view(petition: Petition, viewer: Viewer, *, follows: bool = False) -> bool:
    """`follows`: the viewer reported a petition merged into this one."""
    if viewer.role in SEE_ALL:
        return True
    if petition.reporter.id == viewer.id or follows:
        return True
    if viewer.role is Role.RESIDENT:
        return False
    if petition.assignee_id == viewer.id:
        return True
    if viewer.role in GRID_ROLES:
        path = petition.grid.path if petition.grid else ()
        return any(code in path for code in viewer.grid_codes)
    if viewer.role in DEPARTMENT_ROLES:
        return viewer.department is not None and petition.department_code == viewer.department
    return False


def may_handle(petition: Petition, viewer: Viewer, *, note_only: bool = False) -> bool:
    """Staff who may change the petition: handlers who can see it; for a note (`note_only`),
    inspectors too."""
    roles = NOTE_TAKERS if note_only else HANDLERS
    return viewer.role in roles and may_view(petition, viewer)


def may_see_contact(petition: Petition, viewer: Viewer) -> bool:
    return viewer.role in SEE_CONTACTS or petition.reporter.id == viewer.id


def may_submit(submitter: Actor | Viewer) -> bool:
    # Services act on petitions (routing, follow-up); only people report them.
    return submitter.role is not Role.SERVICE


def source_for(submitter: Actor | Viewer) -> Source:
    """Residents report for themselves, grid workers from patrol; other staff enter what
    reached them by the 12345 hotline."""
    return _SOURCES.get(submitter.role, Source.HOTLINE)
