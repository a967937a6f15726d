"""Run the dispatch service: python -m gridplus.dispatch [serve|migrate]."""

from __future__ import annotations

from pathlib import Path

from gridplus.api.dispatch.v1 import dispatch_pb2_grpc
from gridplus.dispatch.api.grpc import POLICY, SERVICE_NAME, DispatchServicer
from gridplus.dispatch.clients import GrpcGridDirectory
from gridplus.dispatch.handlers import PetitionRouter
from gridplus.dispatch.messaging.consumers import handlers
from gridplus.kit.service import ServiceApp
from gridplus.kit.topology import events_topic


def main() -> None:
    app = ServiceApp(
        "dispatch",
        area="dispatch",
        migrations=Path(__file__).parent / "storage" / "alembic",
    )
    servicer = DispatchServicer(app.sessions)
    app.grpc_api(
        lambda server: dispatch_pb2_grpc.add_DispatchServiceServicer_to_server(servicer, server),
        SERVICE_NAME,
        POLICY,
    )
    router = PetitionRouter(
        directory=GrpcGridDirectory(app.channel("grid_registry")),
        outbox=app.outbox,
        clock=app.clock,
    )
    app.consume([events_topic("petition")], handlers(router))
    app.main()


if __name__ == "__main__":
    main()
