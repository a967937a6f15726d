"""A household visit's findings raise petitions (domain/visits.py): the id dispatch named, source
VISIT, the worker as a staff reporter, the visit's point and time, and an event that carries the
visit so dispatch routes it to the visit's grid."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.roles import Role
from gridplus.petition.api.convert import event_payload, petition_to_proto
from gridplus.petition.domain.events import PetitionSubmitted, VisitOrigin
from gridplus.petition.domain.lifecycle import Status
from gridplus.petition.domain.values import Actor, GeoPoint, Source
from gridplus.petition.domain.visits import (
    RecordedVisit,
    VisitFinding,
    raised_petitions,
    visit_petition_id,
)

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
VISIT_ID = "v-1"


def finding(index: int = 1, **fields: str) -> VisitFinding:
    values = {
        "petition_id": visit_petition_id(VISIT_ID, index),
        "title": "楼道灯不亮",
        "description": "三楼楼道灯坏了，老人夜里看不清台阶",
        "category": "road.manhole",
    }
    values.update(fields)
    return VisitFinding(index=index, **values)


def visit(*findings: VisitFinding, **fields: object) -> RecordedVisit:
    values: dict[str, object] = {
        "visit_id": VISIT_ID,
        "grid_code": "G1-2-3",
        "worker_id": "worker-7",
        "visited_at": AT,
        "location": GeoPoint(39.91, 116.41),
        "findings": findings,
    }
    values.update(fields)
    return RecordedVisit(**values)  # type: ignore[arg-type]


def test_the_agreed_id_rule() -> None:
    expected = uuid.uuid5(uuid.NAMESPACE_URL, "gridplus:visit:v-1:2")
    assert visit_petition_id("v-1", 2) == str(expected)
    assert visit_petition_id("v-1", 1) != visit_petition_id("v-1", 2)


def test_a_finding_raises_a_submitted_petition_reported_by_the_worker() -> None:
    [petition] = raised_petitions(visit(finding(2)))

    assert petition.id == visit_petition_id(VISIT_ID, 2)
    assert petition.status is Status.SUBMITTED
    assert petition.source is Source.VISIT
    assert petition.visit_id == VISIT_ID
    assert petition.reporter == Actor("worker-7", Role.GRID_WORKER)
    assert (petition.title, petition.category) == ("楼道灯不亮", "road.manhole")
    assert petition.description.startswith("三楼楼道灯坏了")
    assert petition.location == GeoPoint(39.91, 116.41)
    assert petition.created_at == AT
    [submitted] = petition.events
    assert isinstance(submitted, PetitionSubmitted)
    assert submitted.visit == VisitOrigin(VISIT_ID, 2, "G1-2-3", "worker-7")
    assert submitted.source is Source.VISIT


def test_the_event_and_the_staff_view_carry_the_visit() -> None:
    [petition] = raised_petitions(visit(finding(3)))

    payload = event_payload(petition.events[0])
    assert isinstance(payload, events_pb2.PetitionSubmitted)
    assert payload.source == petition_pb2.PETITION_SOURCE_VISIT
    assert (payload.visit.visit_id, payload.visit.finding_index) == (VISIT_ID, 3)
    assert (payload.visit.grid_code, payload.visit.worker_id) == ("G1-2-3", "worker-7")
    assert not payload.HasField("imported")
    shown = petition_to_proto(petition)
    assert (shown.visit_id, shown.source) == (VISIT_ID, petition_pb2.PETITION_SOURCE_VISIT)


def test_a_petition_of_another_channel_carries_no_visit() -> None:
    [petition] = raised_petitions(visit(finding()))
    petition.visit_id = None
    assert petition_to_proto(petition).visit_id == ""


def test_an_untitled_finding_takes_its_first_line_or_its_number() -> None:
    described, bare = raised_petitions(
        visit(
            finding(1, title="", description="井盖松动\n在二号楼门口"),
            finding(2, title=" ", description=""),
        )
    )
    assert described.title == "井盖松动"
    assert bare.title == "走访发现 2 / Visit finding 2"


def test_a_missing_petition_id_is_computed_by_the_agreed_rule() -> None:
    [petition] = raised_petitions(visit(finding(4, petition_id="")))
    assert petition.id == visit_petition_id(VISIT_ID, 4)


def test_bad_findings_are_named_and_nothing_is_raised() -> None:
    with pytest.raises(InvalidArgument) as refused:
        raised_petitions(
            visit(
                finding(1),
                finding(2, petition_id="not-a-uuid"),
                finding(3, title="bad\u202etitle"),
                finding(0, petition_id=""),
            )
        )
    fields = [v.field for v in refused.value.violations]
    assert fields == ["findings[1].petition_id", "findings[2].title", "findings[3].index"]


def test_a_finding_cannot_claim_another_petitions_id() -> None:
    """Another petition's id (a resident's, or another finding's) is refused, not skipped as
    already raised: a visit links only the petitions its own findings raised."""
    for claimed in (str(uuid.uuid4()), visit_petition_id(VISIT_ID, 1), visit_petition_id("v-2", 2)):
        with pytest.raises(InvalidArgument) as refused:
            raised_petitions(visit(finding(2, petition_id=claimed)))
        [violation] = refused.value.violations
        assert violation.field == "findings[0].petition_id"
        assert "finding 2 of this visit" in violation.description


@pytest.mark.parametrize("field", ["visit_id", "grid_code", "worker_id"])
def test_a_visit_without_its_ids_is_refused(field: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        raised_petitions(visit(finding(), **{field: ""}))
    assert [v.field for v in refused.value.violations] == [field]


def test_a_visit_time_without_a_zone_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="visited_at"):
        raised_petitions(visit(finding(), visited_at=datetime(2026, 12, 1, 9, 30)))
