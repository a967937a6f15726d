"""The protobuf contract: every mutation is retry-safe, events carry no personal data.

(Generated code freshness and `buf lint` run in `make lint`.)"""

from __future__ import annotations

from typing import Any

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.evaluation.v1 import evaluation_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.api.notification.v1 import notification_pb2
from gridplus.api.petition.v1 import petition_pb2

# Reads: they change nothing, so a retry is harmless. Everything else is a mutation.
QUERY_PREFIXES = ("Get", "BatchGet", "List", "Watch", "Count", "Locate", "Export")
QUERY_METHODS = {"ResolveResponsibility", "MeasureDistanceToGrid"}
# Fields that would carry a resident's personal data; events carry ids only (DESIGN.md, Events).
PERSONAL_FIELD_WORDS = ("name", "phone", "address", "email")
# Messages that describe things, not people: their names are not personal data.
IMPERSONAL_MESSAGES = {"CategoryChoice"}


def service_methods() -> list[tuple[str, Any]]:
    """Every RPC of every service in protos/, as (file package, method descriptor)."""
    modules = [grid_pb2, petition_pb2, dispatch_pb2, notification_pb2, evaluation_pb2]
    return [
        (module.DESCRIPTOR.package, method)
        for module in modules
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
    ]


def is_query(method_name: str) -> bool:
    return method_name.startswith(QUERY_PREFIXES) or method_name in QUERY_METHODS


def test_every_mutating_rpc_takes_a_request_id() -> None:
    """DESIGN: mutating calls take a request id so a retry is not applied twice."""
    missing = [
        f"{package}.{method.name}"
        for package, method in service_methods()
        if not is_query(method.name) and method.input_type.fields_by_name.get("request_id") is None
    ]
    assert missing == []
    mutations = [m.name for _, m in service_methods() if not is_query(m.name)]
    assert {"BlowWhistle", "SubmitPetition", "SendBulletin", "RecordAssessment"} <= set(mutations)


def test_events_carry_no_personal_data_fields() -> None:
    for message in events_pb2.DESCRIPTOR.message_types_by_name.values():
        if message.name in IMPERSONAL_MESSAGES:
            continue
        for field in message.fields:
            assert not any(word in field.name for word in PERSONAL_FIELD_WORDS), (
                f"{message.name}.{field.name} looks like personal data; events carry ids only"
            )
