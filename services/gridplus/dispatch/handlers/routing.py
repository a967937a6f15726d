"""Routing a submitted petition: to an assignment, to the triage queue, or a recorded failure; and
out of triage once a person chose the category."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from gridplus.dispatch import metrics
from gridplus.dispatch.domain import categories, routing
from gridplus.dispatch.domain.access import Visibility
from gridplus.dispatch.domain.assignment import Assignment
from gridplus.dispatch.domain.categories import Category, CategoryChoice, CategorySource
from gridplus.dispatch.domain.classifier import Prediction
from gridplus.dispatch.domain.events import PetitionRoutingFailed, PetitionSentToTriage
from gridplus.dispatch.domain.places import GridPlace, Member
from gridplus.dispatch.domain.time_limits import Step, TimePolicy
from gridplus.dispatch.domain.triage import Suggestion, TriageItem
from gridplus.dispatch.handlers import publish
from gridplus.dispatch.ports import Department, GridDirectory
from gridplus.dispatch.storage import assignments, triage
from gridplus.kit.clock import Clock
from gridplus.kit.db import after_commit
from gridplus.kit.errors import FailedPrecondition, InvalidArgument, NotFound
from gridplus.kit.outbox import Outbox

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

OUT_OF_JURISDICTION = "OUT_OF_JURISDICTION"
NO_LOCATION = "NO_LOCATION"
NO_ASSIGNEE = "NO_ASSIGNEE"


class Classifier(Protocol):
    def predict(self, title: str, description: str) -> Prediction: ...


@dataclass(frozen=True)
class PetitionToRoute:
    petition_id: str
    title: str
    description: str
    category: str  # empty: dispatch chooses
    location: tuple[float, float] | None  # (lat, lon)
    # Raised by a household visit's finding: routed to the visit's grid, not located.
    visit_grid_code: str = ""


@dataclass(frozen=True)
class Placement:
    """Where a petition lies, who serves there, its category and department: asked of
    grid-registry (and the classifier) before the transaction opens, so no database lock waits
    on the network."""

    grid: GridPlace | None
    members: tuple[Member, ...] = ()
    parent_chiefs: tuple[Member, ...] = ()
    choice: CategoryChoice | None = None  # None: the petition goes to triage
    best_guess: Prediction | None = None
    department: Department | None = None
    guessed: Category | None = None  # the registry's category for the best guess
    suggestions: tuple[Suggestion, ...] = ()  # what triage offers when choice is None


class PetitionRouter:
    """Routes a submitted petition to its level-3 grid and an assignee, exactly once."""

    def __init__(
        self,
        *,
        directory: GridDirectory,
        outbox: Outbox,
        clock: Clock,
        policy: TimePolicy,
        classifier: Classifier | None = None,
        threshold: float = 0.3,
    ) -> None:
        self._directory = directory
        self._outbox = outbox
        self._clock = clock
        self._policy = policy
        self._classifier = classifier
        self._threshold = threshold

    # -- before the transaction ------------------------------------------------------------

    def place(self, petition: PetitionToRoute, *, triaged_by: str = "") -> Placement:
        if petition.location is None:
            return Placement(grid=None)
        grid = self._grid_of(petition)
        if grid is None:
            return Placement(grid=None)
        members = tuple(self._directory.members(grid.code))
        parent_chiefs: tuple[Member, ...] = ()
        if not members and grid.parent_code:
            parent_chiefs = tuple(self._directory.members(grid.parent_code))
        choice, guess, guessed = self._choose(petition, triaged_by)
        department = None if choice is None else self._directory.department(choice.code, grid.code)
        offered = self.suggestions(guess) if choice is None else ()
        return Placement(grid, members, parent_chiefs, choice, guess, department, guessed, offered)

    def _grid_of(self, petition: PetitionToRoute) -> GridPlace | None:
        """The visit's grid for a petition a visit raised (the registry's, with its path; its
        point is located only when the registry no longer knows that grid); else located."""
        assert petition.location is not None
        if petition.visit_grid_code:
            grid = self._directory.grid(petition.visit_grid_code)
            if grid is not None:
                return grid
        return self._directory.locate(*petition.location)

    def _choose(
        self, petition: PetitionToRoute, triaged_by: str
    ) -> tuple[CategoryChoice | None, Prediction | None, Category | None]:
        """The category (grid-registry's; None: triage), the classifier's guess and the
        registry's category for it."""
        code = petition.category.strip()
        known = self._directory.category(code) if code else None
        if known is not None:
            chosen = (
                categories.triaged(known, triaged_by) if triaged_by else categories.given(known)
            )
            return chosen, None, None
        if self._classifier is None:
            other = self._directory.category(categories.OTHER)
            if other is None:
                return None, None, None
            why = f"category {other.code}: no category given and no classifier"
            return CategoryChoice(other, CategorySource.GIVEN, 0.0, why), None, None
        guess = self._classifier.predict(petition.title, petition.description)
        category = self._registry_category(guess.label, guess.language)
        if guess.confidence < self._threshold or category is None:
            return None, guess, category
        unknown = f"given category {code} is unknown; " if code else ""
        why = (
            f"{unknown}category {category.code} classified from the {guess.language} text "
            f"(confidence {guess.confidence:.2f} >= threshold {self._threshold:.2f})"
        )
        choice = CategoryChoice(category, CategorySource.CLASSIFIED, guess.confidence, why)
        return choice, guess, category

    def _registry_category(self, label: str, language: str) -> Category | None:
        """The registry's category for a classifier label (Chinese classes are named)."""
        if language == "zh":
            return self._directory.top_level_named(label)
        return self._directory.category(label)

    def suggestions(self, guess: Prediction | None) -> tuple[Suggestion, ...]:
        """The classifier's likeliest categories the registry knows, best first: what triage
        offers (a label the registry does not know could not be chosen)."""
        if guess is None:
            return ()
        found: list[Suggestion] = []
        for label, confidence in guess.ranked or ((guess.label, guess.confidence),):
            category = self._registry_category(label, guess.language)
            if category is not None and all(s.code != category.code for s in found):
                found.append(
                    Suggestion(category.code, category.name_zh, category.name_en, confidence)
                )
        return tuple(found)

    # -- in the transaction ----------------------------------------------------------------

    def route(
        self,
        session: Session,
        petition: PetitionToRoute,
        placement: Placement | None = None,
        *,
        known_unrouted: bool = False,
    ) -> None:
        """`known_unrouted`: the caller read, for a whole poll at once, that no assignment or
        triage item exists for it (only this partition's consumer routes it, and the
        assignment's primary key still refuses a second one), so it is not asked again."""
        if not petition.petition_id:
            raise ValueError("PetitionSubmitted without a petition_id cannot be routed")
        if not known_unrouted and assignments.routed(session, petition_id=petition.petition_id):
            # The same petition again (a resend under a new event id): one assignment, ever.
            log.info("petition already routed", extra={"petition_id": petition.petition_id})
            return
        started = time.perf_counter()
        outcome = self._route(session, petition, placement or self.place(petition))
        elapsed = time.perf_counter() - started
        after_commit(session, lambda: metrics.ROUTING_SECONDS.labels(outcome).observe(elapsed))

    def _route(self, session: Session, petition: PetitionToRoute, placement: Placement) -> str:
        if petition.location is None:
            return self._fail(session, petition, NO_LOCATION, "the petition has no location")
        lat, lon = petition.location
        grid = placement.grid
        if grid is None:
            why = f"out of jurisdiction: point ({lat:.6f}, {lon:.6f}) lies outside every grid"
            return self._fail(session, petition, OUT_OF_JURISDICTION, why)
        if placement.choice is None:
            return self._send_to_triage(session, petition, grid, placement)
        return self._assign(session, petition, placement, placement.choice)

    def _assign(
        self,
        session: Session,
        petition: PetitionToRoute,
        placement: Placement,
        choice: CategoryChoice,
    ) -> str:
        assert placement.grid is not None
        members = [*placement.members, *placement.parent_chiefs]
        counts = assignments.open_counts(session, person_ids=[m.person_id for m in members])
        now = self._clock.now()
        clock = self._policy.start(choice.category, Step.VERIFY, now)
        department = placement.department
        try:
            assignment = routing.decide(
                petition_id=petition.petition_id,
                grid=placement.grid,
                members=placement.members,
                parent_chiefs=placement.parent_chiefs,
                open_counts=counts,
                choice=choice,
                clock=clock,
                clock_reason=self._policy.reason(clock, choice.category),
                department=("", "") if department is None else (department.code, department.reason),
                assigned_at=now,
            )
        except routing.NoAssignee as exc:
            return self._fail(session, petition, NO_ASSIGNEE, str(exc))
        assignments.add(session, assignment)
        publish(session, self._outbox, assignment.events)
        labels = (assignment.grid.level1_code, assignment.assignee_role.value)
        source = choice.source.value
        after_commit(session, lambda: metrics.ASSIGNMENTS.labels(*labels).inc())
        after_commit(session, lambda: metrics.CATEGORY_CHOICES.labels(source).inc())
        log.info(
            "petition assigned",
            extra={"petition_id": petition.petition_id, "reasons": list(assignment.reasons)},
        )
        return "assigned"

    def _send_to_triage(
        self,
        session: Session,
        petition: PetitionToRoute,
        grid: GridPlace,
        placement: Placement,
    ) -> str:
        assert petition.location is not None
        now = self._clock.now()
        guess, category = placement.best_guess, placement.guessed
        best = category.code if category else guess.label if guess else ""
        confidence = guess.confidence if guess else 0.0
        reason = (
            f"classifier confidence {confidence:.2f} for {best} is below the threshold "
            f"{self._threshold:.2f}: a person chooses the category"
        )
        item = TriageItem(
            petition_id=petition.petition_id,
            title=petition.title,
            description=petition.description,
            location=petition.location,
            grid=grid,
            best_guess=best,
            confidence=confidence,
            sent_at=now,
            suggestions=placement.suggestions,
        )
        triage.add(session, item)
        sent = PetitionSentToTriage(petition.petition_id, grid, category, confidence, reason, now)
        publish(session, self._outbox, [sent])
        after_commit(session, lambda: metrics.CATEGORY_CHOICES.labels("triage_queue").inc())
        log.info("petition sent to triage", extra={"petition_id": petition.petition_id})
        return "triage"

    def _fail(self, session: Session, petition: PetitionToRoute, code: str, why: str) -> str:
        failed = PetitionRoutingFailed(petition.petition_id, code, why, self._clock.now())
        publish(session, self._outbox, [failed])
        after_commit(session, lambda: metrics.ROUTING_FAILURES.labels(code).inc())
        log.info(
            "petition not routed",
            extra={"petition_id": petition.petition_id, "reason_code": code, "reason": why},
        )
        return "failed"

    # -- triage ----------------------------------------------------------------------------

    def waiting(self, session: Session, *, petition_id: str, visibility: Visibility) -> TriageItem:
        """The petition waiting in triage within the caller's scope, else NOT_FOUND."""
        item = triage.get(session, petition_id=petition_id, visibility=visibility)
        if item is None:
            raise NotFound(f"petition {petition_id} is not in triage")
        return item

    def prepare_triage(self, item: TriageItem, category_code: str, person_id: str) -> Placement:
        """Before the transaction: the chosen category, the grid's people and the department."""
        category = self._directory.category(category_code)
        if category is None:
            raise InvalidArgument.single("category_code", f"unknown category {category_code}")
        petition = triage_petition(item, category_code)
        placement = self.place(petition, triaged_by=person_id)
        if placement.grid is None:  # the grid set changed under it: keep the grid it had
            grid = item.grid
            members = tuple(self._directory.members(grid.code))
            choice = categories.triaged(category, person_id)
            department = self._directory.department(category.code, grid.code)
            placement = Placement(grid, members, (), choice, None, department)
        return placement

    def route_triaged(
        self, session: Session, *, petition_id: str, placement: Placement
    ) -> Assignment | None:
        """Out of triage into an assignment (None: routing failed, and that was published). The
        caller's scope was checked when the placement was prepared."""
        # Locked: two people choosing at once assign once; the second finds it gone from triage.
        item = triage.get(session, petition_id=petition_id, visibility=_EVERYTHING, lock=True)
        if item is None or not item.open:
            raise FailedPrecondition(f"petition {petition_id} is not waiting in triage")
        assert placement.choice is not None
        item.take()
        triage.save(session, item)
        petition = triage_petition(item, placement.choice.code)
        if self._assign(session, petition, placement, placement.choice) != "assigned":
            return None
        return assignments.get(session, petition_id=petition_id)


_EVERYTHING = Visibility(everything=True)


def triage_petition(item: TriageItem, category_code: str) -> PetitionToRoute:
    return PetitionToRoute(
        petition_id=item.petition_id,
        title=item.title,
        description=item.description,
        category=category_code,
        location=item.location,
    )
