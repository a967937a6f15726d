"""PetitionService: proto in, use case, proto out. For staff and services; residents use HTTP."""

from __future__ import annotations

from collections.abc import Callable

import grpc

from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc
from gridplus.kit.auth import STAFF_ROLES, current_principal
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import FieldViolation, InvalidArgument
from gridplus.kit.interceptors import AuthPolicy, service_policy
from gridplus.kit.outbox import Outbox
from gridplus.petition import handlers
from gridplus.petition.api import paging
from gridplus.petition.domain.submission import Submission, validate_submission
from gridplus.petition.domain.values import Actor
from gridplus.petition.protos import history_to_proto, petition_to_proto, status_from_proto
from gridplus.petition.storage.repository import PetitionQuery

SERVICE_NAME = petition_pb2.DESCRIPTOR.services_by_name["PetitionService"].full_name

# Staff and services only; every staff role sees every petition until grid-subtree and
# department scoping arrive with the staff APIs.
POLICY: AuthPolicy = service_policy(
    SERVICE_NAME,
    {
        "SubmitPetition": STAFF_ROLES,
        "GetPetition": STAFF_ROLES,
        "ListPetitions": STAFF_ROLES,
        "GetPetitionHistory": STAFF_ROLES,
    },
)

REQUEST_ID_MAX = 200
# Domain field names -> where they live in SubmitPetitionRequest.
_FIELDS = {"lat": "location.lat", "lon": "location.lon"}


class PetitionServicer(petition_pb2_grpc.PetitionServiceServicer):
    def __init__(
        self,
        sessions: SessionFactory,
        outbox: Outbox,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._clock = clock
        self._wake = wake

    def SubmitPetition(
        self, request: petition_pb2.SubmitPetitionRequest, context: grpc.ServicerContext
    ) -> petition_pb2.SubmitPetitionResponse:
        if not request.request_id or len(request.request_id) > REQUEST_ID_MAX:
            raise InvalidArgument.single(
                "request_id", f"is required (1 to {REQUEST_ID_MAX} characters) so retries are safe"
            )
        caller = _caller()
        result = handlers.submit_petition_once(
            self._sessions,
            outbox=self._outbox,
            clock=self._clock,
            submission=_submission(request),
            reporter=caller,
            key=request.request_id,
            key_field="request_id",
        )
        self._wake()
        with transaction(self._sessions) as session:
            petition = handlers.get_petition(session, petition_id=result.petition_id, viewer=caller)
        return petition_pb2.SubmitPetitionResponse(petition=petition_to_proto(petition))

    def GetPetition(
        self, request: petition_pb2.GetPetitionRequest, context: grpc.ServicerContext
    ) -> petition_pb2.GetPetitionResponse:
        _require_id(request.id)
        with transaction(self._sessions) as session:
            petition = handlers.get_petition(session, petition_id=request.id, viewer=_caller())
        return petition_pb2.GetPetitionResponse(petition=petition_to_proto(petition))

    def ListPetitions(
        self, request: petition_pb2.ListPetitionsRequest, context: grpc.ServicerContext
    ) -> petition_pb2.ListPetitionsResponse:
        query = _query(request)
        size = _page_size(request.page_size)
        token = request.page_token
        after = paging.decode(token, query, field="page_token") if token else None
        with transaction(self._sessions) as session:
            page = handlers.list_petitions(session, query=query, after=after, limit=size)
        return petition_pb2.ListPetitionsResponse(
            petitions=[petition_to_proto(p) for p in page.petitions],
            next_page_token=paging.encode(page.next_key, query) if page.next_key else "",
        )

    def GetPetitionHistory(
        self, request: petition_pb2.GetPetitionHistoryRequest, context: grpc.ServicerContext
    ) -> petition_pb2.GetPetitionHistoryResponse:
        _require_id(request.id)
        with transaction(self._sessions) as session:
            entries = handlers.get_history(session, petition_id=request.id, viewer=_caller())
        return petition_pb2.GetPetitionHistoryResponse(
            entries=[history_to_proto(e) for e in entries]
        )


def _caller() -> Actor:
    principal = current_principal()
    return Actor(principal.subject, principal.role)


def _require_id(petition_id: str) -> None:
    if not petition_id:
        raise InvalidArgument.single("id", "is required")


def _submission(request: petition_pb2.SubmitPetitionRequest) -> Submission:
    located = request.HasField("location")
    try:
        return validate_submission(
            title=request.title,
            description=request.description,
            lat=request.location.lat if located else None,
            lon=request.location.lon if located else None,
            category=request.category,
        )
    except InvalidArgument as exc:
        raise InvalidArgument(
            [FieldViolation(_FIELDS.get(v.field, v.field), v.description) for v in exc.violations]
        ) from None


def _query(request: petition_pb2.ListPetitionsRequest) -> PetitionQuery:
    status = status_from_proto(request.status)
    if request.status and status is None:
        raise InvalidArgument.single("status", f"unknown status {request.status}")
    return PetitionQuery(status=status, grid_code=request.grid_code or None)


def _page_size(requested: int) -> int:
    # AIP-158: 0 means the default; more than the maximum is served as the maximum.
    if requested < 0:
        raise InvalidArgument.single("page_size", "must not be negative")
    return min(requested or paging.DEFAULT_PAGE_SIZE, paging.MAX_PAGE_SIZE)
