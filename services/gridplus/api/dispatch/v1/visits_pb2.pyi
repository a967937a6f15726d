import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from gridplus.api.common.v1 import common_pb2 as _common_pb2
from gridplus.api.dispatch.v1 import dispatch_pb2 as _dispatch_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VisitFinding(_message.Message):
    __slots__ = ("index", "category", "title", "description", "raise_petition", "petition_id")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    RAISE_PETITION_FIELD_NUMBER: _ClassVar[int]
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    index: int
    category: str
    title: str
    description: str
    raise_petition: bool
    petition_id: str
    def __init__(self, index: _Optional[int] = ..., category: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., raise_petition: _Optional[bool] = ..., petition_id: _Optional[str] = ...) -> None: ...

class Visit(_message.Message):
    __slots__ = ("visit_id", "household_id", "grid_code", "worker_id", "visited_at", "location", "distance_meters", "notes", "findings", "photo_count", "care_member_ids", "recorded_at")
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    VISITED_AT_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_METERS_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    PHOTO_COUNT_FIELD_NUMBER: _ClassVar[int]
    CARE_MEMBER_IDS_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    visit_id: str
    household_id: str
    grid_code: str
    worker_id: str
    visited_at: _timestamp_pb2.Timestamp
    location: _common_pb2.GeoPoint
    distance_meters: float
    notes: str
    findings: _containers.RepeatedCompositeFieldContainer[VisitFinding]
    photo_count: int
    care_member_ids: _containers.RepeatedScalarFieldContainer[str]
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, visit_id: _Optional[str] = ..., household_id: _Optional[str] = ..., grid_code: _Optional[str] = ..., worker_id: _Optional[str] = ..., visited_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., distance_meters: _Optional[float] = ..., notes: _Optional[str] = ..., findings: _Optional[_Iterable[_Union[VisitFinding, _Mapping]]] = ..., photo_count: _Optional[int] = ..., care_member_ids: _Optional[_Iterable[str]] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordVisitRequest(_message.Message):
    __slots__ = ("request_id", "household_id", "visited_at", "location", "notes", "photos", "findings")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    VISITED_AT_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    PHOTOS_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    household_id: str
    visited_at: _timestamp_pb2.Timestamp
    location: _common_pb2.GeoPoint
    notes: str
    photos: _containers.RepeatedScalarFieldContainer[bytes]
    findings: _containers.RepeatedCompositeFieldContainer[VisitFinding]
    def __init__(self, request_id: _Optional[str] = ..., household_id: _Optional[str] = ..., visited_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., notes: _Optional[str] = ..., photos: _Optional[_Iterable[bytes]] = ..., findings: _Optional[_Iterable[_Union[VisitFinding, _Mapping]]] = ...) -> None: ...

class RecordVisitResponse(_message.Message):
    __slots__ = ("visit",)
    VISIT_FIELD_NUMBER: _ClassVar[int]
    visit: Visit
    def __init__(self, visit: _Optional[_Union[Visit, _Mapping]] = ...) -> None: ...

class GetVisitRequest(_message.Message):
    __slots__ = ("visit_id",)
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    visit_id: str
    def __init__(self, visit_id: _Optional[str] = ...) -> None: ...

class GetVisitResponse(_message.Message):
    __slots__ = ("visit",)
    VISIT_FIELD_NUMBER: _ClassVar[int]
    visit: Visit
    def __init__(self, visit: _Optional[_Union[Visit, _Mapping]] = ...) -> None: ...

class GetVisitPhotoRequest(_message.Message):
    __slots__ = ("visit_id", "index")
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    visit_id: str
    index: int
    def __init__(self, visit_id: _Optional[str] = ..., index: _Optional[int] = ...) -> None: ...

class GetVisitPhotoResponse(_message.Message):
    __slots__ = ("content_type", "content")
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    content_type: str
    content: bytes
    def __init__(self, content_type: _Optional[str] = ..., content: _Optional[bytes] = ...) -> None: ...

class ListDiaryRequest(_message.Message):
    __slots__ = ("worker_id", "from_day", "to_day")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_DAY_FIELD_NUMBER: _ClassVar[int]
    TO_DAY_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    from_day: str
    to_day: str
    def __init__(self, worker_id: _Optional[str] = ..., from_day: _Optional[str] = ..., to_day: _Optional[str] = ...) -> None: ...

class DiaryDay(_message.Message):
    __slots__ = ("day", "visits")
    DAY_FIELD_NUMBER: _ClassVar[int]
    VISITS_FIELD_NUMBER: _ClassVar[int]
    day: str
    visits: _containers.RepeatedCompositeFieldContainer[Visit]
    def __init__(self, day: _Optional[str] = ..., visits: _Optional[_Iterable[_Union[Visit, _Mapping]]] = ...) -> None: ...

class ListDiaryResponse(_message.Message):
    __slots__ = ("days",)
    DAYS_FIELD_NUMBER: _ClassVar[int]
    days: _containers.RepeatedCompositeFieldContainer[DiaryDay]
    def __init__(self, days: _Optional[_Iterable[_Union[DiaryDay, _Mapping]]] = ...) -> None: ...

class CareDue(_message.Message):
    __slots__ = ("member_id", "household_id", "grid_code", "care_groups", "visit_interval_days", "last_visited_at", "due_at", "light")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    CARE_GROUPS_FIELD_NUMBER: _ClassVar[int]
    VISIT_INTERVAL_DAYS_FIELD_NUMBER: _ClassVar[int]
    LAST_VISITED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    LIGHT_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    household_id: str
    grid_code: str
    care_groups: _containers.RepeatedScalarFieldContainer[str]
    visit_interval_days: int
    last_visited_at: _timestamp_pb2.Timestamp
    due_at: _timestamp_pb2.Timestamp
    light: _dispatch_pb2.Light
    def __init__(self, member_id: _Optional[str] = ..., household_id: _Optional[str] = ..., grid_code: _Optional[str] = ..., care_groups: _Optional[_Iterable[str]] = ..., visit_interval_days: _Optional[int] = ..., last_visited_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., light: _Optional[_Union[_dispatch_pb2.Light, str]] = ...) -> None: ...

class ListCareDueRequest(_message.Message):
    __slots__ = ("grid_code", "light", "page_size", "page_token")
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    LIGHT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    grid_code: str
    light: _dispatch_pb2.Light
    page_size: int
    page_token: str
    def __init__(self, grid_code: _Optional[str] = ..., light: _Optional[_Union[_dispatch_pb2.Light, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCareDueResponse(_message.Message):
    __slots__ = ("care_due", "next_page_token")
    CARE_DUE_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    care_due: _containers.RepeatedCompositeFieldContainer[CareDue]
    next_page_token: str
    def __init__(self, care_due: _Optional[_Iterable[_Union[CareDue, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
