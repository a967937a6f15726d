import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from gridplus.api.common.v1 import common_pb2 as _common_pb2
from gridplus.api.grid.v1 import grid_pb2 as _grid_pb2
from gridplus.api.petition.v1 import petition_pb2 as _petition_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PetitionSubmitted(_message.Message):
    __slots__ = ("petition_id", "title", "description", "category", "location", "submitted_at", "reporter_id", "source")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    REPORTER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    title: str
    description: str
    category: str
    location: _common_pb2.GeoPoint
    submitted_at: _timestamp_pb2.Timestamp
    reporter_id: str
    source: _petition_pb2.PetitionSource
    def __init__(self, petition_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., category: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., submitted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reporter_id: _Optional[str] = ..., source: _Optional[_Union[_petition_pb2.PetitionSource, str]] = ...) -> None: ...

class PetitionAssigned(_message.Message):
    __slots__ = ("petition_id", "grid", "assignee_id", "assignee_role", "category", "deadline", "assigned_at", "reasons")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ROLE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_AT_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    grid: _common_pb2.GridRef
    assignee_id: str
    assignee_role: _grid_pb2.MemberRole
    category: str
    deadline: _timestamp_pb2.Timestamp
    assigned_at: _timestamp_pb2.Timestamp
    reasons: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, petition_id: _Optional[str] = ..., grid: _Optional[_Union[_common_pb2.GridRef, _Mapping]] = ..., assignee_id: _Optional[str] = ..., assignee_role: _Optional[_Union[_grid_pb2.MemberRole, str]] = ..., category: _Optional[str] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., assigned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reasons: _Optional[_Iterable[str]] = ...) -> None: ...

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
    __slots__ = ("petition_id", "from_status", "to_status", "actor_id", "actor_role", "note", "changed_at")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_STATUS_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ROLE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    from_status: _petition_pb2.PetitionStatus
    to_status: _petition_pb2.PetitionStatus
    actor_id: str
    actor_role: str
    note: str
    changed_at: _timestamp_pb2.Timestamp
    def __init__(self, petition_id: _Optional[str] = ..., from_status: _Optional[_Union[_petition_pb2.PetitionStatus, str]] = ..., to_status: _Optional[_Union[_petition_pb2.PetitionStatus, str]] = ..., actor_id: _Optional[str] = ..., actor_role: _Optional[str] = ..., note: _Optional[str] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GridSetImported(_message.Message):
    __slots__ = ("grid_set_version", "grid_count", "imported_at")
    GRID_SET_VERSION_FIELD_NUMBER: _ClassVar[int]
    GRID_COUNT_FIELD_NUMBER: _ClassVar[int]
    IMPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    grid_set_version: int
    grid_count: int
    imported_at: _timestamp_pb2.Timestamp
    def __init__(self, grid_set_version: _Optional[int] = ..., grid_count: _Optional[int] = ..., imported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
