import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from gridplus.api.common.v1 import common_pb2 as _common_pb2
from gridplus.api.dispatch.v1 import dispatch_pb2 as _dispatch_pb2
from gridplus.api.dispatch.v1 import visits_pb2 as _visits_pb2
from gridplus.api.grid.v1 import grid_pb2 as _grid_pb2
from gridplus.api.petition.v1 import petition_pb2 as _petition_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CategorySource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CATEGORY_SOURCE_UNSPECIFIED: _ClassVar[CategorySource]
    CATEGORY_SOURCE_GIVEN: _ClassVar[CategorySource]
    CATEGORY_SOURCE_CLASSIFIED: _ClassVar[CategorySource]
    CATEGORY_SOURCE_TRIAGE: _ClassVar[CategorySource]

class FollowUpOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FOLLOW_UP_OUTCOME_UNSPECIFIED: _ClassVar[FollowUpOutcome]
    FOLLOW_UP_OUTCOME_SATISFIED: _ClassVar[FollowUpOutcome]
    FOLLOW_UP_OUTCOME_UNSATISFIED: _ClassVar[FollowUpOutcome]
    FOLLOW_UP_OUTCOME_NO_RESPONSE: _ClassVar[FollowUpOutcome]
CATEGORY_SOURCE_UNSPECIFIED: CategorySource
CATEGORY_SOURCE_GIVEN: CategorySource
CATEGORY_SOURCE_CLASSIFIED: CategorySource
CATEGORY_SOURCE_TRIAGE: CategorySource
FOLLOW_UP_OUTCOME_UNSPECIFIED: FollowUpOutcome
FOLLOW_UP_OUTCOME_SATISFIED: FollowUpOutcome
FOLLOW_UP_OUTCOME_UNSATISFIED: FollowUpOutcome
FOLLOW_UP_OUTCOME_NO_RESPONSE: FollowUpOutcome

class PetitionSubmitted(_message.Message):
    __slots__ = ("petition_id", "title", "description", "category", "location", "submitted_at", "reporter_id", "source", "imported", "visit")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    REPORTER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    IMPORTED_FIELD_NUMBER: _ClassVar[int]
    VISIT_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    title: str
    description: str
    category: str
    location: _common_pb2.GeoPoint
    submitted_at: _timestamp_pb2.Timestamp
    reporter_id: str
    source: _petition_pb2.PetitionSource
    imported: HistoryImport
    visit: VisitRef
    def __init__(self, petition_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., category: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., submitted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reporter_id: _Optional[str] = ..., source: _Optional[_Union[_petition_pb2.PetitionSource, str]] = ..., imported: _Optional[_Union[HistoryImport, _Mapping]] = ..., visit: _Optional[_Union[VisitRef, _Mapping]] = ...) -> None: ...

class VisitRef(_message.Message):
    __slots__ = ("visit_id", "finding_index", "grid_code", "worker_id")
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    FINDING_INDEX_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    visit_id: str
    finding_index: int
    grid_code: str
    worker_id: str
    def __init__(self, visit_id: _Optional[str] = ..., finding_index: _Optional[int] = ..., grid_code: _Optional[str] = ..., worker_id: _Optional[str] = ...) -> None: ...

class HistoryImport(_message.Message):
    __slots__ = ("source", "source_request_id", "grid")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_FIELD_NUMBER: _ClassVar[int]
    source: str
    source_request_id: str
    grid: _common_pb2.GridRef
    def __init__(self, source: _Optional[str] = ..., source_request_id: _Optional[str] = ..., grid: _Optional[_Union[_common_pb2.GridRef, _Mapping]] = ...) -> None: ...

