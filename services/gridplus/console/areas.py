"""Every area of the console, one line each: a factory returning the area's blueprint
(an AreaBlueprint, nav.py, when it has header links)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint

from gridplus.console.auth import blueprint as auth
from gridplus.console.board import blueprint as board
from gridplus.console.bulletins import blueprint as bulletins
from gridplus.console.scores import blueprint as scores
from gridplus.console.triage import blueprint as triage
from gridplus.console.visits import blueprint as visits
from gridplus.console.whistles import blueprint as whistles
from gridplus.console.work import blueprint as work

AREAS: list[Callable[[], Blueprint]] = [
    auth,
    work,
    triage,
    board,
    whistles,
    scores,
    bulletins,
    visits,
]
