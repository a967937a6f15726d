"""Run the notification service: python -m gridplus.notification [serve|migrate]."""

from __future__ import annotations

from pathlib import Path

from gridplus.api.notification.v1 import notification_pb2_grpc
from gridplus.kit.service import ServiceApp
from gridplus.notification.api.grpc import POLICY, SERVICE_NAME, NotificationServicer
from gridplus.notification.messaging.consumers import HANDLERS, TOPICS


def main() -> None:
    app = ServiceApp(
        "notification",
        area="notification",
        migrations=Path(__file__).parent / "storage" / "alembic",
    )
    servicer = NotificationServicer(app.sessions, app.clock)
    app.grpc_api(
        lambda server: notification_pb2_grpc.add_NotificationServiceServicer_to_server(
            servicer, server
        ),
        SERVICE_NAME,
        POLICY,
    )
    app.consume(TOPICS, HANDLERS)
    app.main()


if __name__ == "__main__":
    main()
