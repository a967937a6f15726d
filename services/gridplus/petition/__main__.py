"""Run the petition service: python -m gridplus.petition [serve|migrate]."""

from __future__ import annotations

from pathlib import Path

from gridplus.api.petition.v1 import petition_pb2_grpc
from gridplus.kit.service import ServiceApp
from gridplus.kit.topology import events_topic
from gridplus.petition.api.grpc import POLICY, SERVICE_NAME, PetitionServicer
from gridplus.petition.api.http import create_app
from gridplus.petition.api.http_server import http_loop
from gridplus.petition.config import PetitionSettings
from gridplus.petition.messaging.consumers import dispatch_handlers


def main() -> None:
    app = ServiceApp(
        "petition",
        area="petition",
        migrations=Path(__file__).parent / "storage" / "alembic",
    )
    settings = PetitionSettings.from_env(app.env)
    servicer = PetitionServicer(app.sessions, app.outbox, app.clock, wake=app.relay.wake)
    app.grpc_api(
        lambda server: petition_pb2_grpc.add_PetitionServiceServicer_to_server(servicer, server),
        SERVICE_NAME,
        POLICY,
    )
    app.consume([events_topic("dispatch")], dispatch_handlers(app.outbox))
    web = create_app(
        sessions=app.sessions,
        outbox=app.outbox,
        clock=app.clock,
        jwt=app.settings.jwt,
        wake=app.relay.wake,
    )
    # Half the grace period: the runner waits for all loops within the whole of it.
    grace = app.settings.shutdown_grace_seconds / 2
    app.add_loop("http", http_loop(web, port=settings.http_port, grace_seconds=grace))
    app.main()


if __name__ == "__main__":
    main()
