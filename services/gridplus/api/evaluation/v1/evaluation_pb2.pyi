import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from gridplus.api.events.v1 import events_pb2 as _events_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SubjectKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUBJECT_KIND_UNSPECIFIED: _ClassVar[SubjectKind]
    SUBJECT_KIND_WORKER: _ClassVar[SubjectKind]
    SUBJECT_KIND_GRID: _ClassVar[SubjectKind]
    SUBJECT_KIND_DEPARTMENT: _ClassVar[SubjectKind]
    SUBJECT_KIND_CITY: _ClassVar[SubjectKind]

class PeriodKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PERIOD_KIND_UNSPECIFIED: _ClassVar[PeriodKind]
    PERIOD_KIND_DAY: _ClassVar[PeriodKind]
    PERIOD_KIND_WEEK: _ClassVar[PeriodKind]
    PERIOD_KIND_MONTH: _ClassVar[PeriodKind]
    PERIOD_KIND_YEAR: _ClassVar[PeriodKind]

class ExportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPORT_FORMAT_UNSPECIFIED: _ClassVar[ExportFormat]
    EXPORT_FORMAT_CSV: _ClassVar[ExportFormat]
    EXPORT_FORMAT_JSON: _ClassVar[ExportFormat]

class FollowUpOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FOLLOW_UP_OUTCOME_UNSPECIFIED: _ClassVar[FollowUpOutcome]
    FOLLOW_UP_OUTCOME_SATISFIED: _ClassVar[FollowUpOutcome]
    FOLLOW_UP_OUTCOME_UNSATISFIED: _ClassVar[FollowUpOutcome]
    FOLLOW_UP_OUTCOME_NO_RESPONSE: _ClassVar[FollowUpOutcome]

class TrendDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TREND_DIRECTION_UNSPECIFIED: _ClassVar[TrendDirection]
    TREND_DIRECTION_UP: _ClassVar[TrendDirection]
    TREND_DIRECTION_DOWN: _ClassVar[TrendDirection]
    TREND_DIRECTION_FLAT: _ClassVar[TrendDirection]
SUBJECT_KIND_UNSPECIFIED: SubjectKind
SUBJECT_KIND_WORKER: SubjectKind
SUBJECT_KIND_GRID: SubjectKind
SUBJECT_KIND_DEPARTMENT: SubjectKind
SUBJECT_KIND_CITY: SubjectKind
PERIOD_KIND_UNSPECIFIED: PeriodKind
PERIOD_KIND_DAY: PeriodKind
PERIOD_KIND_WEEK: PeriodKind
PERIOD_KIND_MONTH: PeriodKind
PERIOD_KIND_YEAR: PeriodKind
EXPORT_FORMAT_UNSPECIFIED: ExportFormat
EXPORT_FORMAT_CSV: ExportFormat
EXPORT_FORMAT_JSON: ExportFormat
FOLLOW_UP_OUTCOME_UNSPECIFIED: FollowUpOutcome
FOLLOW_UP_OUTCOME_SATISFIED: FollowUpOutcome
FOLLOW_UP_OUTCOME_UNSATISFIED: FollowUpOutcome
FOLLOW_UP_OUTCOME_NO_RESPONSE: FollowUpOutcome
TREND_DIRECTION_UNSPECIFIED: TrendDirection
TREND_DIRECTION_UP: TrendDirection
TREND_DIRECTION_DOWN: TrendDirection
TREND_DIRECTION_FLAT: TrendDirection

