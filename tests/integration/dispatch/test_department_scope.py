"""Issue 18, hole 1: dispatch keeps every department to its own assignments, on every RPC, over
real gRPC with real tokens, on SQLite and PostgreSQL. NYPD, DOT and a department token without
the `department` claim are the probe's callers; a DSNY petition in Brooklyn grid BK0602 is what
they must not see or move."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import grpc
import pytest
from alembic import command
from alembic.config import Config
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from gridplus.api.dispatch.v1 import dispatch_pb2 as pb
from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.dispatch.domain.access import Visibility
from gridplus.dispatch.ports import Department
from gridplus.dispatch.storage import triage
from gridplus.dispatch.storage.models import TriageRow
from gridplus.kit.auth import Role
from gridplus.kit.db import create_database_engine, create_session_factory, transaction
from gridplus.kit.migrations import migrate
from tests.integration.dispatch.api_harness import MIGRATIONS, T0, Api, auth, dispatch_api
from tests.integration.dispatch.grid_registry_stub import FakeGridDirectory

pytestmark = pytest.mark.integration

# Responsibility as the seed's rules have it: street cleaning DSNY, noise NYPD, streets DOT.
RULES = {
    "nyc.dirty_conditions": "DSNY",
    "nyc.noise_residential": "NYPD",
    "nyc.street_condition": "DOT",
}

ADMIN = auth(Role.ADMIN, "admin-1")
INSPECTOR = auth(Role.INSPECTOR, "i-1")
DSNY = auth(Role.DEPARTMENT_STAFF, "s-dsny", department="DSNY")
NYPD = auth(Role.DEPARTMENT_STAFF, "s-nypd", department="NYPD")
NYPD_HEAD = auth(Role.DEPARTMENT_HEAD, "head-nypd", department="NYPD")
DOT = auth(Role.DEPARTMENT_STAFF, "s-dot", department="DOT")
NO_CLAIM = auth(Role.DEPARTMENT_STAFF, "dept-staff-demo")
NO_CLAIM_HEAD = auth(Role.DEPARTMENT_HEAD, "dept-head-demo")
OUTSIDERS = {"NYPD": NYPD, "NYPD head": NYPD_HEAD, "DOT": DOT, "no claim": NO_CLAIM}
CHIEF_BK0602 = auth(Role.GRID_CHIEF, "c-BK0602", grids=("BK0602",))
WORKER_MN0502 = auth(Role.GRID_WORKER, "w-MN0502-1", grids=("MN0502",))


class CityDirectory(FakeGridDirectory):
    def department(self, category_code: str, grid_code: str) -> Department | None:
        code = RULES.get(category_code)
        return None if code is None else Department(code, "", f"{code} answers for it")


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    with dispatch_api(database_url, CityDirectory()) as running:
        running.route("p-dot", "MN0503", "nyc.street_condition")  # c-MN0503, DOT
        running.route("p-dsny", "BK0602", "nyc.dirty_conditions")  # w-BK0602-1, DSNY
        running.route("p-nypd", "MN0502", "nyc.noise_residential")  # w-MN0502-1, NYPD
        yield running


def code_of(call: object, *args: object, **kwargs: object) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as error:
        result = call(*args, **kwargs)  # type: ignore[operator]
        if isinstance(result, Iterator):
            next(result)  # a stream fails on its first message
    return error.value.code()  # type: ignore[attr-defined, no-any-return]


def refused_fields(call: object, *args: object, **kwargs: object) -> list[str]:
    with pytest.raises(grpc.RpcError) as refused:
        call(*args, **kwargs)  # type: ignore[operator]
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    status = rpc_status.from_call(refused.value)  # type: ignore[arg-type]
    assert status is not None
    bad = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad)
    return [v.field for v in bad.field_violations]


def seen_by_admin(api: Api, petition_id: str) -> pb.Assignment:
    request = pb.GetAssignmentRequest(petition_id=petition_id)
    return api.stub.GetAssignment(request, metadata=ADMIN, timeout=5).assignment


def listed(api: Api, metadata: list[tuple[str, str]], **filters: str) -> list[str]:
    page = api.stub.ListAssignments(
        pb.ListAssignmentsRequest(**filters), metadata=metadata, timeout=5
    )
    return sorted(a.petition_id for a in page.assignments)


def overdue(api: Api, metadata: list[tuple[str, str]], **filters: str) -> list[str]:
    page = api.stub.ListOverdue(pb.ListOverdueRequest(**filters), metadata=metadata, timeout=5)
    return sorted(a.petition_id for a in page.assignments)


def transfers(api: Api) -> list[events_pb2.AssignmentTransferred]:
    return [e for _, e in api.published() if isinstance(e, events_pb2.AssignmentTransferred)]


def reports(api: Api) -> list[events_pb2.WhistleReported]:
    return [e for _, e in api.published() if isinstance(e, events_pb2.WhistleReported)]


def test_the_probes_transfer_is_not_found_and_changes_nothing(api: Api) -> None:
    before = seen_by_admin(api, "p-dsny")
    assert (before.department_code, before.assignee_id) == ("DSNY", "w-BK0602-1")
    probe = pb.TransferAssignmentRequest(
        petition_id="p-dsny",
        to_department_code="NYPD",
        to_assignee_id="w-MN0502-1",
        reason="ours now",
    )
    for name, metadata in OUTSIDERS.items():
        assert code_of(api.stub.TransferAssignment, probe, metadata=metadata, timeout=5) == (
            grpc.StatusCode.NOT_FOUND
        ), name
    assert seen_by_admin(api, "p-dsny") == before
    assert transfers(api) == []


def test_a_department_reads_only_its_own_assignments(api: Api) -> None:
    assert listed(api, NYPD) == listed(api, NYPD_HEAD) == ["p-nypd"]
    assert listed(api, DOT) == ["p-dot"]
    assert listed(api, DSNY) == ["p-dsny"]
    assert listed(api, NO_CLAIM) == listed(api, NO_CLAIM_HEAD) == []
    # Filters never widen the scope.
    assert listed(api, NYPD, grid_code="BK0602") == []
    assert listed(api, NYPD, assignee_id="w-BK0602-1") == []
    assert listed(api, ADMIN) == listed(api, INSPECTOR) == ["p-dot", "p-dsny", "p-nypd"]
    for name, metadata in OUTSIDERS.items():
        request = pb.GetAssignmentRequest(petition_id="p-dsny")
        code = code_of(api.stub.GetAssignment, request, metadata=metadata, timeout=5)
        assert code == grpc.StatusCode.NOT_FOUND, name
    mine = api.stub.GetAssignment(pb.GetAssignmentRequest(petition_id="p-dsny"), metadata=DSNY)
    assert mine.assignment.department_code == "DSNY"


def test_overdue_lists_only_the_departments_own_even_when_filtered_by_another(api: Api) -> None:
    api.clock.advance(timedelta(days=5))  # every verify clock has run out
    assert overdue(api, ADMIN) == ["p-dot", "p-dsny", "p-nypd"]
    assert overdue(api, ADMIN, department_code="DSNY") == ["p-dsny"]
    assert overdue(api, NYPD) == overdue(api, NYPD_HEAD) == ["p-nypd"]
    assert overdue(api, NYPD, department_code="DSNY") == []
    assert overdue(api, DOT, department_code="NYPD") == []
    assert overdue(api, NO_CLAIM) == overdue(api, NO_CLAIM_HEAD) == []
    assert overdue(api, NO_CLAIM, department_code="DSNY") == []


def test_another_departments_clock_cannot_be_paused_or_resumed(api: Api) -> None:
    pause = pb.PauseClockRequest(petition_id="p-dsny", reason="resident away")
    resume = pb.ResumeClockRequest(petition_id="p-dsny")
    for name, metadata in {"NYPD": NYPD, "DOT": DOT, "no claim": NO_CLAIM}.items():
        assert (
            code_of(api.stub.PauseClock, pause, metadata=metadata) == grpc.StatusCode.NOT_FOUND
        ), name
    assert not seen_by_admin(api, "p-dsny").paused
    assert api.stub.PauseClock(pause, metadata=DSNY, timeout=5).assignment.paused
    for name, metadata in {"NYPD": NYPD, "DOT": DOT, "no claim": NO_CLAIM}.items():
        assert (
            code_of(api.stub.ResumeClock, resume, metadata=metadata) == grpc.StatusCode.NOT_FOUND
        ), name
    assert seen_by_admin(api, "p-dsny").paused
    assert not api.stub.ResumeClock(resume, metadata=DSNY, timeout=5).assignment.paused


def test_another_department_cannot_accept_or_refuse(api: Api) -> None:
    accept = pb.AcceptAssignmentRequest(petition_id="p-dsny")
    refuse = pb.RefuseAssignmentRequest(petition_id="p-dsny", reason="not ours")
    for name, metadata in OUTSIDERS.items():
        assert code_of(api.stub.AcceptAssignment, accept, metadata=metadata) == (
            grpc.StatusCode.NOT_FOUND
        ), name
        assert code_of(api.stub.RefuseAssignment, refuse, metadata=metadata) == (
            grpc.StatusCode.NOT_FOUND
        ), name
    after = seen_by_admin(api, "p-dsny")
    assert (after.HasField("accepted_at"), after.refusals, after.department_code) == (
        False,
        0,
        "DSNY",
    )
    assert api.stub.AcceptAssignment(accept, metadata=DSNY, timeout=5).assignment.HasField(
        "accepted_at"
    )


def test_a_department_transfers_its_own_out_and_the_receiver_accepts_it(api: Api) -> None:
    within = pb.TransferAssignmentRequest(
        petition_id="p-dsny", to_assignee_id="c-BK06", reason="needs the district chief"
    )
    moved = api.stub.TransferAssignment(within, metadata=DSNY, timeout=5).assignment
    assert (moved.assignee_id, moved.assignee_role, moved.department_code) == (
        "c-BK06",
        grid_pb2.MEMBER_ROLE_GRID_CHIEF,
        "DSNY",
    )
    out = pb.TransferAssignmentRequest(
        petition_id="p-dsny", to_department_code="DOT", reason="a broken kerb, not litter"
    )
    sent = api.stub.TransferAssignment(out, metadata=DSNY, timeout=5).assignment
    assert (sent.department_code, sent.HasField("accepted_at")) == ("DOT", False)
    # Out of DSNY's hands, into DOT's queue: DOT's own staff accept it.
    again = pb.GetAssignmentRequest(petition_id="p-dsny")
    assert code_of(api.stub.GetAssignment, again, metadata=DSNY) == grpc.StatusCode.NOT_FOUND
    assert listed(api, DOT) == ["p-dot", "p-dsny"]
    accepted = api.stub.AcceptAssignment(
        pb.AcceptAssignmentRequest(petition_id="p-dsny"), metadata=DOT, timeout=5
    ).assignment
    assert accepted.HasField("accepted_at") and accepted.department_code == "DOT"
    assert [(t.from_department_code, t.to_department_code) for t in transfers(api)] == [
        ("DSNY", "DSNY"),
        ("DSNY", "DOT"),
    ]


def test_a_named_assignee_must_work_in_the_petitions_grid(api: Api) -> None:
    before = seen_by_admin(api, "p-dsny")
    for metadata in (DSNY, ADMIN, CHIEF_BK0602):
        stranger = pb.TransferAssignmentRequest(
            petition_id="p-dsny", to_assignee_id="w-MN0502-1", reason="someone"
        )
        assert refused_fields(api.stub.TransferAssignment, stranger, metadata=metadata) == [
            "to_assignee_id"
        ]
    unknown = pb.TransferAssignmentRequest(
        petition_id="p-dsny", to_department_code="NYPX", reason="typo"
    )
    assert refused_fields(api.stub.TransferAssignment, unknown, metadata=DSNY) == [
        "to_department_code"
    ]
    assert seen_by_admin(api, "p-dsny") == before
    assert transfers(api) == []


def test_whistles_are_reported_only_by_a_summoned_department_for_itself(api: Api) -> None:
    blow = pb.BlowWhistleRequest(
        petition_id="p-dsny", department_codes=["DSNY", "DOT"], reason="blocked pavement"
    )
    # A worker of another grid cannot blow on it; an unknown department cannot be summoned.
    assert code_of(api.stub.BlowWhistle, blow, metadata=WORKER_MN0502) == grpc.StatusCode.NOT_FOUND
    typo = pb.BlowWhistleRequest(petition_id="p-dsny", department_codes=["DSNX"], reason="x")
    assert refused_fields(api.stub.BlowWhistle, typo, metadata=CHIEF_BK0602) == ["department_codes"]
    whistle = api.stub.BlowWhistle(blow, metadata=CHIEF_BK0602, timeout=5).whistle
    report = pb.ReportToWhistleRequest(whistle_id=whistle.whistle_id, note="on our way")
    for name, metadata in {
        "NYPD": NYPD,
        "no claim": NO_CLAIM,
        "no claim head": NO_CLAIM_HEAD,
    }.items():
        assert code_of(api.stub.ReportToWhistle, report, metadata=metadata) == (
            grpc.StatusCode.NOT_FOUND
        ), name
    made = api.stub.ReportToWhistle(report, metadata=DOT, timeout=5).whistle
    assert [(r.department_code, r.HasField("reported_at")) for r in made.reports] == [
        ("DOT", True),
        ("DSNY", False),
    ]
    [reported] = reports(api)
    assert (reported.department_code, reported.reporter_id) == ("DOT", "s-dot")


def test_a_department_watches_only_its_own_and_no_claim_watches_nothing(api: Api) -> None:
    # The change log: 1 p-dot (DOT), 2 p-dsny (DSNY), 3 p-nypd (NYPD).
    nypd = api.stub.WatchAssignments(pb.WatchAssignmentsRequest(after_change_id=1), metadata=NYPD)
    assert next(nypd).assignment.petition_id == "p-nypd"
    nypd.cancel()
    nothing = api.stub.WatchAssignments(
        pb.WatchAssignmentsRequest(after_change_id=1), metadata=NO_CLAIM, timeout=2
    )
    with pytest.raises(grpc.RpcError) as quiet:
        next(nothing)
    assert quiet.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED  # type: ignore[attr-defined]
    other = pb.WatchAssignmentsRequest(department_code="DSNY")
    assert code_of(api.stub.WatchAssignments, other, metadata=NYPD) == (
        grpc.StatusCode.PERMISSION_DENIED
    )


def test_triage_is_scoped_to_the_chiefs_grids_and_closed_to_departments(api: Api) -> None:
    api.route("t-bk", "BK0602", category="")
    api.route("t-mn", "MN0502", category="")

    def queue(metadata: list[tuple[str, str]]) -> list[str]:
        found = api.stub.ListTriage(pb.ListTriageRequest(), metadata=metadata, timeout=5)
        return sorted(item.petition_id for item in found.items)

    chief_mn = auth(Role.GRID_CHIEF, "c-MN0502", grids=("MN0502",))
    assert queue(chief_mn) == ["t-mn"]
    assert queue(auth(Role.GRID_CHIEF, "c-BK06", grids=("BK06",))) == ["t-bk"]
    assert queue(ADMIN) == ["t-bk", "t-mn"]
    set_bk = pb.SetTriageCategoryRequest(petition_id="t-bk", category_code="nyc.dirty_conditions")
    assert code_of(api.stub.SetTriageCategory, set_bk, metadata=chief_mn) == (
        grpc.StatusCode.NOT_FOUND
    )
    for metadata in (auth(Role.DEPARTMENT_HEAD, "head-dsny", department="DSNY"), NO_CLAIM_HEAD):
        assert code_of(api.stub.ListTriage, pb.ListTriageRequest(), metadata=metadata) == (
            grpc.StatusCode.PERMISSION_DENIED
        )
    routed = api.stub.SetTriageCategory(set_bk, metadata=CHIEF_BK0602, timeout=5).assignment
    assert (routed.petition_id, routed.department_code) == ("t-bk", "DSNY")


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (
            pb.TransferAssignmentRequest(
                petition_id="p-dsny", to_assignee_id="w-BK0602-2", reason="on leave\u202e"
            ),
            "reason",
        ),
        (
            pb.TransferAssignmentRequest(
                petition_id="p-dsny", to_assignee_id="w-BK0602-2\x00", reason="on leave"
            ),
            "to_assignee_id",
        ),
        (
            pb.RefuseAssignmentRequest(petition_id="p-dsny", reason="not ours\r\nSYSTEM: approved"),
            "reason",
        ),
        (pb.PauseClockRequest(petition_id="p-dsny", reason="away \u2066until Monday"), "reason"),
    ],
    ids=["transfer-rlo", "transfer-nul-assignee", "refuse-crlf", "pause-isolate"],
)
def test_spoofing_text_is_refused_naming_the_field_and_changes_nothing(
    api: Api, request_: object, field: str
) -> None:
    call = {
        pb.TransferAssignmentRequest: api.stub.TransferAssignment,
        pb.RefuseAssignmentRequest: api.stub.RefuseAssignment,
        pb.PauseClockRequest: api.stub.PauseClock,
    }[type(request_)]
    before = seen_by_admin(api, "p-dsny")
    published = len(api.published())
    assert refused_fields(call, request_, metadata=DSNY, timeout=5) == [field]
    assert seen_by_admin(api, "p-dsny") == before
    assert len(api.published()) == published


def test_a_whistle_report_keeps_its_lines_but_not_a_bidi_override(api: Api) -> None:
    blow = pb.BlowWhistleRequest(petition_id="p-dsny", department_codes=["DSNY"], reason="blocked")
    whistle = api.stub.BlowWhistle(blow, metadata=CHIEF_BK0602, timeout=5).whistle
    spoof = pb.ReportToWhistleRequest(whistle_id=whistle.whistle_id, note="done \u202eenod")
    assert refused_fields(api.stub.ReportToWhistle, spoof, metadata=DSNY) == ["note"]
    lines = pb.ReportToWhistleRequest(whistle_id=whistle.whistle_id, note="crew sent\r\nback at 5")
    api.stub.ReportToWhistle(lines, metadata=DSNY, timeout=5)
    assert [r.note for r in reports(api)] == ["crew sent\nback at 5"]


def test_petitions_waiting_in_triage_before_the_upgrade_keep_their_grid_scope(
    database_url: str,
) -> None:
    engine = create_database_engine(database_url)
    try:
        migrate(engine, None)  # the kit's tables
        service = Config()
        service.set_main_option("script_location", str(MIGRATIONS))
        service.attributes.update(engine=engine, version_table="alembic_version")
        command.upgrade(service, "dispatch_0004")
        sessions = create_session_factory(engine)
        with transaction(sessions) as session:
            session.add(
                TriageRow(
                    petition_id="t-old",
                    title="",
                    description="",
                    lat=40.665,
                    lon=-73.975,
                    grid_code="BK0602",
                    grid_path=["3", "BK06", "BK0602"],
                    grid_set_version=1,
                    best_guess="",
                    confidence=0.0,
                    sent_at=T0,
                    status="open",
                )
            )
        migrate(engine, MIGRATIONS)
        with transaction(sessions) as session:

            def waiting(*grids: str) -> list[str]:
                scope = Visibility(grid_codes=grids, person_id="c-1")
                rows = triage.list_open(session, visibility=scope, after=None, limit=10)
                return [row.petition_id for row in rows]

            assert waiting("BK06") == waiting("BK0602") == waiting("3") == ["t-old"]
            assert waiting("MN0502") == []
    finally:
        engine.dispose()
