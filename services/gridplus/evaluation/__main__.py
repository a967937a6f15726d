"""Run the evaluation service: python -m gridplus.evaluation [serve|migrate|export|rebuild]."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import timedelta

from gridplus.api.evaluation.v1 import evaluation_pb2_grpc
from gridplus.evaluation import cli
from gridplus.evaluation.api.grpc import POLICY, SERVICE_NAME, EvaluationServicer
from gridplus.evaluation.config import EvaluationSettings
from gridplus.evaluation.handlers import Assessments, FollowUps, TimeBank
from gridplus.evaluation.jobs.follow_up_timeouts import FollowUpTimeouts
from gridplus.evaluation.jobs.grid_digests import GridDigests
from gridplus.evaluation.jobs.rate_gauges import RateGauges
from gridplus.evaluation.messaging.consumers import HANDLERS, TOPICS
from gridplus.kit.lease import Lease, new_holder_id
from gridplus.kit.service import ServiceApp

# The digest job's lease outlives a round of it (the fence renews it every digest).
DIGEST_LEASE = timedelta(minutes=2)


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in cli.COMMANDS:
        # Operator commands read only the settings they use (no JWT secret, no ports).
        code = cli.main(args)
        if code:
            raise SystemExit(code)
        return
    app = ServiceApp(
        "evaluation",
        area="evaluation",
        migrations=cli.MIGRATIONS,
    )
    settings = EvaluationSettings.from_env(app.env)
    follow_ups = FollowUps(app.outbox, app.clock, settings.follow_up)
    servicer = EvaluationServicer(
        app.sessions,
        app.clock,
        follow_ups=follow_ups,
        assessments=Assessments(app.outbox, app.clock, settings.weights),
        time_bank=TimeBank(app.clock, settings.points_per_hour),
    )
    app.grpc_api(
        lambda server: evaluation_pb2_grpc.add_EvaluationServiceServicer_to_server(
            servicer, server
        ),
        SERVICE_NAME,
        POLICY,
    )
    app.consume(TOPICS, HANDLERS)
    timeouts = FollowUpTimeouts(
        app.sessions,
        follow_ups,
        interval_seconds=settings.follow_up_scan_seconds,
        wake=app.relay.wake,
    )
    app.add_loop("follow-up-timeouts", timeouts.run)
    gauges = RateGauges(app.sessions, app.clock, interval_seconds=settings.gauges_seconds)
    app.add_loop("rate-gauges", gauges.run)
    lease = Lease(
        app.sessions,
        "evaluation-grid-digests",
        new_holder_id("grid-digests"),
        DIGEST_LEASE,
        app.clock,
    )
    weekly = GridDigests(
        app.sessions,
        app.outbox,
        app.clock,
        lease,
        interval_seconds=settings.digest_scan_seconds,
        grace=timedelta(minutes=settings.digest_delay_minutes),
        wake=app.relay.wake,
    )
    app.add_loop("grid-digests", weekly.run)
    app.main(args)


if __name__ == "__main__":
    main()