class PeriodSelector(_message.Message):
    __slots__ = ("kind", "anchor_time")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_TIME_FIELD_NUMBER: _ClassVar[int]
    kind: PeriodKind
    anchor_time: _timestamp_pb2.Timestamp
    def __init__(self, kind: _Optional[_Union[PeriodKind, str]] = ..., anchor_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Scorecard(_message.Message):
    __slots__ = ("kind", "subject_id", "start_time", "end_time", "submitted_count", "assigned_count", "resolved_count", "closed_count", "overdue_count", "responded_on_time_count", "response_rate", "on_time_count", "on_time_rate", "answered_petition_count", "solved_count", "resolution_rate", "satisfied_count", "unsatisfied_count", "no_response_count", "satisfaction_rate", "average_handling_seconds", "p90_handling_seconds", "reopened_count", "reopen_rate", "whistle_summoned_count", "whistle_reported_on_time_count", "whistle_report_rate", "households_count", "households_visited_count", "visit_coverage", "care_visits_due_count", "care_visits_on_time_count", "care_visit_on_time_rate")
    KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_COUNT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_COUNT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_COUNT_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_COUNT_FIELD_NUMBER: _ClassVar[int]
    RESPONDED_ON_TIME_COUNT_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_RATE_FIELD_NUMBER: _ClassVar[int]
    ON_TIME_COUNT_FIELD_NUMBER: _ClassVar[int]
    ON_TIME_RATE_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_PETITION_COUNT_FIELD_NUMBER: _ClassVar[int]
    SOLVED_COUNT_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_RATE_FIELD_NUMBER: _ClassVar[int]
    SATISFIED_COUNT_FIELD_NUMBER: _ClassVar[int]
    UNSATISFIED_COUNT_FIELD_NUMBER: _ClassVar[int]
    NO_RESPONSE_COUNT_FIELD_NUMBER: _ClassVar[int]
    SATISFACTION_RATE_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_HANDLING_SECONDS_FIELD_NUMBER: _ClassVar[int]
    P90_HANDLING_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REOPENED_COUNT_FIELD_NUMBER: _ClassVar[int]
    REOPEN_RATE_FIELD_NUMBER: _ClassVar[int]
    WHISTLE_SUMMONED_COUNT_FIELD_NUMBER: _ClassVar[int]
    WHISTLE_REPORTED_ON_TIME_COUNT_FIELD_NUMBER: _ClassVar[int]
    WHISTLE_REPORT_RATE_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLDS_COUNT_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLDS_VISITED_COUNT_FIELD_NUMBER: _ClassVar[int]
    VISIT_COVERAGE_FIELD_NUMBER: _ClassVar[int]
    CARE_VISITS_DUE_COUNT_FIELD_NUMBER: _ClassVar[int]
    CARE_VISITS_ON_TIME_COUNT_FIELD_NUMBER: _ClassVar[int]
    CARE_VISIT_ON_TIME_RATE_FIELD_NUMBER: _ClassVar[int]
    kind: SubjectKind
    subject_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    submitted_count: int
    assigned_count: int
    resolved_count: int
    closed_count: int
    overdue_count: int
    responded_on_time_count: int
    response_rate: float
    on_time_count: int
    on_time_rate: float
    answered_petition_count: int
    solved_count: int
    resolution_rate: float
    satisfied_count: int
    unsatisfied_count: int
    no_response_count: int
    satisfaction_rate: float
    average_handling_seconds: float
    p90_handling_seconds: float
    reopened_count: int
    reopen_rate: float
    whistle_summoned_count: int
    whistle_reported_on_time_count: int
    whistle_report_rate: float
    households_count: int
    households_visited_count: int
    visit_coverage: float
    care_visits_due_count: int
    care_visits_on_time_count: int
    care_visit_on_time_rate: float
    def __init__(self, kind: _Optional[_Union[SubjectKind, str]] = ..., subject_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., submitted_count: _Optional[int] = ..., assigned_count: _Optional[int] = ..., resolved_count: _Optional[int] = ..., closed_count: _Optional[int] = ..., overdue_count: _Optional[int] = ..., responded_on_time_count: _Optional[int] = ..., response_rate: _Optional[float] = ..., on_time_count: _Optional[int] = ..., on_time_rate: _Optional[float] = ..., answered_petition_count: _Optional[int] = ..., solved_count: _Optional[int] = ..., resolution_rate: _Optional[float] = ..., satisfied_count: _Optional[int] = ..., unsatisfied_count: _Optional[int] = ..., no_response_count: _Optional[int] = ..., satisfaction_rate: _Optional[float] = ..., average_handling_seconds: _Optional[float] = ..., p90_handling_seconds: _Optional[float] = ..., reopened_count: _Optional[int] = ..., reopen_rate: _Optional[float] = ..., whistle_summoned_count: _Optional[int] = ..., whistle_reported_on_time_count: _Optional[int] = ..., whistle_report_rate: _Optional[float] = ..., households_count: _Optional[int] = ..., households_visited_count: _Optional[int] = ..., visit_coverage: _Optional[float] = ..., care_visits_due_count: _Optional[int] = ..., care_visits_on_time_count: _Optional[int] = ..., care_visit_on_time_rate: _Optional[float] = ...) -> None: ...

class GetScorecardRequest(_message.Message):
    __slots__ = ("kind", "subject_id", "start_time", "end_time", "period")
    KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    kind: SubjectKind
    subject_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    period: PeriodSelector
    def __init__(self, kind: _Optional[_Union[SubjectKind, str]] = ..., subject_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., period: _Optional[_Union[PeriodSelector, _Mapping]] = ...) -> None: ...

class GetScorecardResponse(_message.Message):
    __slots__ = ("scorecard",)
    SCORECARD_FIELD_NUMBER: _ClassVar[int]
    scorecard: Scorecard
    def __init__(self, scorecard: _Optional[_Union[Scorecard, _Mapping]] = ...) -> None: ...

class ListScorecardsRequest(_message.Message):
    __slots__ = ("kind", "grid_level", "period")
    KIND_FIELD_NUMBER: _ClassVar[int]
    GRID_LEVEL_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    kind: SubjectKind
    grid_level: int
    period: PeriodSelector
    def __init__(self, kind: _Optional[_Union[SubjectKind, str]] = ..., grid_level: _Optional[int] = ..., period: _Optional[_Union[PeriodSelector, _Mapping]] = ...) -> None: ...

class ListScorecardsResponse(_message.Message):
    __slots__ = ("scorecards",)
    SCORECARDS_FIELD_NUMBER: _ClassVar[int]
    scorecards: _containers.RepeatedCompositeFieldContainer[Scorecard]
    def __init__(self, scorecards: _Optional[_Iterable[_Union[Scorecard, _Mapping]]] = ...) -> None: ...

class ExportScorecardsRequest(_message.Message):
    __slots__ = ("kind", "grid_level", "period", "format")
    KIND_FIELD_NUMBER: _ClassVar[int]
    GRID_LEVEL_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    kind: SubjectKind
    grid_level: int
    period: PeriodSelector
    format: ExportFormat
    def __init__(self, kind: _Optional[_Union[SubjectKind, str]] = ..., grid_level: _Optional[int] = ..., period: _Optional[_Union[PeriodSelector, _Mapping]] = ..., format: _Optional[_Union[ExportFormat, str]] = ...) -> None: ...

class ExportScorecardsResponse(_message.Message):
    __slots__ = ("content", "content_type", "file_name")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    content: bytes
    content_type: str
    file_name: str
    def __init__(self, content: _Optional[bytes] = ..., content_type: _Optional[str] = ..., file_name: _Optional[str] = ...) -> None: ...

class FollowUpAnswer(_message.Message):
    __slots__ = ("id", "petition_id", "outcome", "rating", "comment", "via", "actor_id", "completed_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    VIA_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    petition_id: str
    outcome: FollowUpOutcome
    rating: int
    comment: str
    via: str
    actor_id: str
    completed_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., petition_id: _Optional[str] = ..., outcome: _Optional[_Union[FollowUpOutcome, str]] = ..., rating: _Optional[int] = ..., comment: _Optional[str] = ..., via: _Optional[str] = ..., actor_id: _Optional[str] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RateFollowUpRequest(_message.Message):
    __slots__ = ("petition_id", "rating", "comment", "request_id", "resident_id")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    rating: int
    comment: str
    request_id: str
    resident_id: str
    def __init__(self, petition_id: _Optional[str] = ..., rating: _Optional[int] = ..., comment: _Optional[str] = ..., request_id: _Optional[str] = ..., resident_id: _Optional[str] = ...) -> None: ...

class RateFollowUpResponse(_message.Message):
    __slots__ = ("answer",)
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    answer: FollowUpAnswer
    def __init__(self, answer: _Optional[_Union[FollowUpAnswer, _Mapping]] = ...) -> None: ...

class RecordFollowUpVisitRequest(_message.Message):
    __slots__ = ("petition_id", "rating", "comment", "request_id")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    rating: int
    comment: str
    request_id: str
    def __init__(self, petition_id: _Optional[str] = ..., rating: _Optional[int] = ..., comment: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordFollowUpVisitResponse(_message.Message):
    __slots__ = ("answer",)
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    answer: FollowUpAnswer
    def __init__(self, answer: _Optional[_Union[FollowUpAnswer, _Mapping]] = ...) -> None: ...

class GetFollowUpRequest(_message.Message):
    __slots__ = ("petition_id",)
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    def __init__(self, petition_id: _Optional[str] = ...) -> None: ...

class GetFollowUpResponse(_message.Message):
    __slots__ = ("pending", "due_time", "answers")
    PENDING_FIELD_NUMBER: _ClassVar[int]
    DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    pending: bool
    due_time: _timestamp_pb2.Timestamp
    answers: _containers.RepeatedCompositeFieldContainer[FollowUpAnswer]
    def __init__(self, pending: _Optional[bool] = ..., due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., answers: _Optional[_Iterable[_Union[FollowUpAnswer, _Mapping]]] = ...) -> None: ...

class RecordAssessmentRequest(_message.Message):
    __slots__ = ("worker_id", "grid_code", "listen_score", "evaluate_score", "look_score", "discuss_score", "secret", "note", "request_id")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    LISTEN_SCORE_FIELD_NUMBER: _ClassVar[int]
    EVALUATE_SCORE_FIELD_NUMBER: _ClassVar[int]
    LOOK_SCORE_FIELD_NUMBER: _ClassVar[int]
    DISCUSS_SCORE_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    grid_code: str
    listen_score: float
    evaluate_score: float
    look_score: float
    discuss_score: float
    secret: bool
    note: str
    request_id: str
    def __init__(self, worker_id: _Optional[str] = ..., grid_code: _Optional[str] = ..., listen_score: _Optional[float] = ..., evaluate_score: _Optional[float] = ..., look_score: _Optional[float] = ..., discuss_score: _Optional[float] = ..., secret: _Optional[bool] = ..., note: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordAssessmentResponse(_message.Message):
    __slots__ = ("assessment_id", "score")
    ASSESSMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    assessment_id: str
    score: float
    def __init__(self, assessment_id: _Optional[str] = ..., score: _Optional[float] = ...) -> None: ...

class GetStarRuleRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetStarRuleResponse(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: str
    def __init__(self, rule: _Optional[str] = ...) -> None: ...

class ListRankingsRequest(_message.Message):
    __slots__ = ("kind", "grid_level", "period")
    KIND_FIELD_NUMBER: _ClassVar[int]
    GRID_LEVEL_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    kind: SubjectKind
    grid_level: int
    period: PeriodSelector
    def __init__(self, kind: _Optional[_Union[SubjectKind, str]] = ..., grid_level: _Optional[int] = ..., period: _Optional[_Union[PeriodSelector, _Mapping]] = ...) -> None: ...

class RankingEntry(_message.Message):
    __slots__ = ("rank", "subject_id", "points", "stars", "assessment_score", "scorecard")
    RANK_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    STARS_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_SCORE_FIELD_NUMBER: _ClassVar[int]
    SCORECARD_FIELD_NUMBER: _ClassVar[int]
    rank: int
    subject_id: str
    points: float
    stars: int
    assessment_score: float
    scorecard: Scorecard
    def __init__(self, rank: _Optional[int] = ..., subject_id: _Optional[str] = ..., points: _Optional[float] = ..., stars: _Optional[int] = ..., assessment_score: _Optional[float] = ..., scorecard: _Optional[_Union[Scorecard, _Mapping]] = ...) -> None: ...

class ListRankingsResponse(_message.Message):
    __slots__ = ("entries", "excellent_ratio", "rule")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    EXCELLENT_RATIO_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[RankingEntry]
    excellent_ratio: float
    rule: str
    def __init__(self, entries: _Optional[_Iterable[_Union[RankingEntry, _Mapping]]] = ..., excellent_ratio: _Optional[float] = ..., rule: _Optional[str] = ...) -> None: ...

class TimeBankEntry(_message.Message):
    __slots__ = ("id", "person_id", "points", "balance_after", "minutes", "reason", "actor_id", "actor_role", "recorded_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    BALANCE_AFTER_FIELD_NUMBER: _ClassVar[int]
    MINUTES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ROLE_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    id: int
    person_id: str
    points: int
    balance_after: int
    minutes: int
    reason: str
    actor_id: str
    actor_role: str
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., person_id: _Optional[str] = ..., points: _Optional[int] = ..., balance_after: _Optional[int] = ..., minutes: _Optional[int] = ..., reason: _Optional[str] = ..., actor_id: _Optional[str] = ..., actor_role: _Optional[str] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordServiceHoursRequest(_message.Message):
    __slots__ = ("person_id", "minutes", "reason", "request_id")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    MINUTES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    minutes: int
    reason: str
    request_id: str
    def __init__(self, person_id: _Optional[str] = ..., minutes: _Optional[int] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordServiceHoursResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: TimeBankEntry
    def __init__(self, entry: _Optional[_Union[TimeBankEntry, _Mapping]] = ...) -> None: ...

class SpendPointsRequest(_message.Message):
    __slots__ = ("person_id", "points", "reason", "request_id")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    points: int
    reason: str
    request_id: str
    def __init__(self, person_id: _Optional[str] = ..., points: _Optional[int] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class SpendPointsResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: TimeBankEntry
    def __init__(self, entry: _Optional[_Union[TimeBankEntry, _Mapping]] = ...) -> None: ...

class GetTimeBankAccountRequest(_message.Message):
    __slots__ = ("person_id", "entry_limit")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    entry_limit: int
    def __init__(self, person_id: _Optional[str] = ..., entry_limit: _Optional[int] = ...) -> None: ...

class GetTimeBankAccountResponse(_message.Message):
    __slots__ = ("person_id", "balance", "entries")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    balance: int
    entries: _containers.RepeatedCompositeFieldContainer[TimeBankEntry]
    def __init__(self, person_id: _Optional[str] = ..., balance: _Optional[int] = ..., entries: _Optional[_Iterable[_Union[TimeBankEntry, _Mapping]]] = ...) -> None: ...

class HotSpot(_message.Message):
    __slots__ = ("grid_code", "category", "count", "previous_count", "baseline_mean", "counts", "p_value", "rising", "direction")
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_COUNT_FIELD_NUMBER: _ClassVar[int]
    BASELINE_MEAN_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    P_VALUE_FIELD_NUMBER: _ClassVar[int]
    RISING_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    grid_code: str
    category: str
    count: int
    previous_count: int
    baseline_mean: float
    counts: _containers.RepeatedScalarFieldContainer[int]
    p_value: float
    rising: bool
    direction: TrendDirection
    def __init__(self, grid_code: _Optional[str] = ..., category: _Optional[str] = ..., count: _Optional[int] = ..., previous_count: _Optional[int] = ..., baseline_mean: _Optional[float] = ..., counts: _Optional[_Iterable[int]] = ..., p_value: _Optional[float] = ..., rising: _Optional[bool] = ..., direction: _Optional[_Union[TrendDirection, str]] = ...) -> None: ...

class ListHotSpotsRequest(_message.Message):
    __slots__ = ("period", "grid_level", "grid_code", "baseline_periods", "alpha")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    GRID_LEVEL_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    BASELINE_PERIODS_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    period: PeriodSelector
    grid_level: int
    grid_code: str
    baseline_periods: int
    alpha: float
    def __init__(self, period: _Optional[_Union[PeriodSelector, _Mapping]] = ..., grid_level: _Optional[int] = ..., grid_code: _Optional[str] = ..., baseline_periods: _Optional[int] = ..., alpha: _Optional[float] = ...) -> None: ...

class ListHotSpotsResponse(_message.Message):
    __slots__ = ("hot_spots", "rule", "start_time", "end_time")
    HOT_SPOTS_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    hot_spots: _containers.RepeatedCompositeFieldContainer[HotSpot]
    rule: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, hot_spots: _Optional[_Iterable[_Union[HotSpot, _Mapping]]] = ..., rule: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListRisingCategoriesRequest(_message.Message):
    __slots__ = ("period", "grid_level", "grid_code", "baseline_periods", "alpha")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    GRID_LEVEL_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    BASELINE_PERIODS_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    period: PeriodSelector
    grid_level: int
    grid_code: str
    baseline_periods: int
    alpha: float
    def __init__(self, period: _Optional[_Union[PeriodSelector, _Mapping]] = ..., grid_level: _Optional[int] = ..., grid_code: _Optional[str] = ..., baseline_periods: _Optional[int] = ..., alpha: _Optional[float] = ...) -> None: ...

class ListRisingCategoriesResponse(_message.Message):
    __slots__ = ("hot_spots", "rule", "start_time", "end_time")
    HOT_SPOTS_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    hot_spots: _containers.RepeatedCompositeFieldContainer[HotSpot]
    rule: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, hot_spots: _Optional[_Iterable[_Union[HotSpot, _Mapping]]] = ..., rule: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CategoryCount(_message.Message):
    __slots__ = ("category", "count")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    category: str
    count: int
    def __init__(self, category: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class RepeatLocation(_message.Message):
    __slots__ = ("latitude", "longitude", "radius_m", "size", "petition_ids", "categories", "grid_codes", "open_count", "first_time", "last_time")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    RADIUS_M_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    PETITION_IDS_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    GRID_CODES_FIELD_NUMBER: _ClassVar[int]
    OPEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    FIRST_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_TIME_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    radius_m: float
    size: int
    petition_ids: _containers.RepeatedScalarFieldContainer[str]
    categories: _containers.RepeatedCompositeFieldContainer[CategoryCount]
    grid_codes: _containers.RepeatedScalarFieldContainer[str]
    open_count: int
    first_time: _timestamp_pb2.Timestamp
    last_time: _timestamp_pb2.Timestamp
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., radius_m: _Optional[float] = ..., size: _Optional[int] = ..., petition_ids: _Optional[_Iterable[str]] = ..., categories: _Optional[_Iterable[_Union[CategoryCount, _Mapping]]] = ..., grid_codes: _Optional[_Iterable[str]] = ..., open_count: _Optional[int] = ..., first_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListRepeatLocationsRequest(_message.Message):
    __slots__ = ("radius_m", "min_points", "recent_days", "grid_code", "limit")
    RADIUS_M_FIELD_NUMBER: _ClassVar[int]
    MIN_POINTS_FIELD_NUMBER: _ClassVar[int]
    RECENT_DAYS_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    radius_m: float
    min_points: int
    recent_days: int
    grid_code: str
    limit: int
    def __init__(self, radius_m: _Optional[float] = ..., min_points: _Optional[int] = ..., recent_days: _Optional[int] = ..., grid_code: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListRepeatLocationsResponse(_message.Message):
    __slots__ = ("locations", "petitions_considered")
    LOCATIONS_FIELD_NUMBER: _ClassVar[int]
    PETITIONS_CONSIDERED_FIELD_NUMBER: _ClassVar[int]
    locations: _containers.RepeatedCompositeFieldContainer[RepeatLocation]
    petitions_considered: int
    def __init__(self, locations: _Optional[_Iterable[_Union[RepeatLocation, _Mapping]]] = ..., petitions_considered: _Optional[int] = ...) -> None: ...

class GetGridDigestRequest(_message.Message):
    __slots__ = ("grid_code", "anchor_time")
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_TIME_FIELD_NUMBER: _ClassVar[int]
    grid_code: str
    anchor_time: _timestamp_pb2.Timestamp
    def __init__(self, grid_code: _Optional[str] = ..., anchor_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetGridDigestResponse(_message.Message):
    __slots__ = ("digest",)
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    digest: _events_pb2.GridDigestReady
    def __init__(self, digest: _Optional[_Union[_events_pb2.GridDigestReady, _Mapping]] = ...) -> None: ...
