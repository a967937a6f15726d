"""Run the grid-registry service: python -m gridplus.grid_registry [serve|migrate|load-demo]."""

from __future__ import annotations

from gridplus.api.grid.v1 import grid_pb2_grpc
from gridplus.grid_registry.api.grpc import POLICY, SERVICE_NAME, GridRegistryServicer
from gridplus.grid_registry.cli import describe
from gridplus.grid_registry.config import GridRegistryConfig
from gridplus.grid_registry.handlers.imports import load_demo as import_demo
from gridplus.grid_registry.handlers.snapshots import grid_sets, references
from gridplus.grid_registry.storage import MIGRATIONS
from gridplus.kit.service import ServiceApp


def main() -> None:
    app = ServiceApp("grid_registry", area="grid", migrations=MIGRATIONS)
    config = GridRegistryConfig.from_env(app.env)
    current = grid_sets(app.sessions, poll_seconds=config.refresh_seconds)
    reference = references(app.sessions, poll_seconds=config.refresh_seconds)
    servicer = GridRegistryServicer(current, app.sessions, reference)
    app.grpc_api(
        lambda server: grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(servicer, server),
        SERVICE_NAME,
        POLICY,
    )
    app.add_loop("grid-set-refresh", current.run)
    app.add_loop("reference-refresh", reference.run)

    def load_demo() -> None:
        app.migrate()
        outcome = import_demo(
            app.sessions, directory=config.demo_dir, outbox=app.outbox, clock=app.clock
        )
        print(describe(outcome), flush=True)

    app.command("load-demo", load_demo)
    app.main()


if __name__ == "__main__":
    main()
