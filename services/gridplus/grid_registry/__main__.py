"""Run the grid-registry service: python -m gridplus.grid_registry [serve|migrate|load-demo].

`load-demo` is gridctl's: it reads only the database settings (no JWT secret, no ports)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from gridplus.api.grid.v1 import grid_pb2_grpc
from gridplus.grid_registry import cli
from gridplus.grid_registry.api.grpc import POLICY, SERVICE_NAME, GridRegistryServicer
from gridplus.grid_registry.config import GridRegistryConfig
from gridplus.grid_registry.handlers.snapshots import grid_sets, references
from gridplus.grid_registry.storage import MIGRATIONS
from gridplus.kit.service import ServiceApp


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["load-demo"]:
        # An operator command reads only the settings it uses, as gridctl does.
        code = cli.main(args)
        if code:
            raise SystemExit(code)
        return
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

    app.main(args)


if __name__ == "__main__":
    main()