class PetitionAssigned(_message.Message):
    __slots__ = ("petition_id", "grid", "assignee_id", "assignee_role", "category", "deadline", "assigned_at", "reasons", "category_choice", "department_code", "yellow_at")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ROLE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_AT_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_CHOICE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    YELLOW_AT_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    grid: _common_pb2.GridRef
    assignee_id: str
    assignee_role: _grid_pb2.MemberRole
    category: str
    deadline: _timestamp_pb2.Timestamp
    assigned_at: _timestamp_pb2.Timestamp
    reasons: _containers.RepeatedScalarFieldContainer[str]
    category_choice: CategoryChoice
    department_code: str
    yellow_at: _timestamp_pb2.Timestamp
    def __init__(self, petition_id: _Optional[str] = ..., grid: _Optional[_Union[_common_pb2.GridRef, _Mapping]] = ..., assignee_id: _Optional[str] = ..., assignee_role: _Optional[_Union[_grid_pb2.MemberRole, str]] = ..., category: _Optional[str] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., assigned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reasons: _Optional[_Iterable[str]] = ..., category_choice: _Optional[_Union[CategoryChoice, _Mapping]] = ..., department_code: _Optional[str] = ..., yellow_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PetitionRoutingFailed(_message.Message):
    __slots__ = ("petition_id", "reason_code", "reason", "failed_at")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FAILED_AT_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    reason_code: str
    reason: str
    failed_at: _timestamp_pb2.Timestamp
    def __init__(self, petition_id: _Optional[str] = ..., reason_code: _Optional[str] = ..., reason: _Optional[str] = ..., failed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PetitionStatusChanged(_message.Message):
    __slots__ = ("petition_id", "from_status", "to_status", "actor_id", "actor_role", "note", "changed_at", "category", "handling_deadline", "imported")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_STATUS_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ROLE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    HANDLING_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    IMPORTED_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    from_status: _petition_pb2.PetitionStatus
    to_status: _petition_pb2.PetitionStatus
    actor_id: str
    actor_role: str
    note: str
    changed_at: _timestamp_pb2.Timestamp
    category: str
    handling_deadline: _timestamp_pb2.Timestamp
    imported: bool
    def __init__(self, petition_id: _Optional[str] = ..., from_status: _Optional[_Union[_petition_pb2.PetitionStatus, str]] = ..., to_status: _Optional[_Union[_petition_pb2.PetitionStatus, str]] = ..., actor_id: _Optional[str] = ..., actor_role: _Optional[str] = ..., note: _Optional[str] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., category: _Optional[str] = ..., handling_deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., imported: _Optional[bool] = ...) -> None: ...

class GridSetImported(_message.Message):
    __slots__ = ("grid_set_version", "grid_count", "imported_at")
    GRID_SET_VERSION_FIELD_NUMBER: _ClassVar[int]
    GRID_COUNT_FIELD_NUMBER: _ClassVar[int]
    IMPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    grid_set_version: int
    grid_count: int
    imported_at: _timestamp_pb2.Timestamp
    def __init__(self, grid_set_version: _Optional[int] = ..., grid_count: _Optional[int] = ..., imported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CategoryChoice(_message.Message):
    __slots__ = ("code", "name_zh", "name_en", "top_level_code", "source", "confidence")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_ZH_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    TOP_LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    code: str
    name_zh: str
    name_en: str
    top_level_code: str
    source: CategorySource
    confidence: float
    def __init__(self, code: _Optional[str] = ..., name_zh: _Optional[str] = ..., name_en: _Optional[str] = ..., top_level_code: _Optional[str] = ..., source: _Optional[_Union[CategorySource, str]] = ..., confidence: _Optional[float] = ...) -> None: ...

class PetitionSentToTriage(_message.Message):
    __slots__ = ("petition_id", "grid", "best_guess", "reason", "sent_at")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_FIELD_NUMBER: _ClassVar[int]
    BEST_GUESS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    grid: _common_pb2.GridRef
    best_guess: CategoryChoice
    reason: str
    sent_at: _timestamp_pb2.Timestamp
    def __init__(self, petition_id: _Optional[str] = ..., grid: _Optional[_Union[_common_pb2.GridRef, _Mapping]] = ..., best_guess: _Optional[_Union[CategoryChoice, _Mapping]] = ..., reason: _Optional[str] = ..., sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PetitionMerged(_message.Message):
    __slots__ = ("petition_id", "survivor_id", "actor_id", "merged_at")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    SURVIVOR_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    MERGED_AT_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    survivor_id: str
    actor_id: str
    merged_at: _timestamp_pb2.Timestamp
    def __init__(self, petition_id: _Optional[str] = ..., survivor_id: _Optional[str] = ..., actor_id: _Optional[str] = ..., merged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PetitionOverdue(_message.Message):
    __slots__ = ("petition_id", "grid", "assignee_id", "department_code", "category", "step", "deadline", "detected_at")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    DETECTED_AT_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    grid: _common_pb2.GridRef
    assignee_id: str
    department_code: str
    category: str
    step: _dispatch_pb2.AssignmentStep
    deadline: _timestamp_pb2.Timestamp
    detected_at: _timestamp_pb2.Timestamp
    def __init__(self, petition_id: _Optional[str] = ..., grid: _Optional[_Union[_common_pb2.GridRef, _Mapping]] = ..., assignee_id: _Optional[str] = ..., department_code: _Optional[str] = ..., category: _Optional[str] = ..., step: _Optional[_Union[_dispatch_pb2.AssignmentStep, str]] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PetitionEscalated(_message.Message):
    __slots__ = ("petition_id", "grid", "rung", "person_ids", "escalated_at")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_FIELD_NUMBER: _ClassVar[int]
    RUNG_FIELD_NUMBER: _ClassVar[int]
    PERSON_IDS_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_AT_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    grid: _common_pb2.GridRef
    rung: int
    person_ids: _containers.RepeatedScalarFieldContainer[str]
    escalated_at: _timestamp_pb2.Timestamp
    def __init__(self, petition_id: _Optional[str] = ..., grid: _Optional[_Union[_common_pb2.GridRef, _Mapping]] = ..., rung: _Optional[int] = ..., person_ids: _Optional[_Iterable[str]] = ..., escalated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AssignmentTransferred(_message.Message):
    __slots__ = ("petition_id", "from_assignee_id", "to_assignee_id", "from_department_code", "to_department_code", "reason", "actor_id", "transferred_at")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    TO_DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSFERRED_AT_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    from_assignee_id: str
    to_assignee_id: str
    from_department_code: str
    to_department_code: str
    reason: str
    actor_id: str
    transferred_at: _timestamp_pb2.Timestamp
    def __init__(self, petition_id: _Optional[str] = ..., from_assignee_id: _Optional[str] = ..., to_assignee_id: _Optional[str] = ..., from_department_code: _Optional[str] = ..., to_department_code: _Optional[str] = ..., reason: _Optional[str] = ..., actor_id: _Optional[str] = ..., transferred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AssignmentRefused(_message.Message):
    __slots__ = ("petition_id", "department_code", "actor_id", "reason", "refusal_count", "arbitrator_id", "refused_at")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REFUSAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    ARBITRATOR_ID_FIELD_NUMBER: _ClassVar[int]
    REFUSED_AT_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    department_code: str
    actor_id: str
    reason: str
    refusal_count: int
    arbitrator_id: str
    refused_at: _timestamp_pb2.Timestamp
    def __init__(self, petition_id: _Optional[str] = ..., department_code: _Optional[str] = ..., actor_id: _Optional[str] = ..., reason: _Optional[str] = ..., refusal_count: _Optional[int] = ..., arbitrator_id: _Optional[str] = ..., refused_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WhistleBlown(_message.Message):
    __slots__ = ("whistle_id", "petition_id", "grid", "blown_by", "department_codes", "reason", "blown_at", "report_deadline")
    WHISTLE_ID_FIELD_NUMBER: _ClassVar[int]
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_FIELD_NUMBER: _ClassVar[int]
    BLOWN_BY_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    BLOWN_AT_FIELD_NUMBER: _ClassVar[int]
    REPORT_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    whistle_id: str
    petition_id: str
    grid: _common_pb2.GridRef
    blown_by: str
    department_codes: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    blown_at: _timestamp_pb2.Timestamp
    report_deadline: _timestamp_pb2.Timestamp
    def __init__(self, whistle_id: _Optional[str] = ..., petition_id: _Optional[str] = ..., grid: _Optional[_Union[_common_pb2.GridRef, _Mapping]] = ..., blown_by: _Optional[str] = ..., department_codes: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., blown_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., report_deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WhistleReported(_message.Message):
    __slots__ = ("whistle_id", "petition_id", "department_code", "reporter_id", "note", "reported_at", "on_time")
    WHISTLE_ID_FIELD_NUMBER: _ClassVar[int]
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    REPORTER_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    ON_TIME_FIELD_NUMBER: _ClassVar[int]
    whistle_id: str
    petition_id: str
    department_code: str
    reporter_id: str
    note: str
    reported_at: _timestamp_pb2.Timestamp
    on_time: bool
    def __init__(self, whistle_id: _Optional[str] = ..., petition_id: _Optional[str] = ..., department_code: _Optional[str] = ..., reporter_id: _Optional[str] = ..., note: _Optional[str] = ..., reported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., on_time: _Optional[bool] = ...) -> None: ...

class WhistleReportOverdue(_message.Message):
    __slots__ = ("whistle_id", "petition_id", "department_code", "deadline", "detected_at")
    WHISTLE_ID_FIELD_NUMBER: _ClassVar[int]
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    DETECTED_AT_FIELD_NUMBER: _ClassVar[int]
    whistle_id: str
    petition_id: str
    department_code: str
    deadline: _timestamp_pb2.Timestamp
    detected_at: _timestamp_pb2.Timestamp
    def __init__(self, whistle_id: _Optional[str] = ..., petition_id: _Optional[str] = ..., department_code: _Optional[str] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MembershipChanged(_message.Message):
    __slots__ = ("person_id", "grid_code", "role", "removed", "changed_at")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    grid_code: str
    role: _grid_pb2.MemberRole
    removed: bool
    changed_at: _timestamp_pb2.Timestamp
    def __init__(self, person_id: _Optional[str] = ..., grid_code: _Optional[str] = ..., role: _Optional[_Union[_grid_pb2.MemberRole, str]] = ..., removed: _Optional[bool] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FollowUpCompleted(_message.Message):
    __slots__ = ("petition_id", "outcome", "rating", "via", "actor_id", "completed_at")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    VIA_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    outcome: FollowUpOutcome
    rating: int
    via: str
    actor_id: str
    completed_at: _timestamp_pb2.Timestamp
    def __init__(self, petition_id: _Optional[str] = ..., outcome: _Optional[_Union[FollowUpOutcome, str]] = ..., rating: _Optional[int] = ..., via: _Optional[str] = ..., actor_id: _Optional[str] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AssessmentRecorded(_message.Message):
    __slots__ = ("assessment_id", "worker_id", "grid_code", "inspector_id", "score", "secret", "recorded_at")
    ASSESSMENT_ID_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    INSPECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    assessment_id: str
    worker_id: str
    grid_code: str
    inspector_id: str
    score: float
    secret: bool
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, assessment_id: _Optional[str] = ..., worker_id: _Optional[str] = ..., grid_code: _Optional[str] = ..., inspector_id: _Optional[str] = ..., score: _Optional[float] = ..., secret: _Optional[bool] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PetitionDeadlineChanged(_message.Message):
    __slots__ = ("petition_id", "step", "deadline", "yellow_at", "paused", "changed_at", "reason")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    YELLOW_AT_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    step: _dispatch_pb2.AssignmentStep
    deadline: _timestamp_pb2.Timestamp
    yellow_at: _timestamp_pb2.Timestamp
    paused: bool
    changed_at: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, petition_id: _Optional[str] = ..., step: _Optional[_Union[_dispatch_pb2.AssignmentStep, str]] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., yellow_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., paused: _Optional[bool] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class CareMemberRef(_message.Message):
    __slots__ = ("member_id", "care_groups", "visit_interval_days")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    CARE_GROUPS_FIELD_NUMBER: _ClassVar[int]
    VISIT_INTERVAL_DAYS_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    care_groups: _containers.RepeatedScalarFieldContainer[str]
    visit_interval_days: int
    def __init__(self, member_id: _Optional[str] = ..., care_groups: _Optional[_Iterable[str]] = ..., visit_interval_days: _Optional[int] = ...) -> None: ...

class HouseholdChanged(_message.Message):
    __slots__ = ("household_id", "grid_code", "place_code", "care_members", "member_count", "removed", "changed_at", "version")
    HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    PLACE_CODE_FIELD_NUMBER: _ClassVar[int]
    CARE_MEMBERS_FIELD_NUMBER: _ClassVar[int]
    MEMBER_COUNT_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    household_id: str
    grid_code: str
    place_code: str
    care_members: _containers.RepeatedCompositeFieldContainer[CareMemberRef]
    member_count: int
    removed: bool
    changed_at: _timestamp_pb2.Timestamp
    version: int
    def __init__(self, household_id: _Optional[str] = ..., grid_code: _Optional[str] = ..., place_code: _Optional[str] = ..., care_members: _Optional[_Iterable[_Union[CareMemberRef, _Mapping]]] = ..., member_count: _Optional[int] = ..., removed: _Optional[bool] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class CareVisitCheck(_message.Message):
    __slots__ = ("member_id", "due_at", "on_time")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    ON_TIME_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    due_at: _timestamp_pb2.Timestamp
    on_time: bool
    def __init__(self, member_id: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., on_time: _Optional[bool] = ...) -> None: ...

class VisitRecorded(_message.Message):
    __slots__ = ("visit_id", "household_id", "grid_code", "worker_id", "visited_at", "location", "findings", "care_visits", "photo_count")
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    VISITED_AT_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    CARE_VISITS_FIELD_NUMBER: _ClassVar[int]
    PHOTO_COUNT_FIELD_NUMBER: _ClassVar[int]
    visit_id: str
    household_id: str
    grid_code: str
    worker_id: str
    visited_at: _timestamp_pb2.Timestamp
    location: _common_pb2.GeoPoint
    findings: _containers.RepeatedCompositeFieldContainer[_visits_pb2.VisitFinding]
    care_visits: _containers.RepeatedCompositeFieldContainer[CareVisitCheck]
    photo_count: int
    def __init__(self, visit_id: _Optional[str] = ..., household_id: _Optional[str] = ..., grid_code: _Optional[str] = ..., worker_id: _Optional[str] = ..., visited_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., findings: _Optional[_Iterable[_Union[_visits_pb2.VisitFinding, _Mapping]]] = ..., care_visits: _Optional[_Iterable[_Union[CareVisitCheck, _Mapping]]] = ..., photo_count: _Optional[int] = ...) -> None: ...

class CareVisitOverdue(_message.Message):
    __slots__ = ("member_id", "household_id", "grid_code", "care_groups", "due_at", "last_visited_at", "detected_at")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    CARE_GROUPS_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_VISITED_AT_FIELD_NUMBER: _ClassVar[int]
    DETECTED_AT_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    household_id: str
    grid_code: str
    care_groups: _containers.RepeatedScalarFieldContainer[str]
    due_at: _timestamp_pb2.Timestamp
    last_visited_at: _timestamp_pb2.Timestamp
    detected_at: _timestamp_pb2.Timestamp
    def __init__(self, member_id: _Optional[str] = ..., household_id: _Optional[str] = ..., grid_code: _Optional[str] = ..., care_groups: _Optional[_Iterable[str]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_visited_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DigestCategoryCount(_message.Message):
    __slots__ = ("category", "count", "previous_count", "rising")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_COUNT_FIELD_NUMBER: _ClassVar[int]
    RISING_FIELD_NUMBER: _ClassVar[int]
    category: str
    count: int
    previous_count: int
    rising: bool
    def __init__(self, category: _Optional[str] = ..., count: _Optional[int] = ..., previous_count: _Optional[int] = ..., rising: _Optional[bool] = ...) -> None: ...

class GridDigestReady(_message.Message):
    __slots__ = ("grid_code", "period_start", "period_end", "petitions_submitted", "petitions_closed", "top_categories", "repeat_locations", "visit_coverage", "care_visits_on_time", "care_visits_overdue")
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    PETITIONS_SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    PETITIONS_CLOSED_FIELD_NUMBER: _ClassVar[int]
    TOP_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    REPEAT_LOCATIONS_FIELD_NUMBER: _ClassVar[int]
    VISIT_COVERAGE_FIELD_NUMBER: _ClassVar[int]
    CARE_VISITS_ON_TIME_FIELD_NUMBER: _ClassVar[int]
    CARE_VISITS_OVERDUE_FIELD_NUMBER: _ClassVar[int]
    grid_code: str
    period_start: _timestamp_pb2.Timestamp
    period_end: _timestamp_pb2.Timestamp
    petitions_submitted: int
    petitions_closed: int
    top_categories: _containers.RepeatedCompositeFieldContainer[DigestCategoryCount]
    repeat_locations: int
    visit_coverage: float
    care_visits_on_time: float
    care_visits_overdue: int
    def __init__(self, grid_code: _Optional[str] = ..., period_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., petitions_submitted: _Optional[int] = ..., petitions_closed: _Optional[int] = ..., top_categories: _Optional[_Iterable[_Union[DigestCategoryCount, _Mapping]]] = ..., repeat_locations: _Optional[int] = ..., visit_coverage: _Optional[float] = ..., care_visits_on_time: _Optional[float] = ..., care_visits_overdue: _Optional[int] = ...) -> None: ...
