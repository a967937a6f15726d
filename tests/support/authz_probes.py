"""One probe per operation of the authorization matrix: a valid request (real ids from the demo
city and the world's petitions) made with a caller's token, answered as a status name and, for
lists and streams, whether the target petition was shown.

A status is the gRPC code name; HTTP statuses are mapped onto the same names. FAILED_PRECONDITION
means the call passed authorization and was refused for the object's state (an earlier role
already verified the petition): the test counts it as allowed, and asks that every allowed
operation was applied (OK) at least once.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import requests

from gridplus.api.dispatch.v1 import dispatch_pb2 as di
from gridplus.api.evaluation.v1 import evaluation_pb2 as ev
from gridplus.api.grid.v1 import grid_pb2 as gr
from gridplus.api.notification.v1 import notification_pb2 as no
from gridplus.api.petition.v1 import petition_pb2 as pe
from gridplus.kit.roles import Role
from tests.support.authz_world import (
    CATEGORY,
    TIMES_SQUARE,
    Caller,
    World,
    jpeg,
    point,
    request_id,
)


@dataclass(frozen=True)
class Result:
    status: str  # OK, PERMISSION_DENIED, NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT, ...
    shown: bool | None = None  # lists and streams: whether the target was in the answer
    detail: str = ""


Probe = Callable[[World, Caller], Result]
PROBES: dict[str, Probe] = {}

_HTTP = {
    200: "OK", 201: "OK", 204: "OK", 400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED", 404: "NOT_FOUND", 409: "FAILED_PRECONDITION",
    422: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED",
}  # fmt: skip


def probe(key: str) -> Callable[[Probe], Probe]:
    def register(fn: Probe) -> Probe:
        PROBES[key] = fn
        return fn

    return register


def call(method: Callable[..., Any], request: Any, caller: Caller) -> tuple[Result, Any]:
    try:
        return Result("OK"), method(request, metadata=caller.metadata, timeout=15)
    except grpc.RpcError as error:
        return Result(error.code().name, detail=str(error.details())), None


def unary(method: Callable[..., Any], request: Any, caller: Caller) -> Result:
    return call(method, request, caller)[0]


def listed(
    method: Callable[..., Any],
    request: Any,
    caller: Caller,
    ids: Callable[[Any], Iterable[str]],
    target: str,
) -> Result:
    """Pages through a list (up to 20 pages) looking for `target`."""
    for _ in range(20):
        result, answer = call(method, request, caller)
        if answer is None:
            return result
        if target in set(ids(answer)):
            return Result("OK", shown=True)
        token = getattr(answer, "next_page_token", "")
        if not token:
            return Result("OK", shown=False)
        request.page_token = token
    return Result("OK", shown=False)


def streamed(
    method: Callable[..., Any],
    request: Any,
    caller: Caller,
    shows: Callable[[Any], bool],
    provoke: Callable[[], None] | None,
    wait: float = 6.0,
) -> Result:
    """Opens a server stream; once it is established (or the first message arrives), `provoke`
    makes a change of the target, and the stream is read for `wait` seconds."""
    stream = method(request, metadata=caller.metadata, timeout=wait)
    found = threading.Event()
    failure: list[grpc.RpcError] = []

    def read() -> None:
        try:
            for message in stream:
                if shows(message):
                    found.set()
                    stream.cancel()
                    return
        except grpc.RpcError as error:
            failure.append(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        stream.initial_metadata()
    except grpc.RpcError as error:
        return Result(error.code().name, detail=str(error.details()))
    if provoke is not None:
        provoke()
    reader.join(wait + 1)
    if found.is_set():
        return Result("OK", shown=True)
    if failure and failure[0].code() not in (
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.CANCELLED,
    ):
        return Result(failure[0].code().name, detail=str(failure[0].details()))
    return Result("OK", shown=False if provoke is not None else None)


def http(
    world: World,
    method: str,
    path: str,
    caller: Caller,
    *,
    list_key: str = "",
    want: str | None = None,
    **kw: Any,
) -> Result:
    """`list_key`: the answer is a list under this key, searched for `want` (the target by
    default); `want` None with a list: the caller reported nothing to look for."""
    response = requests.request(
        method, f"{world.http}{path}", headers=caller.headers, timeout=15, **kw
    )
    status = _HTTP.get(response.status_code, f"HTTP_{response.status_code}")
    if status != "OK" or not list_key:
        return Result(status, detail=response.text[:300] if status != "OK" else "")
    items = response.json()[list_key]
    if list_key == "petitions" and want is None:
        # Someone who reported nothing: the list must not show the world's petitions.
        return Result(status, shown=None if caller.inside else _has(items, world.target))
    return Result(status, shown=_has(items, want or world.target))


def _has(items: list[dict[str, Any]], petition_id: str) -> bool:
    return any(item.get("id") == petition_id for item in items)


def _note(world: World) -> Callable[[], None]:
    def provoke() -> None:
        world.stubs.petition.AddPetitionNote(
            pe.AddPetitionNoteRequest(request_id=request_id(), id=world.target, note="watched"),
            metadata=world.admin.metadata,
            timeout=10,
        )

    return provoke


def _pause_resume(world: World) -> Callable[[], None]:
    """A change of the target's assignment: its clock paused and resumed by an admin."""

    def provoke() -> None:
        pause = di.PauseClockRequest(
            petition_id=world.target, reason="waiting for parts", request_id=request_id()
        )
        resume = di.ResumeClockRequest(petition_id=world.target, request_id=request_id())
        metadata = world.admin.metadata
        world.stubs.dispatch.PauseClock(pause, metadata=metadata, timeout=10)
        world.stubs.dispatch.ResumeClock(resume, metadata=metadata, timeout=10)

    return provoke


