"""Import the NYC demo city (5 boroughs, 71 CDTAs, 262 NTAs) with its demo organisation chain.

Shared by `python -m gridplus.grid_registry load-demo` and `gridctl load-demo`. Parsing happens
before the transaction opens, so the database is locked only while rows are written.
"""

from __future__ import annotations

from pathlib import Path

from gridplus.grid_registry import handlers, handlers_reference
from gridplus.grid_registry.domain.demo_workers import demo_organisation, demo_places
from gridplus.grid_registry.domain.geojson_layers import load_nyc_demo
from gridplus.grid_registry.handlers import ImportOutcome
from gridplus.grid_registry.reference import read_taxonomy
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.outbox import Outbox

DEMO_SOURCE = "demo: NYC DCP 24C boroughs, CDTA2020, NTA2020"


def load_demo(
    sessions: SessionFactory, *, directory: Path, outbox: Outbox, clock: Clock
) -> ImportOutcome:
    specs = load_nyc_demo(directory)
    departments = read_taxonomy().departments()
    members = demo_organisation(specs, departments=departments)
    with transaction(sessions) as session:
        # The migration seeded the reference data; a newer seed shipped since is applied here.
        handlers_reference.sync_reference_data(session)
        return handlers.import_grid_set(
            session,
            specs,
            members,
            places=demo_places(specs),
            source=DEMO_SOURCE,
            outbox=outbox,
            clock=clock,
        )


def describe(outcome: ImportOutcome) -> str:
    if outcome.created:
        coverage = "" if outcome.coverage is None else "\n" + "\n".join(outcome.coverage.lines())
        return (
            f"imported grid set version {outcome.version}: "
            f"{outcome.grid_count} grids, {outcome.member_count} members{coverage}"
        )
    return (
        f"grid set version {outcome.version} already holds the demo data "
        f"({outcome.grid_count} grids, {outcome.member_count} members); nothing to do"
    )
