"""Run the petition service: python -m gridplus.petition [serve|migrate|reseal-contacts]
(the operator commands are in cli.py)."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Sequence

from prometheus_client import REGISTRY

from gridplus.api.petition.v1 import petition_pb2_grpc
from gridplus.kit.consumer import PATH_IDLE_PAUSE
from gridplus.kit.pii import KeyRing
from gridplus.kit.service import ServiceApp
from gridplus.kit.topology import events_topic
from gridplus.petition import cli
from gridplus.petition.api import resident_page
from gridplus.petition.api.grpc import POLICY, SERVICE_NAME, PetitionServicer
from gridplus.petition.api.http import create_app
from gridplus.petition.api.http_server import http_loop
from gridplus.petition.api.open311 import Open311Settings
from gridplus.petition.api.resident_map import tile_url
from gridplus.petition.api.resident_signin import SignInSettings
from gridplus.petition.clients import FollowUpClient, RegistryCategories, RegistryGridMap
from gridplus.petition.config import PetitionSettings
from gridplus.petition.handlers.deps import Deps
from gridplus.petition.messaging.consumers import dispatch_handlers, evaluation_handlers
from gridplus.petition.metrics import PetitionsByStatus
from gridplus.petition.storage.blobs import BlobStore, S3BlobStore

log = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in cli.COMMANDS:
        # Operator commands read only the settings they use (no JWT secret, no ports).
        code = cli.main(args)
        if code:
            raise SystemExit(code)
        return
    app = ServiceApp("petition", area="petition", migrations=cli.MIGRATIONS)
    settings = PetitionSettings.from_env(app.env, app.settings.var_dir)
    categories = RegistryCategories(
        app.channel("grid_registry"), ttl_seconds=settings.categories_cache_seconds
    )
    deps = Deps(
        outbox=app.outbox,
        clock=app.clock,
        keys=KeyRing.from_env(app.env, app.settings.var_dir),
        blobs=_photo_store(settings),
        photo_limits=settings.photo_limits,
        duplicate_rule=settings.duplicate_rule,
        categories=categories,
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
        # On the path a resident waits on (submit -> ASSIGNED): look again soon when caught up.
        idle_pause=PATH_IDLE_PAUSE,
    )
    web = create_app(
        sessions=app.sessions,
        deps=deps,
        jwt=app.settings.jwt,
        wake=app.relay.wake,
        categories=categories,
        open311_settings=Open311Settings(
            api_keys=settings.open311_api_keys,
            jurisdiction_id=settings.open311_jurisdiction,
            publish=settings.open311_publish,
        ),
        follow_ups=FollowUpClient(app.channel("evaluation")),
        intake_limits=settings.intake_limits,
    )
    resident_page.configure(
        web,
        resident_page.ResidentPage(
            sign_in=SignInSettings.from_env(app.env),
            photo_limits=settings.photo_limits,
            grid_map=RegistryGridMap(
                app.channel("grid_registry"), ttl_seconds=settings.categories_cache_seconds
            ),
            categories=categories,
            tile_url=tile_url(app.env.optional("GRIDPLUS_PETITION_TILE_URL")),
            tile_attribution=app.env.optional("GRIDPLUS_PETITION_TILE_ATTRIBUTION") or "",
        ),
    )
    # Half the grace period: the runner waits for all loops within the whole of it.
    grace = app.settings.shutdown_grace_seconds / 2
    app.add_loop("http", http_loop(web, port=settings.http_port, grace_seconds=grace))
    app.add_loop("watch-streams", _ending(stopping))
    REGISTRY.register(PetitionsByStatus(app.sessions))
    app.main(args)


def _photo_store(settings: PetitionSettings) -> BlobStore:
    """The configured photo store; a bucket that cannot be used now is a warning, not a failed
    start (petitions without photos still work, and uploads answer 503 until it is back)."""
    store = settings.blob_store()
    if isinstance(store, S3BlobStore) and (problem := store.problem()):
        log.warning("photo store not usable at start: %s", problem)
    return store


def _ending(stopping: threading.Event) -> Callable[[threading.Event], None]:
    """A loop that ends open watch streams when the service stops."""

    def run(stop: threading.Event) -> None:
        stop.wait()
        stopping.set()

    return run


if __name__ == "__main__":
    main()