# -- grid-registry --------------------------------------------------------------------------------


@probe("grid-registry LocateGrid")
def _(w: World, c: Caller) -> Result:
    return unary(
        w.stubs.grid.LocateGrid, gr.LocateGridRequest(lat=TIMES_SQUARE[0], lon=TIMES_SQUARE[1]), c
    )


@probe("grid-registry GetGrid")
def _(w: World, c: Caller) -> Result:
    return unary(w.stubs.grid.GetGrid, gr.GetGridRequest(code=w.other_grid), c)


@probe("grid-registry ListGrids")
def _(w: World, c: Caller) -> Result:
    return unary(w.stubs.grid.ListGrids, gr.ListGridsRequest(level=1), c)


@probe("grid-registry ListMembers")
def _(w: World, c: Caller) -> Result:
    return unary(w.stubs.grid.ListMembers, gr.ListMembersRequest(grid_code=w.grid), c)


@probe("grid-registry ListCategories")
def _(w: World, c: Caller) -> Result:
    return unary(w.stubs.grid.ListCategories, gr.ListCategoriesRequest(), c)


@probe("grid-registry GetCategory")
def _(w: World, c: Caller) -> Result:
    return unary(w.stubs.grid.GetCategory, gr.GetCategoryRequest(code=CATEGORY), c)


@probe("grid-registry ListDepartments")
def _(w: World, c: Caller) -> Result:
    return unary(w.stubs.grid.ListDepartments, gr.ListDepartmentsRequest(), c)


@probe("grid-registry ResolveResponsibility")
def _(w: World, c: Caller) -> Result:
    request = gr.ResolveResponsibilityRequest(category_code=CATEGORY, grid_code=w.grid)
    return unary(w.stubs.grid.ResolveResponsibility, request, c)


@probe("grid-registry GetChain")
def _(w: World, c: Caller) -> Result:
    return unary(w.stubs.grid.GetChain, gr.GetChainRequest(grid_code=w.grid), c)


@probe("grid-registry LocateGrids")
def _(w: World, c: Caller) -> Result:
    def requests_() -> Iterator[gr.LocateGridsRequest]:
        yield gr.LocateGridsRequest(lats=[TIMES_SQUARE[0]], lons=[TIMES_SQUARE[1]])

    try:
        answers = list(w.stubs.grid.LocateGrids(requests_(), metadata=c.metadata, timeout=15))
    except grpc.RpcError as error:
        return Result(error.code().name, detail=str(error.details()))
    return Result("OK" if answers and answers[0].grid_codes[0] == w.grid else "UNEXPECTED")


