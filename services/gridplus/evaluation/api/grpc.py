"""EvaluationService: proto in, use case, proto out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import grpc

from gridplus.api.evaluation.v1 import evaluation_pb2 as pb
from gridplus.api.evaluation.v1 import evaluation_pb2_grpc
from gridplus.evaluation.api import convert, hotspot_convert
from gridplus.evaluation.api.digest_convert import digest_payload
from gridplus.evaluation.domain import digest, stars
from gridplus.evaluation.domain.access import READ_ALL
from gridplus.evaluation.domain.assessment import AssessmentScores
from gridplus.evaluation.handlers import (
    Assessments,
    FollowUps,
    TimeBank,
    digests,
    hotspots,
    scorecards,
)
from gridplus.evaluation.handlers.scorecards import Scorecard
from gridplus.kit.auth import ALL_ROLES, STAFF_ROLES, Role, current_principal
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.interceptors import AuthPolicy, service_policy
from gridplus.kit.text import clean_text

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["EvaluationService"].full_name

_VISITORS = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF, Role.ADMIN})
_ASSESSORS = frozenset({Role.INSPECTOR, Role.ADMIN})
_BANKERS = frozenset({Role.GRID_CHIEF, Role.ADMIN})

POLICY: AuthPolicy = service_policy(
    SERVICE_NAME,
    {
        "GetScorecard": STAFF_ROLES,
        # Every subject at once: the city-wide roles only.
        "ListScorecards": READ_ALL,
        "ExportScorecards": READ_ALL,
        # The petition service's resident HTTP API rates with its service token and resident_id.
        "RateFollowUp": frozenset({Role.RESIDENT, Role.SERVICE}),
        "RecordFollowUpVisit": _VISITORS,
        "GetFollowUp": ALL_ROLES,
        "RecordAssessment": _ASSESSORS,
        # Stars are public (评星公示): anyone signed in may read the rule.
        "GetStarRule": ALL_ROLES,
        "ListRankings": STAFF_ROLES,
        "RecordServiceHours": _BANKERS,
        # Volunteers may be residents; the handler allows only their own account.
        "SpendPoints": ALL_ROLES,
        "GetTimeBankAccount": ALL_ROLES,
        # Staff only; each sees the petitions of their scope (domain/hotspots.py `visible`).
        "ListHotSpots": STAFF_ROLES,
        "ListRisingCategories": STAFF_ROLES,
        "ListRepeatLocations": STAFF_ROLES,
        # Grid roles for their own subtree (handlers/digests.py), inspectors and admins.
        "GetGridDigest": frozenset({Role.GRID_WORKER, Role.GRID_CHIEF, Role.INSPECTOR, Role.ADMIN}),
    },
)

_FORMATS: dict[int, tuple[str, str, Callable[[list[Scorecard]], str]]] = {
    pb.EXPORT_FORMAT_CSV: ("text/csv", "csv", convert.to_csv),
    pb.EXPORT_FORMAT_JSON: ("application/json", "json", convert.to_json),
}


class EvaluationServicer(evaluation_pb2_grpc.EvaluationServiceServicer):
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        *,
        follow_ups: FollowUps,
        assessments: Assessments,
        time_bank: TimeBank,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._follow_ups = follow_ups
        self._assessments = assessments
        self._time_bank = time_bank

    def _today(self) -> date:
        return self._clock.now().date()

    # -- scorecards, rankings, export -------------------------------------------------------

    def GetScorecard(
        self, request: pb.GetScorecardRequest, context: grpc.ServicerContext
    ) -> pb.GetScorecardResponse:
        subject = convert.subject(request.kind, request.subject_id)
        window = convert.scorecard_window(request, today=self._today())
        with transaction(self._sessions) as session:
            card = scorecards.scorecard(session, subject, window, current_principal())
        response = pb.GetScorecardResponse()
        convert.scorecard(card, response.scorecard)
        return response

    def ListScorecards(
        self, request: pb.ListScorecardsRequest, context: grpc.ServicerContext
    ) -> pb.ListScorecardsResponse:
        cards = self._cards(request.kind, request.grid_level, request.period)
        response = pb.ListScorecardsResponse()
        for card in cards:
            convert.scorecard(card, response.scorecards.add())
        return response

    def ExportScorecards(
        self, request: pb.ExportScorecardsRequest, context: grpc.ServicerContext
    ) -> pb.ExportScorecardsResponse:
        chosen = _FORMATS.get(request.format)
        if chosen is None:
            raise InvalidArgument.single("format", "choose CSV or JSON")
        content_type, suffix, render = chosen
        cards = self._cards(request.kind, request.grid_level, request.period)
        window = convert.period(request.period, today=self._today())
        name = f"scorecards-{convert.kind(request.kind).value}-{window.start}-{window.end}.{suffix}"
        return pb.ExportScorecardsResponse(
            content=render(cards).encode(), content_type=content_type, file_name=name
        )

    def _cards(
        self, kind_value: int, grid_level: int, selector: pb.PeriodSelector
    ) -> list[Scorecard]:
        kind = convert.kind(kind_value)
        window = convert.period(selector, today=self._today())
        with transaction(self._sessions) as session:
            return scorecards.scorecards(session, kind, window, grid_level=grid_level)

    def GetStarRule(
        self, request: pb.GetStarRuleRequest, context: grpc.ServicerContext
    ) -> pb.GetStarRuleResponse:
        return pb.GetStarRuleResponse(rule=stars.RULE.describe())

    def ListRankings(
        self, request: pb.ListRankingsRequest, context: grpc.ServicerContext
    ) -> pb.ListRankingsResponse:
        kind = convert.kind(request.kind)
        window = convert.period(request.period, today=self._today())
        with transaction(self._sessions) as session:
            ranking = scorecards.rankings(session, kind, window, grid_level=request.grid_level)
        response = pb.ListRankingsResponse(
            excellent_ratio=ranking.excellent_ratio, rule=ranking.rule
        )
        for ranked in ranking.entries:
            entry = response.entries.add(
                rank=ranked.rank,
                subject_id=ranked.card.subject.subject_id,
                points=ranked.rating.points,
                stars=ranked.rating.stars,
                assessment_score=ranked.assessment_score,
            )
            convert.scorecard(ranked.card, entry.scorecard)
        return response

    # -- follow-up ---------------------------------------------------------------------------

    def RateFollowUp(
        self, request: pb.RateFollowUpRequest, context: grpc.ServicerContext
    ) -> pb.RateFollowUpResponse:
        answer = self._follow_ups.rate(
            self._sessions,
            current_principal(),
            petition_id=request.petition_id,
            rating=request.rating,
            comment=_comment(request.comment),
            request_id=request.request_id,
            resident_id=request.resident_id,
        )
        return pb.RateFollowUpResponse(answer=convert.answer(answer))

    def RecordFollowUpVisit(
        self, request: pb.RecordFollowUpVisitRequest, context: grpc.ServicerContext
    ) -> pb.RecordFollowUpVisitResponse:
        answer = self._follow_ups.visit(
            self._sessions,
            current_principal(),
            petition_id=request.petition_id,
            rating=request.rating,
            comment=_comment(request.comment),
            request_id=request.request_id,
        )
        return pb.RecordFollowUpVisitResponse(answer=convert.answer(answer))

    def GetFollowUp(
        self, request: pb.GetFollowUpRequest, context: grpc.ServicerContext
    ) -> pb.GetFollowUpResponse:
        with transaction(self._sessions) as session:
            view = self._follow_ups.view(session, current_principal(), request.petition_id)
        response = pb.GetFollowUpResponse(
            pending=view.pending, answers=[convert.answer(a) for a in view.answers]
        )
        if view.due_at is not None:
            response.due_time.CopyFrom(convert.stamp(view.due_at))
        return response

    # -- assessments -------------------------------------------------------------------------

    def RecordAssessment(
        self, request: pb.RecordAssessmentRequest, context: grpc.ServicerContext
    ) -> pb.RecordAssessmentResponse:
        scores = AssessmentScores(
            listen=request.listen_score,
            evaluate=request.evaluate_score,
            look=request.look_score,
            discuss=request.discuss_score,
        )
        assessment_id, score = self._assessments.record(
            self._sessions,
            current_principal(),
            worker_id=clean_text(request.worker_id, field="worker_id"),
            grid_code=clean_text(request.grid_code, field="grid_code"),
            scores=scores,
            secret=request.secret,
            note=clean_text(request.note, field="note", multiline=True),
            request_id=request.request_id,
        )
        return pb.RecordAssessmentResponse(assessment_id=assessment_id, score=score)

    # -- time bank ---------------------------------------------------------------------------

    def RecordServiceHours(
        self, request: pb.RecordServiceHoursRequest, context: grpc.ServicerContext
    ) -> pb.RecordServiceHoursResponse:
        entry = self._time_bank.earn(
            self._sessions,
            current_principal(),
            person_id=clean_text(request.person_id, field="person_id"),
            minutes=request.minutes,
            reason=clean_text(request.reason, field="reason"),
            request_id=request.request_id,
        )
        return pb.RecordServiceHoursResponse(entry=convert.entry(entry))

    def SpendPoints(
        self, request: pb.SpendPointsRequest, context: grpc.ServicerContext
    ) -> pb.SpendPointsResponse:
        entry = self._time_bank.spend(
            self._sessions,
            current_principal(),
            person_id=clean_text(request.person_id, field="person_id"),
            points=request.points,
            reason=clean_text(request.reason, field="reason"),
            request_id=request.request_id,
        )
        return pb.SpendPointsResponse(entry=convert.entry(entry))

    def GetTimeBankAccount(
        self, request: pb.GetTimeBankAccountRequest, context: grpc.ServicerContext
    ) -> pb.GetTimeBankAccountResponse:
        with transaction(self._sessions) as session:
            balance, entries = self._time_bank.account(
                session,
                current_principal(),
                person_id=request.person_id,
                limit=request.entry_limit,
            )
        return pb.GetTimeBankAccountResponse(
            person_id=request.person_id,
            balance=balance,
            entries=[convert.entry(e) for e in entries],
        )

    # -- hot spots and repeat locations --------------------------------------------------------

    def ListHotSpots(
        self, request: pb.ListHotSpotsRequest, context: grpc.ServicerContext
    ) -> pb.ListHotSpotsResponse:
        report = self._hot_spots(request)
        response = pb.ListHotSpotsResponse()
        hotspot_convert.hot_spots(report, report.spots, response)
        return response

    def ListRisingCategories(
        self, request: pb.ListRisingCategoriesRequest, context: grpc.ServicerContext
    ) -> pb.ListRisingCategoriesResponse:
        report = self._hot_spots(request)
        response = pb.ListRisingCategoriesResponse()
        hotspot_convert.hot_spots(report, report.rising, response)
        return response

    def _hot_spots(
        self, request: pb.ListHotSpotsRequest | pb.ListRisingCategoriesRequest
    ) -> hotspots.HotSpotReport:
        rule = hotspots.rising_rule(request.baseline_periods, request.alpha)
        window = convert.period(request.period, today=self._today())
        kind = convert.PERIODS[request.period.kind]
        grid_code = clean_text(request.grid_code, field="grid_code")
        with transaction(self._sessions) as session:
            return hotspots.hot_spots(
                session,
                current_principal(),
                kind,
                window.start,
                grid_level=request.grid_level,
                grid_code=grid_code,
                rule=rule,
            )

    def ListRepeatLocations(
        self, request: pb.ListRepeatLocationsRequest, context: grpc.ServicerContext
    ) -> pb.ListRepeatLocationsResponse:
        settings = hotspots.repeat_settings(
            request.radius_m, request.min_points, request.recent_days, request.limit
        )
        grid_code = clean_text(request.grid_code, field="grid_code")
        with transaction(self._sessions) as session:
            found, considered = hotspots.repeat_locations(
                session, current_principal(), self._clock.now(), settings, grid_code=grid_code
            )
        response = pb.ListRepeatLocationsResponse(petitions_considered=considered)
        for location in found:
            hotspot_convert.repeat_location(location, response.locations.add())
        return response

    # -- weekly digest -------------------------------------------------------------------------

    def GetGridDigest(
        self, request: pb.GetGridDigestRequest, context: grpc.ServicerContext
    ) -> pb.GetGridDigestResponse:
        grid_code = clean_text(request.grid_code, field="grid_code")
        if request.HasField("anchor_time"):
            week = digest.week_of(request.anchor_time.ToDatetime().date())
        else:
            week = digest.last_complete_week(self._today())
        with transaction(self._sessions) as session:
            found = digests.grid_digest(session, current_principal(), grid_code, week)
        return pb.GetGridDigestResponse(digest=digest_payload(found))


def _comment(value: str) -> str:
    """A follow-up comment: several lines allowed, control and bidi characters refused (staff
    read it beside the worker's record, so it must not reorder what they see)."""
    return clean_text(value, field="comment", multiline=True)
