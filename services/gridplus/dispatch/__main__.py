"""Run the dispatch service: python -m gridplus.dispatch [serve|migrate]."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path

from gridplus.api.dispatch.v1 import dispatch_pb2_grpc, visits_pb2_grpc
from gridplus.dispatch.api.grpc import POLICY, SERVICE_NAME, DispatchServicer
from gridplus.dispatch.api.visits import VISIT_POLICY, VISIT_SERVICE_NAME, VisitServicer
from gridplus.dispatch.clients import GrpcGridDirectory
from gridplus.dispatch.config import DispatchSettings
from gridplus.dispatch.handlers.clocks import ClockKeeper
from gridplus.dispatch.handlers.grid_cache import CachedGridDirectory
from gridplus.dispatch.handlers.households import HouseholdReplica
from gridplus.dispatch.handlers.routing import PetitionRouter
from gridplus.dispatch.handlers.visits import VisitRecorder
from gridplus.dispatch.jobs.care_clocks import CareClockScanner
from gridplus.dispatch.jobs.deadlines import DeadlineScanner
from gridplus.dispatch.messaging.consumers import handlers
from gridplus.dispatch.storage.training import trained_classifier
from gridplus.kit.consumer import PATH_IDLE_PAUSE
from gridplus.kit.lease import Lease, new_holder_id
from gridplus.kit.service import ServiceApp
from gridplus.kit.topology import events_topic

log = logging.getLogger("gridplus.dispatch")


def main() -> None:
    app = ServiceApp(
        "dispatch",
        area="dispatch",
        migrations=Path(__file__).parent / "storage" / "alembic",
    )
    settings = DispatchSettings.from_env(app.env)
    directory = CachedGridDirectory(
        GrpcGridDirectory(app.channel("grid_registry"), cache_seconds=settings.cache_seconds),
        confirm_seconds=settings.grid_confirm_seconds,
    )
    started = time.perf_counter()
    classifier = trained_classifier()
    log.info("classifier trained", extra={"seconds": round(time.perf_counter() - started, 2)})
    router = PetitionRouter(
        directory=directory,
        outbox=app.outbox,
        clock=app.clock,
        policy=settings.policy,
        classifier=classifier,
        threshold=settings.threshold,
    )
    keeper = ClockKeeper(
        directory=directory, policy=settings.policy, clock=app.clock, outbox=app.outbox
    )
    servicer = DispatchServicer(
        app.sessions,
        clock=app.clock,
        keeper=keeper,
        router=router,
        outbox=app.outbox,
        directory=directory,
        whistle_report_minutes=settings.whistle_report_minutes,
    )
    app.grpc_api(
        lambda server: dispatch_pb2_grpc.add_DispatchServiceServicer_to_server(servicer, server),
        SERVICE_NAME,
        POLICY,
    )
    recorder = VisitRecorder(
        directory=directory,
        outbox=app.outbox,
        clock=app.clock,
        tolerance_meters=settings.visit_tolerance_meters,
        zone=settings.policy.calendar.zone,
    )
    visit_servicer = VisitServicer(app.sessions, recorder=recorder)
    app.grpc_api(
        lambda server: visits_pb2_grpc.add_VisitServiceServicer_to_server(visit_servicer, server),
        VISIT_SERVICE_NAME,
        VISIT_POLICY,
    )
    replica = HouseholdReplica(overrides=settings.care_overrides)
    app.consume(
        [events_topic("petition"), events_topic("grid")],
        handlers(router, keeper, app.sessions, households=(replica, directory)),
        # On the path a resident waits on (submit -> ASSIGNED): look again soon when caught up.
        idle_pause=PATH_IDLE_PAUSE,
    )
    # The light board counts the whole database: one replica exports it (see metrics.LightBoard).
    lights_lease = Lease(
        app.sessions,
        "dispatch-light-board",
        new_holder_id("dispatch"),
        timedelta(seconds=max(30.0, 3 * settings.lights_seconds)),
        app.clock,
    )
    scanner = DeadlineScanner(
        sessions=app.sessions,
        outbox=app.outbox,
        clock=app.clock,
        directory=directory,
        ladder=settings.ladder,
        interval_seconds=settings.scan_seconds,
        lights_interval_seconds=settings.lights_seconds,
        lights_lease=lights_lease,
    )
    app.add_loop("deadline-scanner", scanner.run)
    app.add_loop("light-board", scanner.run_lights)
    care_lease = Lease(
        app.sessions,
        "dispatch-care-board",
        new_holder_id("dispatch"),
        timedelta(seconds=max(30.0, 3 * settings.lights_seconds)),
        app.clock,
    )
    care_scanner = CareClockScanner(
        sessions=app.sessions,
        outbox=app.outbox,
        clock=app.clock,
        interval_seconds=settings.scan_seconds,
        gauge_interval_seconds=settings.lights_seconds,
        gauge_lease=care_lease,
    )
    app.add_loop("care-clocks", care_scanner.run)
    app.add_loop("care-board", care_scanner.run_gauges)
    app.main()


if __name__ == "__main__":
    main()