@probe("grid-registry ListGridBoundaries")
def _(w: World, c: Caller) -> Result:
    request = gr.ListGridBoundariesRequest(level=1, simplify_meters=200)
    return unary(w.stubs.grid.ListGridBoundaries, request, c)


# -- petition (gRPC) ------------------------------------------------------------------------------


@probe("petition SubmitPetition")
def _(w: World, c: Caller) -> Result:
    request = pe.SubmitPetitionRequest(
        request_id=request_id(),
        title="Pothole reported by phone",
        description="A deep pothole in the right lane",
        location=point(*TIMES_SQUARE),
        category="nyc.street_condition",
    )
    return unary(w.stubs.petition.SubmitPetition, request, c)


@probe("petition GetPetition")
def _(w: World, c: Caller) -> Result:
    return unary(w.stubs.petition.GetPetition, pe.GetPetitionRequest(id=w.target), c)


@probe("petition ListPetitions")
def _(w: World, c: Caller) -> Result:
    request = pe.ListPetitionsRequest(page_size=100, text="(main)")
    return listed(
        w.stubs.petition.ListPetitions, request, c, lambda a: (p.id for p in a.petitions), w.target
    )


@probe("petition GetPetitionHistory")
def _(w: World, c: Caller) -> Result:
    return unary(w.stubs.petition.GetPetitionHistory, pe.GetPetitionHistoryRequest(id=w.target), c)


@probe("petition GetReporterContacts")
def _(w: World, c: Caller) -> Result:
    request = pe.GetReporterContactsRequest(petition_id=w.target)
    return unary(w.stubs.petition.GetReporterContacts, request, c)


@probe("petition BatchGetReporterContacts")
def _(w: World, c: Caller) -> Result:
    request = pe.BatchGetReporterContactsRequest(petition_ids=[w.target])
    return unary(w.stubs.petition.BatchGetReporterContacts, request, c)


def _mutation(method: str, kind: Callable[..., Any], purpose: str, **fields: Any) -> Probe:
    def run(w: World, c: Caller) -> Result:
        extra = {k: (v(w) if callable(v) else v) for k, v in fields.items()}
        request = kind(request_id=request_id(), id=w.petitions[purpose], **extra)
        return unary(getattr(w.stubs.petition, method), request, c)

    return run


PROBES["petition VerifyPetition"] = _mutation("VerifyPetition", pe.VerifyPetitionRequest, "verify")
PROBES["petition RejectPetition"] = _mutation(
    "RejectPetition", pe.RejectPetitionRequest, "reject", reason="not a sewer problem"
)
PROBES["petition MergePetition"] = _mutation(
    "MergePetition", pe.MergePetitionRequest, "merge", survivor_id=lambda w: w.target
)
PROBES["petition ResolvePetition"] = _mutation(
    "ResolvePetition", pe.ResolvePetitionRequest, "resolve", note="cleared the drain"
)
PROBES["petition ReopenPetition"] = _mutation(
    "ReopenPetition", pe.ReopenPetitionRequest, "reopen", note="still flooding"
)
PROBES["petition AddPetitionNote"] = _mutation(
    "AddPetitionNote", pe.AddPetitionNoteRequest, "main", note="called the reporter"
)
PROBES["petition SetPetitionPublication"] = _mutation(
    "SetPetitionPublication",
    pe.SetPetitionPublicationRequest,
    "publication",
    publish=False,
    note="shows a licence plate",
)


@probe("petition GetPetitionPhoto")
def _(w: World, c: Caller) -> Result:
    request = pe.GetPetitionPhotoRequest(id=w.target, seq=1)
    return unary(w.stubs.petition.GetPetitionPhoto, request, c)


@probe("petition WatchPetitions")
def _(w: World, c: Caller) -> Result:
    request = pe.WatchPetitionsRequest()
    return streamed(
        w.stubs.petition.WatchPetitions, request, c, lambda m: m.petition.id == w.target, _note(w)
    )


