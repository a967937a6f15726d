"""Run the petition service: python -m gridplus.petition [serve|migrate|reseal-contacts]."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from prometheus_client import REGISTRY

from gridplus.api.petition.v1 import petition_pb2_grpc
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.pii import KeyRing
from gridplus.kit.service import ServiceApp
from gridplus.kit.topology import events_topic
from gridplus.petition.api.grpc import POLICY, SERVICE_NAME, PetitionServicer
from gridplus.petition.api.http import create_app
from gridplus.petition.api.http_server import http_loop
from gridplus.petition.api.open311 import Open311Settings
from gridplus.petition.clients import FollowUpClient, RegistryCategories
from gridplus.petition.config import PetitionSettings
from gridplus.petition.handlers.deps import Deps
from gridplus.petition.messaging.consumers import dispatch_handlers, evaluation_handlers
from gridplus.petition.metrics import PetitionsByStatus
from gridplus.petition.storage import contacts
from gridplus.petition.storage.blobs import LocalBlobStore

log = logging.getLogger(__name__)


def main() -> None:
    app = ServiceApp(
        "petition",
        area="petition",
        migrations=Path(__file__).parent / "storage" / "alembic",
    )
    settings = PetitionSettings.from_env(app.env, app.settings.var_dir)
    deps = Deps(
        outbox=app.outbox,
        clock=app.clock,
        keys=KeyRing.from_env(app.env, app.settings.var_dir),
        blobs=LocalBlobStore(settings.photo_dir),
        photo_limits=settings.photo_limits,
        duplicate_rule=settings.duplicate_rule,
    )
    stopping = threading.Event()
    servicer = PetitionServicer(
        app.sessions,
        deps,
        wake=app.relay.wake,
        stopping=stopping,
        max_watches=settings.max_watches,
    )
    app.grpc_api(
        lambda server: petition_pb2_grpc.add_PetitionServiceServicer_to_server(servicer, server),
        SERVICE_NAME,
        POLICY,
    )
    app.consume(
        [events_topic("dispatch"), events_topic("evaluation")],
        {**dispatch_handlers(deps), **evaluation_handlers(deps)},
    )
    web = create_app(
        sessions=app.sessions,
        deps=deps,
        jwt=app.settings.jwt,
        wake=app.relay.wake,
        categories=RegistryCategories(
            app.channel("grid_registry"), ttl_seconds=settings.categories_cache_seconds
        ),
        open311_settings=Open311Settings(
            api_keys=settings.open311_api_keys,
            jurisdiction_id=settings.open311_jurisdiction,
            publish=settings.open311_publish,
        ),
        follow_ups=FollowUpClient(app.channel("evaluation")),
    )
    # Half the grace period: the runner waits for all loops within the whole of it.
    grace = app.settings.shutdown_grace_seconds / 2
    app.add_loop("http", http_loop(web, port=settings.http_port, grace_seconds=grace))
    app.add_loop("watch-streams", _ending(stopping))
    REGISTRY.register(PetitionsByStatus(app.sessions))
    app.command("reseal-contacts", lambda: _reseal(app.sessions, deps.keys))
    app.main()


def _reseal(sessions: SessionFactory, keys: KeyRing) -> None:
    """Operator command after a key rotation: re-encrypt every contact under the active key."""
    total = 0
    while True:
        with transaction(sessions) as session:
            done = contacts.reseal(session, keys=keys)
        total += done
        if not done:
            break
    log.info("contacts resealed", extra={"contacts": total, "key_id": keys.active_id})


def _ending(stopping: threading.Event) -> Callable[[threading.Event], None]:
    """A loop that ends open watch streams when the service stops."""

    def run(stop: threading.Event) -> None:
        stop.wait()
        stopping.set()

    return run


if __name__ == "__main__":
    main()
