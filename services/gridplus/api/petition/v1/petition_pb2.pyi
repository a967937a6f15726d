import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from gridplus.api.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PetitionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PETITION_STATUS_UNSPECIFIED: _ClassVar[PetitionStatus]
    PETITION_STATUS_SUBMITTED: _ClassVar[PetitionStatus]
    PETITION_STATUS_ASSIGNED: _ClassVar[PetitionStatus]
    PETITION_STATUS_VERIFIED: _ClassVar[PetitionStatus]
    PETITION_STATUS_RESOLVED: _ClassVar[PetitionStatus]
    PETITION_STATUS_CLOSED: _ClassVar[PetitionStatus]
    PETITION_STATUS_REJECTED: _ClassVar[PetitionStatus]
    PETITION_STATUS_DUPLICATE: _ClassVar[PetitionStatus]
    PETITION_STATUS_REOPENED: _ClassVar[PetitionStatus]

class PetitionSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PETITION_SOURCE_UNSPECIFIED: _ClassVar[PetitionSource]
    PETITION_SOURCE_RESIDENT: _ClassVar[PetitionSource]
    PETITION_SOURCE_GRID_WORKER: _ClassVar[PetitionSource]
    PETITION_SOURCE_OPEN311: _ClassVar[PetitionSource]
    PETITION_SOURCE_HOTLINE: _ClassVar[PetitionSource]
PETITION_STATUS_UNSPECIFIED: PetitionStatus
PETITION_STATUS_SUBMITTED: PetitionStatus
PETITION_STATUS_ASSIGNED: PetitionStatus
PETITION_STATUS_VERIFIED: PetitionStatus
PETITION_STATUS_RESOLVED: PetitionStatus
PETITION_STATUS_CLOSED: PetitionStatus
PETITION_STATUS_REJECTED: PetitionStatus
PETITION_STATUS_DUPLICATE: PetitionStatus
PETITION_STATUS_REOPENED: PetitionStatus
PETITION_SOURCE_UNSPECIFIED: PetitionSource
PETITION_SOURCE_RESIDENT: PetitionSource
PETITION_SOURCE_GRID_WORKER: PetitionSource
PETITION_SOURCE_OPEN311: PetitionSource
PETITION_SOURCE_HOTLINE: PetitionSource

class Petition(_message.Message):
    __slots__ = ("id", "status", "title", "description", "category", "location", "grid", "assignee_id", "deadline", "created_at", "updated_at", "reject_reason", "source")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    GRID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    REJECT_REASON_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: PetitionStatus
    title: str
    description: str
    category: str
    location: _common_pb2.GeoPoint
    grid: _common_pb2.GridRef
    assignee_id: str
    deadline: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    reject_reason: str
    source: PetitionSource
    def __init__(self, id: _Optional[str] = ..., status: _Optional[_Union[PetitionStatus, str]] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., category: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., grid: _Optional[_Union[_common_pb2.GridRef, _Mapping]] = ..., assignee_id: _Optional[str] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reject_reason: _Optional[str] = ..., source: _Optional[_Union[PetitionSource, str]] = ...) -> None: ...

class HistoryEntry(_message.Message):
    __slots__ = ("from_status", "to_status", "actor_id", "actor_role", "note", "at")
    FROM_STATUS_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ROLE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    from_status: PetitionStatus
    to_status: PetitionStatus
    actor_id: str
    actor_role: str
    note: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, from_status: _Optional[_Union[PetitionStatus, str]] = ..., to_status: _Optional[_Union[PetitionStatus, str]] = ..., actor_id: _Optional[str] = ..., actor_role: _Optional[str] = ..., note: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SubmitPetitionRequest(_message.Message):
    __slots__ = ("request_id", "title", "description", "location", "category")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    title: str
    description: str
    location: _common_pb2.GeoPoint
    category: str
    def __init__(self, request_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., category: _Optional[str] = ...) -> None: ...

class SubmitPetitionResponse(_message.Message):
    __slots__ = ("petition",)
    PETITION_FIELD_NUMBER: _ClassVar[int]
    petition: Petition
    def __init__(self, petition: _Optional[_Union[Petition, _Mapping]] = ...) -> None: ...

class GetPetitionRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetPetitionResponse(_message.Message):
    __slots__ = ("petition",)
    PETITION_FIELD_NUMBER: _ClassVar[int]
    petition: Petition
    def __init__(self, petition: _Optional[_Union[Petition, _Mapping]] = ...) -> None: ...

class ListPetitionsRequest(_message.Message):
    __slots__ = ("status", "grid_code", "page_size", "page_token")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    status: PetitionStatus
    grid_code: str
    page_size: int
    page_token: str
    def __init__(self, status: _Optional[_Union[PetitionStatus, str]] = ..., grid_code: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPetitionsResponse(_message.Message):
    __slots__ = ("petitions", "next_page_token")
    PETITIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    petitions: _containers.RepeatedCompositeFieldContainer[Petition]
    next_page_token: str
    def __init__(self, petitions: _Optional[_Iterable[_Union[Petition, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetPetitionHistoryRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetPetitionHistoryResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[HistoryEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[HistoryEntry, _Mapping]]] = ...) -> None: ...

class GetReporterContactsRequest(_message.Message):
    __slots__ = ("petition_id",)
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    def __init__(self, petition_id: _Optional[str] = ...) -> None: ...

class ReporterContact(_message.Message):
    __slots__ = ("reporter_id", "display_name", "email", "phone", "language", "via_duplicate")
    REPORTER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    VIA_DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    reporter_id: str
    display_name: str
    email: str
    phone: str
    language: str
    via_duplicate: bool
    def __init__(self, reporter_id: _Optional[str] = ..., display_name: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., language: _Optional[str] = ..., via_duplicate: _Optional[bool] = ...) -> None: ...

class GetReporterContactsResponse(_message.Message):
    __slots__ = ("contacts",)
    CONTACTS_FIELD_NUMBER: _ClassVar[int]
    contacts: _containers.RepeatedCompositeFieldContainer[ReporterContact]
    def __init__(self, contacts: _Optional[_Iterable[_Union[ReporterContact, _Mapping]]] = ...) -> None: ...