@probe("petition AnonymiseResident")
def _(w: World, c: Caller) -> Result:
    # A resident with nothing stored: the erasure is real, and nobody the other probes need.
    request = pe.AnonymiseResidentRequest(request_id=request_id(), resident_id="resident-authz-z")
    return unary(w.stubs.petition.AnonymiseResident, request, c)


# -- dispatch -------------------------------------------------------------------------------------


def _ids(answer: Any) -> Iterator[str]:
    return (a.petition_id for a in answer.assignments)


@probe("dispatch GetAssignment")
def _(w: World, c: Caller) -> Result:
    return unary(w.stubs.dispatch.GetAssignment, di.GetAssignmentRequest(petition_id=w.target), c)


@probe("dispatch ListAssignments")
def _(w: World, c: Caller) -> Result:
    request = di.ListAssignmentsRequest(grid_code=w.grid, page_size=100)
    return listed(w.stubs.dispatch.ListAssignments, request, c, _ids, w.target)


@probe("dispatch ListOverdue")
def _(w: World, c: Caller) -> Result:
    request = di.ListOverdueRequest(grid_code=w.grid, page_size=100)
    if c.role in (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD):
        # Naming the target's department: another department's staff (outside) ask for it.
        request.department_code = w.department
    return listed(w.stubs.dispatch.ListOverdue, request, c, _ids, w.target)


@probe("dispatch PauseClock")
def _(w: World, c: Caller) -> Result:
    request = di.PauseClockRequest(
        petition_id=w.petitions["clock"], reason="waiting for parts", request_id=request_id()
    )
    return unary(w.stubs.dispatch.PauseClock, request, c)


@probe("dispatch ResumeClock")
def _(w: World, c: Caller) -> Result:
    request = di.ResumeClockRequest(petition_id=w.petitions["clock"], request_id=request_id())
    return unary(w.stubs.dispatch.ResumeClock, request, c)


@probe("dispatch ListTriage")
def _(w: World, c: Caller) -> Result:
    # The e2e stack routes every petition (no triage item to show or hide): the role is checked.
    return unary(w.stubs.dispatch.ListTriage, di.ListTriageRequest(page_size=10), c)


@probe("dispatch SetTriageCategory")
def _(w: World, c: Caller) -> Result:
    request = di.SetTriageCategoryRequest(
        petition_id=w.target, category_code=CATEGORY, request_id=request_id()
    )
    return unary(w.stubs.dispatch.SetTriageCategory, request, c)


@probe("dispatch AcceptAssignment")
def _(w: World, c: Caller) -> Result:
    purpose = "accept_chief" if c.role is Role.GRID_CHIEF else "accept"
    if c.role in (Role.GRID_WORKER, Role.GRID_CHIEF) and c.inside:
        c = w.as_subject(c, w.assignees[purpose])
    request = di.AcceptAssignmentRequest(petition_id=w.petitions[purpose], request_id=request_id())
    return unary(w.stubs.dispatch.AcceptAssignment, request, c)


@probe("dispatch TransferAssignment")
def _(w: World, c: Caller) -> Result:
    # To a department's queue (its own, for a department caller): a change every role may ask.
    if c.role is Role.GRID_WORKER and c.inside:
        c = w.as_subject(c, w.assignees["transfer"])
    request = di.TransferAssignmentRequest(
        petition_id=w.petitions["transfer"],
        to_department_code=w.department,
        reason="belongs to the sewer crew",
        request_id=request_id(),
    )
    return unary(w.stubs.dispatch.TransferAssignment, request, c)


@probe("dispatch RefuseAssignment")
def _(w: World, c: Caller) -> Result:
    purpose = "refuse_head" if c.role is Role.DEPARTMENT_HEAD else "refuse"
    request = di.RefuseAssignmentRequest(
        petition_id=w.petitions[purpose],
        reason="not ours: a private drain",
        request_id=request_id(),
    )
    return unary(w.stubs.dispatch.RefuseAssignment, request, c)


