"""What an area contributes to the header: its links, each shown only to the roles that may use
it. An area's blueprint factory returns an AreaBlueprint carrying them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask

from gridplus.kit.roles import Role

STAFF = frozenset(
    {
        Role.GRID_WORKER,
        Role.GRID_CHIEF,
        Role.DEPARTMENT_STAFF,
        Role.DEPARTMENT_HEAD,
        Role.INSPECTOR,
        Role.ADMIN,
    }
)


@dataclass(frozen=True)
class NavLink:
    endpoint: str  # e.g. "work.my_work"
    label_key: str  # i18n key, e.g. "work.nav"
    roles: frozenset[Role]


class AreaBlueprint(Blueprint):
    """A Blueprint with the header links of its area (none for areas without a page in the nav)."""

    def __init__(self, name: str, import_name: str, *, nav: Iterable[NavLink] = (), **kw: Any):
        super().__init__(name, import_name, **kw)
        self.nav = tuple(nav)


# Where each role lands at `/` (the first of these its console has; else its first nav link).
HOME: dict[Role, tuple[str, ...]] = {
    Role.GRID_WORKER: ("work.my_work",),
    Role.GRID_CHIEF: ("board.map", "work.my_work"),
    Role.DEPARTMENT_STAFF: ("whistles.index", "work.my_work"),
    Role.DEPARTMENT_HEAD: ("whistles.index", "work.my_work"),
    Role.INSPECTOR: ("scores.index",),
    Role.ADMIN: ("board.map", "triage.queue"),
}

NAV_KEY = "gridplus.console.nav"


def register_nav(app: Flask, links: Iterable[NavLink]) -> None:
    app.extensions.setdefault(NAV_KEY, []).extend(links)


def links_for(app: Flask, role: Role) -> list[NavLink]:
    return [link for link in app.extensions.get(NAV_KEY, []) if role in link.roles]


def home_endpoint(app: Flask, role: Role) -> str | None:
    links = links_for(app, role)
    for endpoint in HOME.get(role, ()):
        if any(link.endpoint == endpoint for link in links):
            return endpoint
    return links[0].endpoint if links else None
