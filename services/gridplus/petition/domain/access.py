"""Who may see a petition. A resident sees only their own; staff see any for now (grid subtree
and department scoping come with the staff APIs)."""

from __future__ import annotations

from gridplus.kit.auth import Role
from gridplus.petition.domain.petition import Petition
from gridplus.petition.domain.values import Actor, Source

# The role a submitter has decides the channel recorded on the petition.
_SOURCES = {
    Role.RESIDENT: Source.RESIDENT,
    Role.GRID_WORKER: Source.GRID_WORKER,
    Role.GRID_CHIEF: Source.GRID_WORKER,
}


def may_view(petition: Petition, viewer: Actor) -> bool:
    if viewer.role is Role.RESIDENT:
        return petition.reporter.id == viewer.id
    return True


def may_submit(submitter: Actor) -> bool:
    # Services act on petitions (routing, follow-up); only people report them.
    return submitter.role is not Role.SERVICE


def source_for(submitter: Actor) -> Source:
    """Residents report for themselves, grid workers from patrol; other staff enter what
    reached them by the 12345 hotline."""
    return _SOURCES.get(submitter.role, Source.HOTLINE)