@probe("dispatch BlowWhistle")
def _(w: World, c: Caller) -> Result:
    request = di.BlowWhistleRequest(
        petition_id=w.target,
        department_codes=[w.department],
        reason="the street floods each rain",
        request_id=request_id(),
    )
    return unary(w.stubs.dispatch.BlowWhistle, request, c)


@probe("dispatch ReportToWhistle")
def _(w: World, c: Caller) -> Result:
    request = di.ReportToWhistleRequest(
        whistle_id=w.whistle_id, note="crew on the way", request_id=request_id()
    )
    return unary(w.stubs.dispatch.ReportToWhistle, request, c)


@probe("dispatch WatchAssignments")
def _(w: World, c: Caller) -> Result:
    request = di.WatchAssignmentsRequest()
    return streamed(
        w.stubs.dispatch.WatchAssignments,
        request,
        c,
        lambda m: m.assignment.petition_id == w.target,
        _pause_resume(w),
    )


@probe("dispatch CountLights")
def _(w: World, c: Caller) -> Result:
    result, answer = call(
        w.stubs.dispatch.CountLights, di.CountLightsRequest(level=3, grid_code=w.grid), c
    )
    if answer is None:
        return result
    counted = sum(g.red + g.yellow + g.green for g in answer.grids if g.grid_code == w.grid)
    return Result("OK", shown=counted > 0)


@probe("dispatch ListWhistles")
def _(w: World, c: Caller) -> Result:
    request = di.ListWhistlesRequest(petition_id=w.petitions["whistle"])
    result, answer = call(w.stubs.dispatch.ListWhistles, request, c)
    if answer is None:
        return result
    return Result("OK", shown=any(x.whistle_id == w.whistle_id for x in answer.whistles))


# -- notification ---------------------------------------------------------------------------------


def _recipient(w: World, c: Caller) -> str:
    """Inside: the caller's own inbox. Outside: someone else's (the main petition's worker's, or
    for that worker, the chief's)."""
    if c.inside:
        return c.subject
    return w.assignee


@probe("notification ListInbox")
def _(w: World, c: Caller) -> Result:
    return unary(
        w.stubs.notification.ListInbox, no.ListInboxRequest(recipient_id=_recipient(w, c)), c
    )


@probe("notification MarkRead")
def _(w: World, c: Caller) -> Result:
    request = no.MarkReadRequest(recipient_id=_recipient(w, c), request_id=request_id())
    return unary(w.stubs.notification.MarkRead, request, c)


@probe("notification CountUnread")
def _(w: World, c: Caller) -> Result:
    request = no.CountUnreadRequest(recipient_id=_recipient(w, c))
    return unary(w.stubs.notification.CountUnread, request, c)


@probe("notification WatchInbox")
def _(w: World, c: Caller) -> Result:
    request = no.WatchInboxRequest(recipient_id=_recipient(w, c))
    return streamed(w.stubs.notification.WatchInbox, request, c, lambda m: False, None, wait=1.0)


_WEBHOOK_EVENTS = ["gridplus.events.v1.PetitionSubmitted"]


def _webhook_url(w: World) -> str:
    return f"http://127.0.0.1:{w.stack.ports.webhook_receiver}/hooks/authz"


@probe("notification CreateWebhookSubscription")
def _(w: World, c: Caller) -> Result:
    request = no.CreateWebhookSubscriptionRequest(
        url=_webhook_url(w), event_types=_WEBHOOK_EVENTS, request_id=request_id()
    )
    result, created = call(w.stubs.notification.CreateWebhookSubscription, request, c)
    if created is not None:
        # Gone again at once: the shared stack's receiver belongs to the webhook tests.
        w.stubs.notification.DeleteWebhookSubscription(
            no.DeleteWebhookSubscriptionRequest(
                id=created.subscription.id, request_id=request_id()
            ),
            metadata=c.metadata,
            timeout=10,
        )
    return result


@probe("notification ListWebhookSubscriptions")
def _(w: World, c: Caller) -> Result:
    request = no.ListWebhookSubscriptionsRequest()
    return unary(w.stubs.notification.ListWebhookSubscriptions, request, c)


