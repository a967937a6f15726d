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

class AssignmentStep(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASSIGNMENT_STEP_UNSPECIFIED: _ClassVar[AssignmentStep]
    ASSIGNMENT_STEP_VERIFY: _ClassVar[AssignmentStep]
    ASSIGNMENT_STEP_HANDLE: _ClassVar[AssignmentStep]
ASSIGNMENT_STEP_UNSPECIFIED: AssignmentStep
ASSIGNMENT_STEP_VERIFY: AssignmentStep
ASSIGNMENT_STEP_HANDLE: AssignmentStep

class Assignment(_message.Message):
    __slots__ = ("petition_id", "grid", "assignee_id", "assignee_role", "category", "deadline", "assigned_at", "step", "reasons")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ROLE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_AT_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    grid: _common_pb2.GridRef
    assignee_id: str
    assignee_role: _grid_pb2.MemberRole
    category: str
    deadline: _timestamp_pb2.Timestamp
    assigned_at: _timestamp_pb2.Timestamp
    step: AssignmentStep
    reasons: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, petition_id: _Optional[str] = ..., grid: _Optional[_Union[_common_pb2.GridRef, _Mapping]] = ..., assignee_id: _Optional[str] = ..., assignee_role: _Optional[_Union[_grid_pb2.MemberRole, str]] = ..., category: _Optional[str] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., assigned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., step: _Optional[_Union[AssignmentStep, str]] = ..., reasons: _Optional[_Iterable[str]] = ...) -> None: ...

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
