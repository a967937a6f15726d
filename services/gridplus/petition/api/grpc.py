"""PetitionService: proto in, use case, proto out. For staff and services; residents use HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence

import grpc
from sqlalchemy.orm import Session

from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc
from gridplus.kit.auth import current_principal
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import FieldViolation, InvalidArgument, NotFound
from gridplus.kit.interceptors import AuthPolicy, service_policy
from gridplus.kit.roles import STAFF_ROLES, Role
from gridplus.petition.api import paging, watch
from gridplus.petition.api.convert import (
    from_timestamp,
    history_to_proto,
    photo_to_proto,
    view_to_proto,
)
from gridplus.petition.api.requests import list_query, page_size, require_id, require_request_id
from gridplus.petition.domain import commands
from gridplus.petition.domain.access import HANDLERS, Viewer
from gridplus.petition.domain.petition import Petition
from gridplus.petition.domain.photos import CleanPhoto, check_count
from gridplus.petition.domain.submission import (
    Submission,
    validate_contact,
    validate_submission,
)
from gridplus.petition.handlers import intake, personal_data, queries, staff
from gridplus.petition.handlers.deps import Deps
from gridplus.petition.handlers.intake import NewPetition
from gridplus.petition.storage.blobs import BlobNotFound
from gridplus.petition.storage.images import clean_photo

SERVICE_NAME = petition_pb2.DESCRIPTOR.services_by_name["PetitionService"].full_name

_HANDLER_ROLES = frozenset(HANDLERS)
POLICY: AuthPolicy = service_policy(
    SERVICE_NAME,
    {
        "SubmitPetition": STAFF_ROLES,
        "GetPetition": STAFF_ROLES,
        "ListPetitions": STAFF_ROLES,
        "GetPetitionHistory": STAFF_ROLES,
        "GetPetitionPhoto": STAFF_ROLES,
        "WatchPetitions": STAFF_ROLES,
        "GetReporterContacts": frozenset({Role.SERVICE}),
        "BatchGetReporterContacts": frozenset({Role.SERVICE}),
        "VerifyPetition": _HANDLER_ROLES,
        "RejectPetition": _HANDLER_ROLES,
        "MergePetition": _HANDLER_ROLES,
        "ResolvePetition": _HANDLER_ROLES,
        "ReopenPetition": _HANDLER_ROLES,
        "AddPetitionNote": _HANDLER_ROLES | {Role.INSPECTOR},
        "AnonymiseResident": frozenset({Role.ADMIN}),
        "SetPetitionPublication": _HANDLER_ROLES,
    },
)

# Domain field names -> where they live in SubmitPetitionRequest.
_FIELDS = {"lat": "location.lat", "lon": "location.lon"}


class PetitionServicer(petition_pb2_grpc.PetitionServiceServicer):
    def __init__(
        self,
        sessions: SessionFactory,
        deps: Deps,
        wake: Callable[[], None] = lambda: None,
        stopping: threading.Event | None = None,
        max_watches: int = 8,
    ) -> None:
        self._sessions = sessions
        self._deps = deps
        self._wake = wake
        self._stopping = stopping or threading.Event()
        # Each open watch holds one of the server's worker threads: keep most for unary calls.
        self._watch_slots = threading.BoundedSemaphore(max_watches)

    def SubmitPetition(
        self, request: petition_pb2.SubmitPetitionRequest, context: grpc.ServicerContext
    ) -> petition_pb2.SubmitPetitionResponse:
        require_request_id(request.request_id)
        caller = _caller()
        result = intake.submit_petition_once(
            self._sessions,
            self._deps,
            new=self._new_petition(request),
            reporter=caller,
            key=request.request_id,
            key_field="request_id",
        )
        self._wake()
        return petition_pb2.SubmitPetitionResponse(petition=self._shown(result.petition_id, caller))

    def _new_petition(self, request: petition_pb2.SubmitPetitionRequest) -> NewPetition:
        contact = request.contact
        given = validate_contact(
            {
                "name": contact.name,
                "phone": contact.phone,
                "email": contact.email,
                "address": contact.address,
            },
            prefix="contact.",
        )
        return NewPetition(_submission(request), given, self._photos(request.photos))

    def _photos(self, photos: Sequence[bytes]) -> list[CleanPhoto]:
        limits = self._deps.photo_limits
        check_count(len(photos), limits)
        return [clean_photo(data, limits, field=f"photos[{n}]") for n, data in enumerate(photos)]

    def GetPetition(
        self, request: petition_pb2.GetPetitionRequest, context: grpc.ServicerContext
    ) -> petition_pb2.GetPetitionResponse:
        require_id(request.id)
        return petition_pb2.GetPetitionResponse(petition=self._shown(request.id, _caller()))

    def ListPetitions(
        self, request: petition_pb2.ListPetitionsRequest, context: grpc.ServicerContext
    ) -> petition_pb2.ListPetitionsResponse:
        caller = _caller()
        query = list_query(request, queries.scope_of(caller))
        size = page_size(request.page_size)
        token = request.page_token
        after = paging.decode(token, query, field="page_token") if token else None
        with transaction(self._sessions) as session:
            page = queries.list_petitions(
                session, query=query, after=after, limit=size, clock=self._deps.clock
            )
            shown = [self._view(session, p, caller, with_duplicates=False) for p in page.petitions]
        return petition_pb2.ListPetitionsResponse(
            petitions=shown,
            next_page_token=paging.encode(page.next_key, query) if page.next_key else "",
        )

    def GetPetitionHistory(
        self, request: petition_pb2.GetPetitionHistoryRequest, context: grpc.ServicerContext
    ) -> petition_pb2.GetPetitionHistoryResponse:
        require_id(request.id)
        with transaction(self._sessions) as session:
            entries = queries.get_history(session, petition_id=request.id, viewer=_caller())
        return petition_pb2.GetPetitionHistoryResponse(
            entries=[history_to_proto(e) for e in entries]
        )

    def GetReporterContacts(
        self, request: petition_pb2.GetReporterContactsRequest, context: grpc.ServicerContext
    ) -> petition_pb2.GetReporterContactsResponse:
        if not request.petition_id:
            raise InvalidArgument.single("petition_id", "is required")
        with transaction(self._sessions) as session:
            found = personal_data.get_reporter_contacts(
                session, self._deps, petition_id=request.petition_id
            )
        return petition_pb2.GetReporterContactsResponse(contacts=_contacts(found))

    def BatchGetReporterContacts(
        self, request: petition_pb2.BatchGetReporterContactsRequest, context: grpc.ServicerContext
    ) -> petition_pb2.BatchGetReporterContactsResponse:
        ids = list(request.petition_ids)
        if not ids:
            raise InvalidArgument.single("petition_ids", "is required")
        if len(ids) > personal_data.MAX_BATCH_PETITIONS:
            raise InvalidArgument.single(
                "petition_ids", f"at most {personal_data.MAX_BATCH_PETITIONS} per call"
            )
        if not all(ids):
            raise InvalidArgument.single("petition_ids", "must not hold an empty id")
        with transaction(self._sessions) as session:
            found = personal_data.get_many_reporter_contacts(session, self._deps, petition_ids=ids)
        return petition_pb2.BatchGetReporterContactsResponse(
            petitions=[
                petition_pb2.PetitionReporterContacts(
                    petition_id=petition_id, contacts=_contacts(contacts)
                )
                for petition_id, contacts in found.items()
            ]
        )

    def VerifyPetition(
        self, request: petition_pb2.VerifyPetitionRequest, context: grpc.ServicerContext
    ) -> petition_pb2.VerifyPetitionResponse:
        deadline = from_timestamp(request.deadline) if request.HasField("deadline") else None
        command = commands.Verify(request.category or None, deadline, request.note)
        shown = self._mutate(request.request_id, request.id, command)
        return petition_pb2.VerifyPetitionResponse(petition=shown)

    def RejectPetition(
        self, request: petition_pb2.RejectPetitionRequest, context: grpc.ServicerContext
    ) -> petition_pb2.RejectPetitionResponse:
        shown = self._mutate(request.request_id, request.id, commands.Reject(request.reason))
        return petition_pb2.RejectPetitionResponse(petition=shown)

    def MergePetition(
        self, request: petition_pb2.MergePetitionRequest, context: grpc.ServicerContext
    ) -> petition_pb2.MergePetitionResponse:
        shown = self._mutate(request.request_id, request.id, commands.Merge(request.survivor_id))
        return petition_pb2.MergePetitionResponse(petition=shown)

    def ResolvePetition(
        self, request: petition_pb2.ResolvePetitionRequest, context: grpc.ServicerContext
    ) -> petition_pb2.ResolvePetitionResponse:
        command = commands.Resolve(request.note, self._photos(request.photos))
        shown = self._mutate(request.request_id, request.id, command)
        return petition_pb2.ResolvePetitionResponse(petition=shown)

    def ReopenPetition(
        self, request: petition_pb2.ReopenPetitionRequest, context: grpc.ServicerContext
    ) -> petition_pb2.ReopenPetitionResponse:
        shown = self._mutate(request.request_id, request.id, commands.Reopen(request.note))
        return petition_pb2.ReopenPetitionResponse(petition=shown)

    def AddPetitionNote(
        self, request: petition_pb2.AddPetitionNoteRequest, context: grpc.ServicerContext
    ) -> petition_pb2.AddPetitionNoteResponse:
        shown = self._mutate(request.request_id, request.id, commands.AddNote(request.note))
        return petition_pb2.AddPetitionNoteResponse(petition=shown)

    def SetPetitionPublication(
        self, request: petition_pb2.SetPetitionPublicationRequest, context: grpc.ServicerContext
    ) -> petition_pb2.SetPetitionPublicationResponse:
        command = commands.SetPublication(request.publish, request.note)
        shown = self._mutate(request.request_id, request.id, command)
        return petition_pb2.SetPetitionPublicationResponse(petition=shown)

    def GetPetitionPhoto(
        self, request: petition_pb2.GetPetitionPhotoRequest, context: grpc.ServicerContext
    ) -> petition_pb2.GetPetitionPhotoResponse:
        require_id(request.id)
        with transaction(self._sessions) as session:
            try:
                ref, content = queries.get_photo(
                    session, self._deps, petition_id=request.id, seq=request.seq, viewer=_caller()
                )
            except BlobNotFound:
                raise NotFound(f"photo {request.seq} of petition {request.id} is gone") from None
        return petition_pb2.GetPetitionPhotoResponse(photo=photo_to_proto(ref), content=content)

    def WatchPetitions(
        self, request: petition_pb2.WatchPetitionsRequest, context: grpc.ServicerContext
    ) -> Iterator[petition_pb2.WatchPetitionsResponse]:
        caller = _caller()
        query = watch.watch_query(request, queries.scope_of(caller))
        feed = watch.Feed(self._sessions, query, request.cursor, clock=self._deps.clock)
        if not self._watch_slots.acquire(blocking=False):
            context.abort(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                "too many open watches on this replica; retry with backoff from your cursor",
            )
        try:
            yield from self._follow(feed, context)
        finally:
            self._watch_slots.release()

    def _follow(
        self, feed: watch.Feed, context: grpc.ServicerContext
    ) -> Iterator[petition_pb2.WatchPetitionsResponse]:
        # The starting point, so a client knows the watch is established (and where it began).
        context.send_initial_metadata(((watch.CURSOR_HEADER, feed.cursor),))
        for change in feed.follow(lambda: context.is_active() and not self._stopping.is_set()):
            yield petition_pb2.WatchPetitionsResponse(
                cursor=watch.encode_cursor(change.change_id),
                petition=view_to_proto(
                    change.petition,
                    contact=None,
                    masked=True,
                    photos=[],
                    possible_duplicates=[],
                    light=change.petition.light(self._deps.clock.now()),
                ),
                entry=history_to_proto(change.entry),
            )

    def AnonymiseResident(
        self, request: petition_pb2.AnonymiseResidentRequest, context: grpc.ServicerContext
    ) -> petition_pb2.AnonymiseResidentResponse:
        require_request_id(request.request_id)
        if not request.resident_id:
            raise InvalidArgument.single("resident_id", "is required")
        erased = personal_data.anonymise_resident_once(
            self._sessions,
            self._deps,
            resident_id=request.resident_id,
            caller=_caller(),
            request_id=request.request_id,
        )
        return petition_pb2.AnonymiseResidentResponse(contacts_erased=erased)

    def _mutate(
        self, request_id: str, petition_id: str, command: commands.Command
    ) -> petition_pb2.Petition:
        require_request_id(request_id)
        require_id(petition_id)
        caller = _caller()
        staff.apply_once(
            self._sessions,
            self._deps,
            petition_id=petition_id,
            command=command,
            caller=caller,
            request_id=request_id,
        )
        self._wake()
        return self._shown(petition_id, caller)

    def _shown(self, petition_id: str, caller: Viewer) -> petition_pb2.Petition:
        with transaction(self._sessions) as session:
            petition = queries.get_petition(session, petition_id=petition_id, viewer=caller)
            return self._view(session, petition, caller)

    def _view(
        self, session: Session, petition: Petition, caller: Viewer, *, with_duplicates: bool = True
    ) -> petition_pb2.Petition:
        view = queries.view_of(
            session,
            self._deps,
            petition=petition,
            viewer=caller,
            with_duplicates=with_duplicates,
        )
        return view_to_proto(
            view.petition,
            contact=view.contact,
            masked=view.contact_masked,
            photos=view.photos,
            possible_duplicates=view.possible_duplicates,
            light=view.light,
        )


def _caller() -> Viewer:
    return Viewer.of(current_principal())


def _submission(request: petition_pb2.SubmitPetitionRequest) -> Submission:
    located = request.HasField("location")
    try:
        return validate_submission(
            title=request.title,
            description=request.description,
            lat=request.location.lat if located else None,
            lon=request.location.lon if located else None,
            category=request.category,
            make_public=request.make_public,
        )
    except InvalidArgument as exc:
        raise InvalidArgument(
            [FieldViolation(_FIELDS.get(v.field, v.field), v.description) for v in exc.violations]
        ) from None


def _contacts(found: Sequence[personal_data.ReporterContact]) -> list[petition_pb2.ReporterContact]:
    return [
        petition_pb2.ReporterContact(
            reporter_id=c.reporter_id,
            display_name=c.contact.name,
            email=c.contact.email,
            phone=c.contact.phone,
            language=c.contact.language,
            via_duplicate=c.via_duplicate,
        )
        for c in found
    ]