@probe("notification DeleteWebhookSubscription")
def _(w: World, c: Caller) -> Result:
    # An operator deletes its own (a service sees only those it made); the outside service
    # tries an admin's.
    owner = c if c.role in (Role.ADMIN, Role.SERVICE) and c.inside else w.admin
    created = w.stubs.notification.CreateWebhookSubscription(
        no.CreateWebhookSubscriptionRequest(
            url=_webhook_url(w), event_types=_WEBHOOK_EVENTS, request_id=request_id()
        ),
        metadata=owner.metadata,
        timeout=10,
    )
    request = no.DeleteWebhookSubscriptionRequest(
        id=created.subscription.id, request_id=request_id()
    )
    try:
        return unary(w.stubs.notification.DeleteWebhookSubscription, request, c)
    finally:
        # A refused delete leaves the subscription live: its owner removes it, or every later
        # petition of the shared stack would be posted to the receiver and open its circuit for
        # the webhook tests (tests/e2e/test_probe_webhooks.py).
        with contextlib.suppress(grpc.RpcError):
            w.stubs.notification.DeleteWebhookSubscription(
                no.DeleteWebhookSubscriptionRequest(
                    id=created.subscription.id, request_id=request_id()
                ),
                metadata=owner.metadata,
                timeout=10,
            )


@probe("notification ListDeliveries")
def _(w: World, c: Caller) -> Result:
    request = no.ListDeliveriesRequest(recipient_id=_recipient(w, c))
    return unary(w.stubs.notification.ListDeliveries, request, c)


@probe("notification SendBulletin")
def _(w: World, c: Caller) -> Result:
    request = no.SendBulletinRequest(
        grid_code=w.grid,
        title_zh="道路施工",
        body_zh="本周道路施工",
        title_en="Road works",
        body_en="Road works this week",
        request_id=request_id(),
    )
    return unary(w.stubs.notification.SendBulletin, request, c)


@probe("notification ListBulletins")
def _(w: World, c: Caller) -> Result:
    result, answer = call(w.stubs.notification.ListBulletins, no.ListBulletinsRequest(), c)
    if answer is None:
        return result
    return Result("OK", shown=any(b.bulletin_id == w.bulletin_id for b in answer.bulletins))


@probe("notification GetBulletinProgress")
def _(w: World, c: Caller) -> Result:
    request = no.GetBulletinProgressRequest(bulletin_id=w.bulletin_id)
    return unary(w.stubs.notification.GetBulletinProgress, request, c)


# -- evaluation -----------------------------------------------------------------------------------

_MONTH = ev.PeriodSelector(kind=ev.PERIOD_KIND_MONTH)


@probe("evaluation GetScorecard")
def _(w: World, c: Caller) -> Result:
    if c.role.value.startswith("department"):
        request = ev.GetScorecardRequest(
            kind=ev.SUBJECT_KIND_DEPARTMENT, subject_id=w.department, period=_MONTH
        )
    else:
        request = ev.GetScorecardRequest(
            kind=ev.SUBJECT_KIND_GRID, subject_id=w.grid, period=_MONTH
        )
    return unary(w.stubs.evaluation.GetScorecard, request, c)


@probe("evaluation ListScorecards")
def _(w: World, c: Caller) -> Result:
    request = ev.ListScorecardsRequest(kind=ev.SUBJECT_KIND_GRID, grid_level=1, period=_MONTH)
    return unary(w.stubs.evaluation.ListScorecards, request, c)


@probe("evaluation ExportScorecards")
def _(w: World, c: Caller) -> Result:
    request = ev.ExportScorecardsRequest(
        kind=ev.SUBJECT_KIND_GRID, grid_level=1, period=_MONTH, format=ev.EXPORT_FORMAT_CSV
    )
    return unary(w.stubs.evaluation.ExportScorecards, request, c)


@probe("evaluation RateFollowUp")
def _(w: World, c: Caller) -> Result:
    request = ev.RateFollowUpRequest(
        petition_id=w.petitions["rate_grpc"],
        rating=5,
        comment="quick work",
        request_id=request_id(),
    )
    if c.role.value == "service":
        request.resident_id = "resident-authz-a"
    return unary(w.stubs.evaluation.RateFollowUp, request, c)


