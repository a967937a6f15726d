"""Household visits over real gRPC (issue 16): a grid worker records a visit to a household of
their grid, checked against the grid by a grid registry behind gRPC; the visit, its cleaned
photos and VisitRecorded are stored together, once per request id; another grid's worker gets
NOT_FOUND; the diary lists visits by local day. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from PIL import Image

from gridplus.api.dispatch.v1 import visits_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.dispatch.storage.models import CareMemberRow, VisitPhotoRow, VisitRow
from gridplus.kit.auth import Role
from gridplus.kit.tables import outbox_messages
from tests.integration.dispatch.api_harness import auth
from tests.integration.dispatch.visits_harness import (
    ADMIN,
    CHIEF,
    COLLEAGUE,
    INSPECTOR,
    OTHER_CHIEF,
    OTHER_WORKER,
    WORKER,
    Visits,
    gps_jpeg,
    metres_outside,
    visit_api,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def api(database_url: str) -> Iterator[Visits]:
    with visit_api(database_url) as visits:
        visits.household("hh-1", "MN0502", (("m-1", ("ELDERLY_ALONE",), 7),))
        visits.household("hh-2", "BK0602")
        yield visits


def stamp(api: Visits, delta: timedelta) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(api.clock.now() + delta)
    return value


def violation(error: grpc.RpcError) -> tuple[str, str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    bad = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad)
    return bad.field_violations[0].field, bad.field_violations[0].description


def refused(call: Callable[..., object], *args: object, **kwargs: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_a_visit_is_stored_with_its_event_and_findings_name_their_petitions(api: Visits) -> None:
    finding = visits_pb2.VisitFinding(
        category="nyc.noise_residential", title="Broken stair light", raise_petition=True
    )
    note = visits_pb2.VisitFinding(title="Asked about the heating", description="fine\r\nnow")
    visit = api.record(notes="Mrs. W is well", findings=[note, finding], photos=[gps_jpeg()])

    assert visit.grid_code == "MN0502" and visit.worker_id == "w-MN0502-1"
    assert visit.distance_meters == 0 and visit.photo_count == 1
    assert [f.index for f in visit.findings] == [1, 2]
    assert visit.findings[0].petition_id == ""
    expected = str(uuid.uuid5(uuid.NAMESPACE_URL, f"gridplus:visit:{visit.visit_id}:2"))
    assert visit.findings[1].petition_id == expected
    assert visit.findings[0].description == "fine\nnow"
    assert list(visit.care_member_ids) == ["m-1"]

    [(key, event)] = api.published(events_pb2.VisitRecorded)
    assert key == visit.visit_id and event.household_id == "hh-1"
    assert event.findings[1].petition_id == expected and event.photo_count == 1
    [check] = event.care_visits
    assert check.member_id == "m-1" and check.on_time
    assert check.due_at.ToDatetime() == (api.clock.now() + timedelta(days=7)).replace(tzinfo=None)
    # The event carries ids, never the notes.
    assert b"Mrs. W" not in event.SerializeToString()

    photo = api.stub.GetVisitPhoto(
        visits_pb2.GetVisitPhotoRequest(visit_id=visit.visit_id, index=1), metadata=WORKER
    )
    assert photo.content_type == "image/jpeg"
    assert not Image.open(io.BytesIO(photo.content)).getexif()  # EXIF and its GPS gone


def test_a_visit_outside_the_grid_is_refused_naming_location_and_nothing_is_stored(
    api: Visits,
) -> None:
    error = refused(lambda: api.record(point=metres_outside("MN0502", 250), photos=[gps_jpeg()]))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    field, why = violation(error)
    assert field == "location" and "250 m outside grid MN0502" in why and "100 m" in why
    assert api.count(VisitRow) == 0 and api.count(VisitPhotoRow) == 0
    assert api.count(outbox_messages) == 0

    # Within the tolerance the visit counts, its distance kept.
    near = api.record(point=metres_outside("MN0502", 60))
    assert 55 < near.distance_meters < 65
    assert "MeasureDistanceToGrid" in api.registry.calls


def test_a_retried_request_id_records_the_visit_once(api: Visits) -> None:
    first = api.record(request_id="visit-r1", notes="kitchen tap leaks")
    again = api.record(request_id="visit-r1", notes="kitchen tap leaks")
    assert again.visit_id == first.visit_id
    assert api.count(VisitRow) == 1 and len(api.published(events_pb2.VisitRecorded)) == 1

    error = refused(lambda: api.record(request_id="visit-r1", notes="something else"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violation(error)[0] == "request_id"
    assert api.count(VisitRow) == 1


def test_another_grids_worker_gets_not_found_and_others_may_not_record(api: Visits) -> None:
    point = metres_outside("MN0502", 0)
    error = refused(lambda: api.record(OTHER_WORKER, point=point))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "hh-1" in (error.details() or "")
    unknown = refused(lambda: api.record(household_id="hh-nowhere"))
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    assert unknown.details() == error.details().replace("hh-1", "hh-nowhere")
    for who in (CHIEF, ADMIN, auth(Role.RESIDENT, "r-1")):
        assert refused(api.record, who).code() == grpc.StatusCode.PERMISSION_DENIED
    assert api.count(VisitRow) == 0


def test_visited_at_is_checked(api: Visits) -> None:
    for delta, words in ((timedelta(hours=1), "future"), (timedelta(days=-8), "7 days")):
        error = refused(api.record, visited_at=stamp(api, delta))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        field, why = violation(error)
        assert field == "visited_at" and words in why
    bidi = refused(lambda: api.record(notes="pay \u202egnp.exe"))
    assert violation(bidi)[0] == "notes"
    no_title = refused(lambda: api.record(findings=[visits_pb2.VisitFinding()]))
    assert violation(no_title)[0] == "findings.title"
    junk = refused(lambda: api.record(photos=[b"not an image"]))
    assert violation(junk)[0] == "photos"
    assert api.count(VisitRow) == 0


def test_a_visit_is_read_by_its_worker_and_the_staff_of_its_subtree(api: Visits) -> None:
    visit = api.record()
    request = visits_pb2.GetVisitRequest(visit_id=visit.visit_id)
    for who in (WORKER, COLLEAGUE, CHIEF, ADMIN, INSPECTOR):
        assert api.stub.GetVisit(request, metadata=who).visit.visit_id == visit.visit_id
    for who in (OTHER_WORKER, OTHER_CHIEF):
        error = refused(api.stub.GetVisit, request, metadata=who)
        assert error.code() == grpc.StatusCode.NOT_FOUND
        photo = visits_pb2.GetVisitPhotoRequest(visit_id=visit.visit_id, index=1)
        error = refused(api.stub.GetVisitPhoto, photo, metadata=who)
        assert error.code() == grpc.StatusCode.NOT_FOUND
    staff = refused(lambda: api.stub.GetVisit(request, metadata=auth(Role.DEPARTMENT_STAFF)))
    assert staff.code() == grpc.StatusCode.PERMISSION_DENIED


def test_the_diary_lists_visits_by_local_day_newest_first(api: Visits) -> None:
    # T0 is 09:00 in Asia/Shanghai; 15:30 UTC is 23:30 there, 16:30 UTC already the next day.
    api.clock.advance(timedelta(days=1, hours=14, minutes=30))
    late = api.record()
    api.clock.advance(timedelta(hours=1))
    after_midnight = api.record()
    morning = api.record(visited_at=stamp(api, timedelta(hours=-16)))

    diary = api.stub.ListDiary(visits_pb2.ListDiaryRequest(), metadata=WORKER)
    assert [d.day for d in diary.days] == ["2026-11-29", "2026-11-28"]
    assert [v.visit_id for v in diary.days[0].visits] == [after_midnight.visit_id]
    assert [v.visit_id for v in diary.days[1].visits] == [morning.visit_id, late.visit_id]

    one_day = visits_pb2.ListDiaryRequest(from_day="2026-11-28", to_day="2026-11-28")
    assert [d.day for d in api.stub.ListDiary(one_day, metadata=WORKER).days] == ["2026-11-28"]

    theirs = visits_pb2.ListDiaryRequest(worker_id="w-MN0502-1")
    assert len(api.stub.ListDiary(theirs, metadata=CHIEF).days) == 2
    error = refused(api.stub.ListDiary, theirs, metadata=OTHER_CHIEF)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    nobody = visits_pb2.ListDiaryRequest(worker_id="w-nobody")
    assert list(api.stub.ListDiary(nobody, metadata=OTHER_CHIEF).days) == []
    error = refused(lambda: api.stub.ListDiary(theirs, metadata=COLLEAGUE))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED

    backwards = visits_pb2.ListDiaryRequest(from_day="2026-11-29", to_day="2026-11-28")
    assert violation(refused(lambda: api.stub.ListDiary(backwards, metadata=WORKER)))[0] == (
        "from_day"
    )
    bad = visits_pb2.ListDiaryRequest(to_day="29/11/2026")
    assert violation(refused(lambda: api.stub.ListDiary(bad, metadata=WORKER)))[0] == "to_day"


def test_household_changes_follow_versions_and_removal_stops_clocks(api: Visits) -> None:
    api.household("hh-1", "MN0502", (("m-1", ("DISABLED",), 14),), version=3)
    api.household("hh-1", "MN0502", (), version=2)  # older: ignored
    assert api.count(CareMemberRow) == 1
    api.household("hh-1", "MN0502", removed=True, version=4)
    assert api.count(CareMemberRow) == 0
    error = refused(lambda: api.record())
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "GetGrid" in api.registry.calls  # the household's grid path is the registry's
