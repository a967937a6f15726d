"""Run the grid-registry service: python -m gridplus.grid_registry [serve|migrate|load-demo].

`load-demo` and the other gridctl commands read only the settings they use (no JWT secret, no
ports)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from gridplus.api.grid.v1 import grid_pb2_grpc, households_pb2_grpc
from gridplus.grid_registry import cli
from gridplus.grid_registry.api import households
from gridplus.grid_registry.api.grpc import POLICY, SERVICE_NAME, GridRegistryServicer
from gridplus.grid_registry.config import GridRegistryConfig, id_hash_key
from gridplus.grid_registry.handlers.households import HouseholdDeps
from gridplus.grid_registry.handlers.snapshots import grid_sets, references
from gridplus.grid_registry.storage import MIGRATIONS
from gridplus.grid_registry.storage.households import Sealing
from gridplus.grid_registry.storage.seed_files import read_care_groups
from gridplus.kit.pii import KeyRing
from gridplus.kit.service import ServiceApp


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] and args[0] in cli.COMMANDS:
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
    deps = HouseholdDeps(
        sealing=Sealing(
            KeyRing.from_env(app.env, app.settings.var_dir),
            id_hash_key(app.env, app.settings.var_dir),
        ),
        care_groups=read_care_groups(config.care_groups_file),
        outbox=app.outbox,
        clock=app.clock,
    )
    register = households.HouseholdServicer(current, app.sessions, deps, wake=app.relay.wake)
    app.grpc_api(
        lambda server: households_pb2_grpc.add_HouseholdServiceServicer_to_server(register, server),
        households.SERVICE_NAME,
        households.POLICY,
    )
    app.add_loop("grid-set-refresh", current.run)
    app.add_loop("reference-refresh", reference.run)

    app.main(args)


if __name__ == "__main__":
    main()