@probe("evaluation RecordFollowUpVisit")
def _(w: World, c: Caller) -> Result:
    request = ev.RecordFollowUpVisitRequest(
        petition_id=w.petitions["visit"], rating=4, comment="dry now", request_id=request_id()
    )
    return unary(w.stubs.evaluation.RecordFollowUpVisit, request, c)


@probe("evaluation GetFollowUp")
def _(w: World, c: Caller) -> Result:
    request = ev.GetFollowUpRequest(petition_id=w.petitions["visit"])
    return unary(w.stubs.evaluation.GetFollowUp, request, c)


@probe("evaluation RecordAssessment")
def _(w: World, c: Caller) -> Result:
    request = ev.RecordAssessmentRequest(
        worker_id=w.assignee,
        grid_code=w.grid,
        listen_score=80,
        evaluate_score=85,
        look_score=90,
        discuss_score=75,
        note="open visit",
        request_id=request_id(),
    )
    return unary(w.stubs.evaluation.RecordAssessment, request, c)


def _spots(method: Callable[..., Any], kind: Callable[..., Any]) -> Probe:
    """Hot spots of the target's grid this week. Whether one forms inside is the detector's
    business (the e2e world has a day of data); outside, none may: the caller sees none of
    the grid's petitions."""

    def run(w: World, c: Caller) -> Result:
        request = kind(
            period=ev.PeriodSelector(kind=ev.PERIOD_KIND_WEEK), grid_level=3, grid_code=w.grid
        )
        result, answer = call(getattr(w.stubs.evaluation, method), request, c)
        if answer is None:
            return result
        return Result("OK", shown=True if answer.hot_spots else (None if c.inside else False))

    return run


PROBES["evaluation ListHotSpots"] = _spots("ListHotSpots", ev.ListHotSpotsRequest)
PROBES["evaluation ListRisingCategories"] = _spots(
    "ListRisingCategories", ev.ListRisingCategoriesRequest
)


@probe("evaluation ListRepeatLocations")
def _(w: World, c: Caller) -> Result:
    request = ev.ListRepeatLocationsRequest(min_points=2, grid_code=w.grid, limit=1000)
    result, answer = call(w.stubs.evaluation.ListRepeatLocations, request, c)
    if answer is None:
        return result
    return Result("OK", shown=any(w.target in x.petition_ids for x in answer.locations))


@probe("evaluation GetGridDigest")
def _(w: World, c: Caller) -> Result:
    request = ev.GetGridDigestRequest(grid_code=w.grid)
    return unary(w.stubs.evaluation.GetGridDigest, request, c)


@probe("evaluation GetStarRule")
def _(w: World, c: Caller) -> Result:
    return unary(w.stubs.evaluation.GetStarRule, ev.GetStarRuleRequest(), c)


@probe("evaluation ListRankings")
def _(w: World, c: Caller) -> Result:
    request = ev.ListRankingsRequest(kind=ev.SUBJECT_KIND_GRID, grid_level=1, period=_MONTH)
    return unary(w.stubs.evaluation.ListRankings, request, c)


@probe("evaluation RecordServiceHours")
def _(w: World, c: Caller) -> Result:
    request = ev.RecordServiceHoursRequest(
        person_id="resident-authz-a",
        minutes=60,
        reason="ran the lane clean-up",
        request_id=request_id(),
    )
    return unary(w.stubs.evaluation.RecordServiceHours, request, c)


def _account(w: World, c: Caller) -> str:
    return c.subject if c.inside else "resident-authz-a"


@probe("evaluation SpendPoints")
def _(w: World, c: Caller) -> Result:
    request = ev.SpendPointsRequest(
        person_id=_account(w, c), points=1, reason="a bus pass", request_id=request_id()
    )
    return unary(w.stubs.evaluation.SpendPoints, request, c)


@probe("evaluation GetTimeBankAccount")
def _(w: World, c: Caller) -> Result:
    request = ev.GetTimeBankAccountRequest(person_id=_account(w, c))
    return unary(w.stubs.evaluation.GetTimeBankAccount, request, c)


# -- HTTP -----------------------------------------------------------------------------------------


