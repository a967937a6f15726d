"""Run the evaluation service: python -m gridplus.evaluation [serve|migrate]."""

from __future__ import annotations

from pathlib import Path

from gridplus.api.evaluation.v1 import evaluation_pb2_grpc
from gridplus.evaluation.api.grpc import POLICY, SERVICE_NAME, EvaluationServicer
from gridplus.evaluation.messaging.consumers import HANDLERS
from gridplus.kit.service import ServiceApp
from gridplus.kit.topology import events_topic


def main() -> None:
    app = ServiceApp(
        "evaluation",
        area="evaluation",
        migrations=Path(__file__).parent / "storage" / "alembic",
    )
    servicer = EvaluationServicer(app.sessions, app.clock)
    app.grpc_api(
        lambda server: evaluation_pb2_grpc.add_EvaluationServiceServicer_to_server(
            servicer, server
        ),
        SERVICE_NAME,
        POLICY,
    )
    app.consume([events_topic("petition"), events_topic("dispatch")], HANDLERS)
    app.main()


if __name__ == "__main__":
    main()
