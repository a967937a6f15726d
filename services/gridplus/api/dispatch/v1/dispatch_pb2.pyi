import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from gridplus.api.common.v1 import common_pb2 as _common_pb2
from gridplus.api.grid.v1 import grid_pb2 as _grid_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Light(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIGHT_UNSPECIFIED: _ClassVar[Light]
    LIGHT_GREEN: _ClassVar[Light]
    LIGHT_YELLOW: _ClassVar[Light]
    LIGHT_RED: _ClassVar[Light]

class AssignmentStep(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASSIGNMENT_STEP_UNSPECIFIED: _ClassVar[AssignmentStep]
    ASSIGNMENT_STEP_VERIFY: _ClassVar[AssignmentStep]
    ASSIGNMENT_STEP_HANDLE: _ClassVar[AssignmentStep]
LIGHT_UNSPECIFIED: Light
LIGHT_GREEN: Light
LIGHT_YELLOW: Light
LIGHT_RED: Light
ASSIGNMENT_STEP_UNSPECIFIED: AssignmentStep
ASSIGNMENT_STEP_VERIFY: AssignmentStep
ASSIGNMENT_STEP_HANDLE: AssignmentStep

class Assignment(_message.Message):
    __slots__ = ("petition_id", "grid", "assignee_id", "assignee_role", "category", "deadline", "assigned_at", "step", "reasons", "department_code", "light", "category_name_zh", "category_name_en", "category_top_level_code", "category_source", "category_confidence", "yellow_at", "paused", "accepted_at", "refusals")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ROLE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_AT_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    LIGHT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_NAME_ZH_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_NAME_EN_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_TOP_LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_SOURCE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    YELLOW_AT_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_AT_FIELD_NUMBER: _ClassVar[int]
    REFUSALS_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    grid: _common_pb2.GridRef
    assignee_id: str
    assignee_role: _grid_pb2.MemberRole
    category: str
    deadline: _timestamp_pb2.Timestamp
    assigned_at: _timestamp_pb2.Timestamp
    step: AssignmentStep
    reasons: _containers.RepeatedScalarFieldContainer[str]
    department_code: str
    light: Light
    category_name_zh: str
    category_name_en: str
    category_top_level_code: str
    category_source: str
    category_confidence: float
    yellow_at: _timestamp_pb2.Timestamp
    paused: bool
    accepted_at: _timestamp_pb2.Timestamp
    refusals: int
    def __init__(self, petition_id: _Optional[str] = ..., grid: _Optional[_Union[_common_pb2.GridRef, _Mapping]] = ..., assignee_id: _Optional[str] = ..., assignee_role: _Optional[_Union[_grid_pb2.MemberRole, str]] = ..., category: _Optional[str] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., assigned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., step: _Optional[_Union[AssignmentStep, str]] = ..., reasons: _Optional[_Iterable[str]] = ..., department_code: _Optional[str] = ..., light: _Optional[_Union[Light, str]] = ..., category_name_zh: _Optional[str] = ..., category_name_en: _Optional[str] = ..., category_top_level_code: _Optional[str] = ..., category_source: _Optional[str] = ..., category_confidence: _Optional[float] = ..., yellow_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., paused: _Optional[bool] = ..., accepted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., refusals: _Optional[int] = ...) -> None: ...

class GetAssignmentRequest(_message.Message):
    __slots__ = ("petition_id",)
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    def __init__(self, petition_id: _Optional[str] = ...) -> None: ...

class GetAssignmentResponse(_message.Message):
    __slots__ = ("assignment",)
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    assignment: Assignment
    def __init__(self, assignment: _Optional[_Union[Assignment, _Mapping]] = ...) -> None: ...

class ListAssignmentsRequest(_message.Message):
    __slots__ = ("assignee_id", "grid_code", "page_size", "page_token")
    ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    assignee_id: str
    grid_code: str
    page_size: int
    page_token: str
    def __init__(self, assignee_id: _Optional[str] = ..., grid_code: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAssignmentsResponse(_message.Message):
    __slots__ = ("assignments", "next_page_token")
    ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    assignments: _containers.RepeatedCompositeFieldContainer[Assignment]
    next_page_token: str
    def __init__(self, assignments: _Optional[_Iterable[_Union[Assignment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListOverdueRequest(_message.Message):
    __slots__ = ("grid_code", "department_code", "page_size", "page_token")
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    grid_code: str
    department_code: str
    page_size: int
    page_token: str
    def __init__(self, grid_code: _Optional[str] = ..., department_code: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOverdueResponse(_message.Message):
    __slots__ = ("assignments", "next_page_token")
    ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    assignments: _containers.RepeatedCompositeFieldContainer[Assignment]
    next_page_token: str
    def __init__(self, assignments: _Optional[_Iterable[_Union[Assignment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PauseClockRequest(_message.Message):
    __slots__ = ("petition_id", "reason", "request_id")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    reason: str
    request_id: str
    def __init__(self, petition_id: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class PauseClockResponse(_message.Message):
    __slots__ = ("assignment",)
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    assignment: Assignment
    def __init__(self, assignment: _Optional[_Union[Assignment, _Mapping]] = ...) -> None: ...

class ResumeClockRequest(_message.Message):
    __slots__ = ("petition_id", "request_id")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    request_id: str
    def __init__(self, petition_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ResumeClockResponse(_message.Message):
    __slots__ = ("assignment",)
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    assignment: Assignment
    def __init__(self, assignment: _Optional[_Union[Assignment, _Mapping]] = ...) -> None: ...

class ListTriageRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class TriageItem(_message.Message):
    __slots__ = ("petition_id", "title", "description", "grid", "best_guess", "confidence", "sent_at", "suggestions")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    GRID_FIELD_NUMBER: _ClassVar[int]
    BEST_GUESS_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    title: str
    description: str
    grid: _common_pb2.GridRef
    best_guess: str
    confidence: float
    sent_at: _timestamp_pb2.Timestamp
    suggestions: _containers.RepeatedCompositeFieldContainer[CategorySuggestion]
    def __init__(self, petition_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., grid: _Optional[_Union[_common_pb2.GridRef, _Mapping]] = ..., best_guess: _Optional[str] = ..., confidence: _Optional[float] = ..., sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., suggestions: _Optional[_Iterable[_Union[CategorySuggestion, _Mapping]]] = ...) -> None: ...

class CategorySuggestion(_message.Message):
    __slots__ = ("category_code", "name_zh", "name_en", "probability")
    CATEGORY_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_ZH_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    category_code: str
    name_zh: str
    name_en: str
    probability: float
    def __init__(self, category_code: _Optional[str] = ..., name_zh: _Optional[str] = ..., name_en: _Optional[str] = ..., probability: _Optional[float] = ...) -> None: ...

class ListTriageResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[TriageItem]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[TriageItem, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SetTriageCategoryRequest(_message.Message):
    __slots__ = ("petition_id", "category_code", "request_id")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_CODE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    category_code: str
    request_id: str
    def __init__(self, petition_id: _Optional[str] = ..., category_code: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class SetTriageCategoryResponse(_message.Message):
    __slots__ = ("assignment",)
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    assignment: Assignment
    def __init__(self, assignment: _Optional[_Union[Assignment, _Mapping]] = ...) -> None: ...

class AcceptAssignmentRequest(_message.Message):
    __slots__ = ("petition_id", "request_id")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    request_id: str
    def __init__(self, petition_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class AcceptAssignmentResponse(_message.Message):
    __slots__ = ("assignment",)
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    assignment: Assignment
    def __init__(self, assignment: _Optional[_Union[Assignment, _Mapping]] = ...) -> None: ...

class TransferAssignmentRequest(_message.Message):
    __slots__ = ("petition_id", "to_assignee_id", "to_department_code", "reason", "request_id")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    TO_ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    to_assignee_id: str
    to_department_code: str
    reason: str
    request_id: str
    def __init__(self, petition_id: _Optional[str] = ..., to_assignee_id: _Optional[str] = ..., to_department_code: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class TransferAssignmentResponse(_message.Message):
    __slots__ = ("assignment",)
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    assignment: Assignment
    def __init__(self, assignment: _Optional[_Union[Assignment, _Mapping]] = ...) -> None: ...

class RefuseAssignmentRequest(_message.Message):
    __slots__ = ("petition_id", "reason", "request_id")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    reason: str
    request_id: str
    def __init__(self, petition_id: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RefuseAssignmentResponse(_message.Message):
    __slots__ = ("assignment", "arbitrator_id")
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    ARBITRATOR_ID_FIELD_NUMBER: _ClassVar[int]
    assignment: Assignment
    arbitrator_id: str
    def __init__(self, assignment: _Optional[_Union[Assignment, _Mapping]] = ..., arbitrator_id: _Optional[str] = ...) -> None: ...

class BlowWhistleRequest(_message.Message):
    __slots__ = ("petition_id", "department_codes", "reason", "request_id")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    department_codes: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    request_id: str
    def __init__(self, petition_id: _Optional[str] = ..., department_codes: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class WhistleReport(_message.Message):
    __slots__ = ("department_code", "deadline", "reported_at", "light")
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    LIGHT_FIELD_NUMBER: _ClassVar[int]
    department_code: str
    deadline: _timestamp_pb2.Timestamp
    reported_at: _timestamp_pb2.Timestamp
    light: Light
    def __init__(self, department_code: _Optional[str] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., light: _Optional[_Union[Light, str]] = ...) -> None: ...

class Whistle(_message.Message):
    __slots__ = ("whistle_id", "petition_id", "blown_by", "reason", "blown_at", "reports")
    WHISTLE_ID_FIELD_NUMBER: _ClassVar[int]
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    BLOWN_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    BLOWN_AT_FIELD_NUMBER: _ClassVar[int]
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    whistle_id: str
    petition_id: str
    blown_by: str
    reason: str
    blown_at: _timestamp_pb2.Timestamp
    reports: _containers.RepeatedCompositeFieldContainer[WhistleReport]
    def __init__(self, whistle_id: _Optional[str] = ..., petition_id: _Optional[str] = ..., blown_by: _Optional[str] = ..., reason: _Optional[str] = ..., blown_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reports: _Optional[_Iterable[_Union[WhistleReport, _Mapping]]] = ...) -> None: ...

class BlowWhistleResponse(_message.Message):
    __slots__ = ("whistle",)
    WHISTLE_FIELD_NUMBER: _ClassVar[int]
    whistle: Whistle
    def __init__(self, whistle: _Optional[_Union[Whistle, _Mapping]] = ...) -> None: ...

class ReportToWhistleRequest(_message.Message):
    __slots__ = ("whistle_id", "note", "request_id")
    WHISTLE_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    whistle_id: str
    note: str
    request_id: str
    def __init__(self, whistle_id: _Optional[str] = ..., note: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReportToWhistleResponse(_message.Message):
    __slots__ = ("whistle", "on_time")
    WHISTLE_FIELD_NUMBER: _ClassVar[int]
    ON_TIME_FIELD_NUMBER: _ClassVar[int]
    whistle: Whistle
    on_time: bool
    def __init__(self, whistle: _Optional[_Union[Whistle, _Mapping]] = ..., on_time: _Optional[bool] = ...) -> None: ...

class WatchAssignmentsRequest(_message.Message):
    __slots__ = ("department_code", "grid_code", "after_change_id")
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    AFTER_CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    department_code: str
    grid_code: str
    after_change_id: int
    def __init__(self, department_code: _Optional[str] = ..., grid_code: _Optional[str] = ..., after_change_id: _Optional[int] = ...) -> None: ...

class WatchAssignmentsResponse(_message.Message):
    __slots__ = ("change_id", "assignment", "closed")
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    change_id: int
    assignment: Assignment
    closed: bool
    def __init__(self, change_id: _Optional[int] = ..., assignment: _Optional[_Union[Assignment, _Mapping]] = ..., closed: _Optional[bool] = ...) -> None: ...

class CountLightsRequest(_message.Message):
    __slots__ = ("level", "grid_code", "department_code")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    level: int
    grid_code: str
    department_code: str
    def __init__(self, level: _Optional[int] = ..., grid_code: _Optional[str] = ..., department_code: _Optional[str] = ...) -> None: ...

class GridLightCount(_message.Message):
    __slots__ = ("grid_code", "red", "yellow", "green")
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    RED_FIELD_NUMBER: _ClassVar[int]
    YELLOW_FIELD_NUMBER: _ClassVar[int]
    GREEN_FIELD_NUMBER: _ClassVar[int]
    grid_code: str
    red: int
    yellow: int
    green: int
    def __init__(self, grid_code: _Optional[str] = ..., red: _Optional[int] = ..., yellow: _Optional[int] = ..., green: _Optional[int] = ...) -> None: ...

class CountLightsResponse(_message.Message):
    __slots__ = ("grids", "counted_at")
    GRIDS_FIELD_NUMBER: _ClassVar[int]
    COUNTED_AT_FIELD_NUMBER: _ClassVar[int]
    grids: _containers.RepeatedCompositeFieldContainer[GridLightCount]
    counted_at: _timestamp_pb2.Timestamp
    def __init__(self, grids: _Optional[_Iterable[_Union[GridLightCount, _Mapping]]] = ..., counted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListWhistlesRequest(_message.Message):
    __slots__ = ("petition_id", "open_only", "page_size")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    OPEN_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    open_only: bool
    page_size: int
    def __init__(self, petition_id: _Optional[str] = ..., open_only: _Optional[bool] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListWhistlesResponse(_message.Message):
    __slots__ = ("whistles",)
    WHISTLES_FIELD_NUMBER: _ClassVar[int]
    whistles: _containers.RepeatedCompositeFieldContainer[Whistle]
    def __init__(self, whistles: _Optional[_Iterable[_Union[Whistle, _Mapping]]] = ...) -> None: ...