def _path(w: World, suffix: str = "") -> str:
    return f"/api/v1/petitions/{w.target}{suffix}"


PROBES["http GET /"] = lambda w, c: http(w, "GET", "/", c)
PROBES["http GET /page/<asset>"] = lambda w, c: http(w, "GET", "/page/app.js", c)
PROBES["http GET /api/v1/petitions"] = lambda w, c: http(
    w, "GET", "/api/v1/petitions?limit=100", c, list_key="petitions", want=w.reported.get(c.subject)
)
PROBES["http GET /api/v1/petitions/<id>"] = lambda w, c: http(w, "GET", _path(w), c)
PROBES["http GET /api/v1/petitions/<id>/history"] = lambda w, c: http(
    w, "GET", _path(w, "/history"), c
)
PROBES["http GET /api/v1/petitions/<id>/photos/<seq>"] = lambda w, c: http(
    w, "GET", _path(w, "/photos/1"), c
)
PROBES["http GET /api/v1/petitions/<id>/follow-up"] = lambda w, c: http(
    w, "GET", f"/api/v1/petitions/{w.petitions['visit']}/follow-up", c
)


@probe("http POST /api/v1/petitions")
def _(w: World, c: Caller) -> Result:
    body = {
        "title": "Broken bench",
        "description": "The bench in the square lost a plank",
        "lat": TIMES_SQUARE[0],
        "lon": TIMES_SQUARE[1],
        "category": "nyc.street_condition",
    }
    response = requests.post(f"{w.http}/api/v1/petitions", json=body, headers=c.headers, timeout=15)
    if response.status_code == 201 and c.subject not in w.reported:
        w.reported[c.subject] = str(response.json()["id"])  # for GET /api/v1/petitions
    status = _HTTP.get(response.status_code, f"HTTP_{response.status_code}")
    return Result(status, detail="" if status == "OK" else response.text[:300])


@probe("http POST /api/v1/petitions/<id>/rating")
def _(w: World, c: Caller) -> Result:
    path = f"/api/v1/petitions/{w.petitions['rate_http']}/rating"
    return http(w, "POST", path, c, json={"rating": 5, "comment": "thanks"})


@probe("http DELETE /api/v1/me/personal-data")
def _(w: World, c: Caller) -> Result:
    if c.role.value == "resident":
        # Erasing the reporter of every world petition would spoil other probes: a resident of
        # their own, minted here, erases theirs.
        c = Caller(c.role, "resident-authz-eraser", w.token(c.role, "resident-authz-eraser"), True)
    return http(w, "DELETE", "/api/v1/me/personal-data", c)


_O311 = "/open311/v2"
PROBES["http GET /open311/v2/discovery.json"] = lambda w, c: http(
    w, "GET", f"{_O311}/discovery.json", c
)
PROBES["http GET /open311/v2/services.json"] = lambda w, c: http(
    w, "GET", f"{_O311}/services.json", c
)
PROBES["http GET /open311/v2/services/<code>.json"] = lambda w, c: http(
    w, "GET", f"{_O311}/services/{CATEGORY}.json", c
)
PROBES["http GET /open311/v2/requests.json"] = lambda w, c: http(
    w, "GET", f"{_O311}/requests.json", c
)
PROBES["http GET /open311/v2/requests/<id>.json"] = lambda w, c: http(
    w, "GET", f"{_O311}/requests/{w.target}.json", c
)
PROBES["http GET /open311/v2/tokens/<id>.json"] = lambda w, c: http(
    w, "GET", f"{_O311}/tokens/{w.target}.json", c
)


@probe("http POST /open311/v2/requests.json")
def _(w: World, c: Caller) -> Result:
    form = {
        "api_key": w.stack.credentials["open311_api_key"],
        "service_code": CATEGORY,
        "lat": str(TIMES_SQUARE[0]),
        "long": str(TIMES_SQUARE[1]),
        "description": "Manhole cover rattles when cars pass",
    }
    return http(w, "POST", f"{_O311}/requests.json", c, data=form)


__all__ = ["PROBES", "Probe", "Result", "jpeg"]
