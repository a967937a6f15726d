"""VisitService: household visits, photos, the diary and care clocks; proto in, use case, proto
out.

Scope: a visit is recorded by a grid worker of the household's grid only (anyone else: NOT_FOUND
for the household); a visit is read by the worker who made it, the grid staff of its subtree,
admins and inspectors (others: NOT_FOUND). A grid worker reads their own diary only; a chief the
diaries of workers in their subtree (a worker whose visits all lie elsewhere: PERMISSION_DENIED;
visits elsewhere are left out). RecordVisit takes a
`request_id` and is applied once (`api/once.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import grpc

from gridplus.api.dispatch.v1 import visits_pb2, visits_pb2_grpc
from gridplus.dispatch.api import intake
from gridplus.dispatch.api.once import Apply, Once
from gridplus.dispatch.api.visit_convert import LIGHTS_FROM_PROTO, care_due, visit_message
from gridplus.dispatch.domain import visits as rules
from gridplus.dispatch.domain.access import EVERYTHING, GRID_ROLES, NOTHING, Visibility
from gridplus.dispatch.domain.visits import Finding
from gridplus.dispatch.handlers import visits
from gridplus.dispatch.handlers.visits import VisitInput, VisitRecorder
from gridplus.kit.auth import current_principal
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import InvalidArgument, PermissionDenied
from gridplus.kit.images import PhotoLimits, clean_photo
from gridplus.kit.interceptors import AuthPolicy, service_policy
from gridplus.kit.page_tokens import read_page_token, write_page_token
from gridplus.kit.roles import Principal, Role

VISIT_SERVICE_NAME = visits_pb2.DESCRIPTOR.services_by_name["VisitService"].full_name
READERS = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF, Role.INSPECTOR, Role.ADMIN})
VISIT_POLICY: AuthPolicy = service_policy(
    VISIT_SERVICE_NAME,
    {
        "RecordVisit": frozenset({Role.GRID_WORKER}),
        "GetVisit": READERS,
        "GetVisitPhoto": READERS,
        "ListDiary": READERS,
        "ListCareDue": READERS,
    },
)
CARE_PAGE, CARE_PAGE_MAX = 100, 500


def visit_visibility(principal: Principal) -> Visibility:
    if principal.role in (Role.ADMIN, Role.INSPECTOR, Role.SERVICE):
        return EVERYTHING
    if principal.role in GRID_ROLES:
        return Visibility(grid_codes=principal.grid_codes, person_id=principal.subject)
    return NOTHING


class VisitServicer(visits_pb2_grpc.VisitServiceServicer):
    def __init__(
        self,
        sessions: SessionFactory,
        *,
        recorder: VisitRecorder,
        photo_limits: PhotoLimits | None = None,
    ) -> None:
        self._sessions = sessions
        self._recorder = recorder
        self._clock = recorder.clock
        self._limits = photo_limits or PhotoLimits()
        self._once = Once(sessions, self._clock)

    def RecordVisit(
        self, request: visits_pb2.RecordVisitRequest, context: grpc.ServicerContext
    ) -> visits_pb2.RecordVisitResponse:
        principal = current_principal()
        recorder = self._recorder

        def prepare() -> Apply:
            given = self._input(request)
            with transaction(self._sessions) as session:
                checked = recorder.check(session, principal, given)
            checked = recorder.measure(checked)  # grid-registry, outside any transaction
            return lambda session: visits_pb2.RecordVisitResponse(
                visit=visit_message(recorder.record(session, checked))
            )

        return self._once.run(
            "RecordVisit",
            request,
            visits_pb2.RecordVisitResponse,
            subject=principal.subject,
            prepare=prepare,
        )

    def _input(self, request: visits_pb2.RecordVisitRequest) -> VisitInput:
        household_id = intake.code(request.household_id, field="household_id", required=True)
        if not request.HasField("location"):
            raise InvalidArgument.single("location", "required")
        lat, lon = request.location.lat, request.location.lon
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InvalidArgument.single("location", "must be a WGS84 point")
        notes = intake.text(request.notes, field="notes", multiline=True)
        if len(notes) > rules.MAX_NOTES:
            raise InvalidArgument.single("notes", f"at most {rules.MAX_NOTES} characters")
        if len(request.photos) > self._limits.max_count:
            raise InvalidArgument.single(
                "photos", f"at most {self._limits.max_count} photos per visit"
            )
        visited_at = (
            request.visited_at.ToDatetime(tzinfo=UTC) if request.HasField("visited_at") else None
        )
        return VisitInput(
            household_id=household_id,
            visited_at=visited_at,
            location=(lat, lon),
            notes=notes,
            findings=_findings(request.findings),
            photos=[clean_photo(data, self._limits, field="photos") for data in request.photos],
        )

    def GetVisit(
        self, request: visits_pb2.GetVisitRequest, context: grpc.ServicerContext
    ) -> visits_pb2.GetVisitResponse:
        visit_id = intake.code(request.visit_id, field="visit_id", required=True)
        with transaction(self._sessions) as session:
            found = visits.get_visit(
                session, visit_id=visit_id, visibility=visit_visibility(current_principal())
            )
        return visits_pb2.GetVisitResponse(visit=visit_message(found))

    def GetVisitPhoto(
        self, request: visits_pb2.GetVisitPhotoRequest, context: grpc.ServicerContext
    ) -> visits_pb2.GetVisitPhotoResponse:
        visit_id = intake.code(request.visit_id, field="visit_id", required=True)
        if request.index < 1:
            raise InvalidArgument.single("index", "photos are numbered from 1")
        with transaction(self._sessions) as session:
            photo = visits.get_photo(
                session,
                visit_id=visit_id,
                index=request.index,
                visibility=visit_visibility(current_principal()),
            )
        return visits_pb2.GetVisitPhotoResponse(content_type=photo.media_type, content=photo.data)

    def ListDiary(
        self, request: visits_pb2.ListDiaryRequest, context: grpc.ServicerContext
    ) -> visits_pb2.ListDiaryResponse:
        principal = current_principal()
        worker_id = intake.code(request.worker_id, field="worker_id") or principal.subject
        if principal.role is Role.GRID_WORKER and worker_id != principal.subject:
            raise PermissionDenied("a grid worker reads their own diary only")
        days = rules.diary_range(request.from_day, request.to_day, self._recorder.today())
        with transaction(self._sessions) as session:
            found = visits.diary(
                session, worker_id=worker_id, days=days, visibility=visit_visibility(principal)
            )
        return visits_pb2.ListDiaryResponse(
            days=[
                visits_pb2.DiaryDay(day=day, visits=[visit_message(v) for v in day_visits])
                for day, day_visits in found
            ]
        )

    def ListCareDue(
        self, request: visits_pb2.ListCareDueRequest, context: grpc.ServicerContext
    ) -> visits_pb2.ListCareDueResponse:
        principal = current_principal()
        visibility = visit_visibility(principal)
        grid_code = intake.code(request.grid_code, field="grid_code")
        size = _care_page_size(request.page_size)
        filters = ["care", grid_code, int(request.light)]
        after = _read_care_token(request.page_token, filters) if request.page_token else None
        if grid_code:
            grid_codes: list[str] | None = [grid_code]
        else:
            grid_codes = None if visibility.everything else list(visibility.grid_codes)
        now = self._clock.now()
        with transaction(self._sessions) as session:
            found = visits.care_due(
                session,
                now=now,
                grid_codes=grid_codes,
                light=LIGHTS_FROM_PROTO.get(request.light),
                after=after,
                limit=size + 1,
            )
        page = found[:size]
        response = visits_pb2.ListCareDueResponse(
            care_due=[care_due(c, now) for c in page if visibility.covers(c.grid_path)]
        )
        if len(found) > size:
            last = page[-1]
            response.next_page_token = write_page_token(
                {"d": last.due_at.isoformat(), "m": last.member_id}, filters
            )
        return response


def _findings(given: Iterable[visits_pb2.VisitFinding]) -> list[Finding]:
    items = list(given)
    if len(items) > rules.MAX_FINDINGS:
        raise InvalidArgument.single("findings", f"at most {rules.MAX_FINDINGS} findings")
    found = []
    for item in items:
        title = intake.text(item.title, field="findings.title", required=True)
        if len(title) > rules.MAX_TITLE:
            raise InvalidArgument.single("findings.title", f"at most {rules.MAX_TITLE} characters")
        description = intake.text(item.description, field="findings.description", multiline=True)
        if len(description) > rules.MAX_NOTES:
            raise InvalidArgument.single(
                "findings.description", f"at most {rules.MAX_NOTES} characters"
            )
        category = intake.code(item.category, field="findings.category")
        found.append(Finding(0, category, title, description, item.raise_petition))
    return found


def _care_page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument.single("page_size", "must not be negative")
    return min(requested or CARE_PAGE, CARE_PAGE_MAX)


def _read_care_token(token: str, filters: list[object]) -> tuple[datetime, str]:
    position = read_page_token(token, filters)
    try:
        return datetime.fromisoformat(position["d"]), str(position["m"])
    except (KeyError, TypeError, ValueError):
        raise InvalidArgument.single("page_token", "not a token this API returned") from None
