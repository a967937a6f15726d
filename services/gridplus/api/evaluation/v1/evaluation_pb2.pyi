import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SubjectKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUBJECT_KIND_UNSPECIFIED: _ClassVar[SubjectKind]
    SUBJECT_KIND_WORKER: _ClassVar[SubjectKind]
    SUBJECT_KIND_GRID: _ClassVar[SubjectKind]
    SUBJECT_KIND_DEPARTMENT: _ClassVar[SubjectKind]
    SUBJECT_KIND_CITY: _ClassVar[SubjectKind]
SUBJECT_KIND_UNSPECIFIED: SubjectKind
SUBJECT_KIND_WORKER: SubjectKind
SUBJECT_KIND_GRID: SubjectKind
SUBJECT_KIND_DEPARTMENT: SubjectKind
SUBJECT_KIND_CITY: SubjectKind

class Scorecard(_message.Message):
    __slots__ = ("kind", "subject_id", "start_time", "end_time", "submitted_count", "assigned_count", "resolved_count", "closed_count", "overdue_count")
    KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_COUNT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_COUNT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_COUNT_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_COUNT_FIELD_NUMBER: _ClassVar[int]
    kind: SubjectKind
    subject_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    submitted_count: int
    assigned_count: int
    resolved_count: int
    closed_count: int
    overdue_count: int
    def __init__(self, kind: _Optional[_Union[SubjectKind, str]] = ..., subject_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., submitted_count: _Optional[int] = ..., assigned_count: _Optional[int] = ..., resolved_count: _Optional[int] = ..., closed_count: _Optional[int] = ..., overdue_count: _Optional[int] = ...) -> None: ...

class GetScorecardRequest(_message.Message):
    __slots__ = ("kind", "subject_id", "start_time", "end_time")
    KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    kind: SubjectKind
    subject_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, kind: _Optional[_Union[SubjectKind, str]] = ..., subject_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetScorecardResponse(_message.Message):
    __slots__ = ("scorecard",)
    SCORECARD_FIELD_NUMBER: _ClassVar[int]
    scorecard: Scorecard
    def __init__(self, scorecard: _Optional[_Union[Scorecard, _Mapping]] = ...) -> None: ...
