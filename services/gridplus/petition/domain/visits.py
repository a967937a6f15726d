"""Petitions raised by a household visit's findings (走访发现): a grid worker notes a problem at a
household and asks for it to enter the five-step loop on the spot.

Dispatch records the visit and names, per finding that raises a petition, the id it will have
(uuid5 of "gridplus:visit:{visit_id}:{index}", so a retried visit names the same ids); petition
creates exactly that petition when it hears VisitRecorded. The worker is the reporter (a staff
reporter, as on a patrol: no resident contact is kept), the visit's point is the location, the
visit's time the submission time, and the PetitionSubmitted event carries the visit so dispatch
routes it to the visit's grid.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from gridplus.kit.errors import FieldViolation, InvalidArgument
from gridplus.kit.roles import Role
from gridplus.petition.domain.checks import require_aware
from gridplus.petition.domain.events import PetitionSubmitted, VisitOrigin
from gridplus.petition.domain.petition import Petition
from gridplus.petition.domain.submission import TITLE_MAX, validate_submission
from gridplus.petition.domain.values import Actor, GeoPoint, Source

# A finding without a title is named by its place in the visit (the worker may write only a
# description on a phone); both languages, as staff read either.
UNTITLED = "走访发现 {index} / Visit finding {index}"


@dataclass(frozen=True)
class VisitFinding:
    """One finding of a visit that raises a petition."""

    index: int  # position in the visit, from 1
    petition_id: str  # as dispatch named it (checked against the agreed rule); empty: computed
    title: str
    description: str
    category: str  # empty: dispatch chooses


@dataclass(frozen=True)
class RecordedVisit:
    """What petition reads of a VisitRecorded: the findings that raise petitions only."""

    visit_id: str
    grid_code: str
    worker_id: str
    visited_at: datetime
    location: GeoPoint
    findings: tuple[VisitFinding, ...]


def visit_petition_id(visit_id: str, index: int) -> str:
    """The id of the petition raised by finding `index` of visit `visit_id` (the agreed rule)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gridplus:visit:{visit_id}:{index}"))


def raised_petitions(visit: RecordedVisit) -> list[Petition]:
    """The SUBMITTED petitions `visit`'s findings raise, each with its event carrying the
    visit; InvalidArgument naming each bad field (findings[<n>].<field>, n counting the
    findings that raise a petition) and nothing raised."""
    _check_visit(visit)
    violations: list[FieldViolation] = []
    petitions: list[Petition] = []
    for position, finding in enumerate(visit.findings):
        try:
            petitions.append(_raised(visit, finding))
        except InvalidArgument as exc:
            violations += [
                FieldViolation(f"findings[{position}].{v.field}", v.description)
                for v in exc.violations
            ]
    if violations:
        raise InvalidArgument(violations)
    return petitions


def _check_visit(visit: RecordedVisit) -> None:
    require_aware("visited_at", visit.visited_at)
    problems = [
        FieldViolation(name, "is required")
        for name, value in (
            ("visit_id", visit.visit_id),
            ("grid_code", visit.grid_code),
            ("worker_id", visit.worker_id),
        )
        if not value.strip()
    ]
    if problems:
        raise InvalidArgument(problems)


def _raised(visit: RecordedVisit, finding: VisitFinding) -> Petition:
    if finding.index < 1:
        raise InvalidArgument.single("index", "must be 1 or more")
    petition_id = visit_petition_id(visit.visit_id, finding.index)
    # Only the agreed id is taken: a finding cannot claim (or be skipped as) another petition.
    if finding.petition_id and finding.petition_id != petition_id:
        raise InvalidArgument.single(
            "petition_id", f"is not the id of finding {finding.index} of this visit"
        )
    submission = validate_submission(
        title=_title(finding),
        description=finding.description,
        lat=visit.location.lat,
        lon=visit.location.lon,
        category=finding.category,
    )
    petition = Petition.submit(
        petition_id=petition_id,
        submission=submission,
        reporter=Actor(visit.worker_id, Role.GRID_WORKER),
        source=Source.VISIT,
        at=visit.visited_at,
    )
    petition.visit_id = visit.visit_id
    origin = VisitOrigin(visit.visit_id, finding.index, visit.grid_code, visit.worker_id)
    petition.events = [
        replace(event, visit=origin) if isinstance(event, PetitionSubmitted) else event
        for event in petition.events
    ]
    return petition


def _title(finding: VisitFinding) -> str:
    """The finding's title; else the first line of its description, cut to a title's length;
    else the finding's number in the visit."""
    if finding.title.strip():
        return finding.title
    first_line = finding.description.strip().split("\n", 1)[0].strip()
    if first_line:
        return first_line[:TITLE_MAX]
    return UNTITLED.format(index=finding.index)
