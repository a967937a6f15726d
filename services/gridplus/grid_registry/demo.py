"""Import the NYC demo city (5 boroughs, 71 CDTAs, 262 NTAs) with its demo organisation chain.

Shared by `python -m gridplus.grid_registry load-demo` and `gridctl load-demo`. Parsing happens
before the transaction opens, so the database is locked only while rows are written.
"""

from __future__ import annotations

from pathlib import Path

from gridplus.grid_registry import handlers
from gridplus.grid_registry.domain.demo_workers import demo_organisation
from gridplus.grid_registry.domain.geojson_layers import load_nyc_demo
from gridplus.grid_registry.handlers import ImportOutcome
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.outbox import Outbox

DEMO_SOURCE = "demo: NYC DCP 24C boroughs, CDTA2020, NTA2020"


def load_demo(
    sessions: SessionFactory, *, directory: Path, outbox: Outbox, clock: Clock
) -> ImportOutcome:
    specs = load_nyc_demo(directory)
    members = demo_organisation(specs)
    with transaction(sessions) as session:
        return handlers.import_grid_set(
            session, specs, members, source=DEMO_SOURCE, outbox=outbox, clock=clock
        )


def describe(outcome: ImportOutcome) -> str:
    if outcome.created:
        return (
            f"imported grid set version {outcome.version}: "
            f"{outcome.grid_count} grids, {outcome.member_count} members"
        )
    return (
        f"grid set version {outcome.version} already holds the demo data "
        f"({outcome.grid_count} grids, {outcome.member_count} members); nothing to do"
    )
