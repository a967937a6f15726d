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

class PetitionPublication(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PETITION_PUBLICATION_UNSPECIFIED: _ClassVar[PetitionPublication]
    PETITION_PUBLICATION_PRIVATE: _ClassVar[PetitionPublication]
    PETITION_PUBLICATION_REPORTER: _ClassVar[PetitionPublication]
    PETITION_PUBLICATION_STAFF_APPROVED: _ClassVar[PetitionPublication]
    PETITION_PUBLICATION_STAFF_WITHHELD: _ClassVar[PetitionPublication]

class CategoryOrigin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CATEGORY_ORIGIN_UNSPECIFIED: _ClassVar[CategoryOrigin]
    CATEGORY_ORIGIN_GIVEN: _ClassVar[CategoryOrigin]
    CATEGORY_ORIGIN_CLASSIFIED: _ClassVar[CategoryOrigin]
    CATEGORY_ORIGIN_TRIAGE: _ClassVar[CategoryOrigin]

class Light(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIGHT_UNSPECIFIED: _ClassVar[Light]
    LIGHT_GREEN: _ClassVar[Light]
    LIGHT_YELLOW: _ClassVar[Light]
    LIGHT_RED: _ClassVar[Light]

class HistoryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HISTORY_KIND_UNSPECIFIED: _ClassVar[HistoryKind]
    HISTORY_KIND_STATUS: _ClassVar[HistoryKind]
    HISTORY_KIND_NOTE: _ClassVar[HistoryKind]

class PetitionSort(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PETITION_SORT_UNSPECIFIED: _ClassVar[PetitionSort]
    PETITION_SORT_NEWEST: _ClassVar[PetitionSort]
    PETITION_SORT_OLDEST: _ClassVar[PetitionSort]
    PETITION_SORT_DEADLINE: _ClassVar[PetitionSort]

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
    PETITION_SOURCE_VISIT: _ClassVar[PetitionSource]
PETITION_PUBLICATION_UNSPECIFIED: PetitionPublication
PETITION_PUBLICATION_PRIVATE: PetitionPublication
PETITION_PUBLICATION_REPORTER: PetitionPublication
PETITION_PUBLICATION_STAFF_APPROVED: PetitionPublication
PETITION_PUBLICATION_STAFF_WITHHELD: PetitionPublication
CATEGORY_ORIGIN_UNSPECIFIED: CategoryOrigin
CATEGORY_ORIGIN_GIVEN: CategoryOrigin
CATEGORY_ORIGIN_CLASSIFIED: CategoryOrigin
CATEGORY_ORIGIN_TRIAGE: CategoryOrigin
LIGHT_UNSPECIFIED: Light
LIGHT_GREEN: Light
LIGHT_YELLOW: Light
LIGHT_RED: Light
HISTORY_KIND_UNSPECIFIED: HistoryKind
HISTORY_KIND_STATUS: HistoryKind
HISTORY_KIND_NOTE: HistoryKind
PETITION_SORT_UNSPECIFIED: PetitionSort
PETITION_SORT_NEWEST: PetitionSort
PETITION_SORT_OLDEST: PetitionSort
PETITION_SORT_DEADLINE: PetitionSort
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
PETITION_SOURCE_VISIT: PetitionSource

class PetitionCategory(_message.Message):
    __slots__ = ("code", "name_zh", "name_en", "top_level_code", "origin", "confidence")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_ZH_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    TOP_LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    code: str
    name_zh: str
    name_en: str
    top_level_code: str
    origin: CategoryOrigin
    confidence: float
    def __init__(self, code: _Optional[str] = ..., name_zh: _Optional[str] = ..., name_en: _Optional[str] = ..., top_level_code: _Optional[str] = ..., origin: _Optional[_Union[CategoryOrigin, str]] = ..., confidence: _Optional[float] = ...) -> None: ...

class PetitionContact(_message.Message):
    __slots__ = ("name", "phone", "email", "address", "masked")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    MASKED_FIELD_NUMBER: _ClassVar[int]
    name: str
    phone: str
    email: str
    address: str
    masked: bool
    def __init__(self, name: _Optional[str] = ..., phone: _Optional[str] = ..., email: _Optional[str] = ..., address: _Optional[str] = ..., masked: _Optional[bool] = ...) -> None: ...

class PetitionPhoto(_message.Message):
    __slots__ = ("seq", "media_type", "size", "stage", "digest")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    seq: int
    media_type: str
    size: int
    stage: str
    digest: str
    def __init__(self, seq: _Optional[int] = ..., media_type: _Optional[str] = ..., size: _Optional[int] = ..., stage: _Optional[str] = ..., digest: _Optional[str] = ...) -> None: ...

class Petition(_message.Message):
    __slots__ = ("id", "status", "title", "description", "category", "location", "grid", "assignee_id", "deadline", "created_at", "updated_at", "reject_reason", "source", "category_choice", "in_triage", "triage_reason", "department_code", "verify_deadline", "handling_deadline", "duplicate_of", "light", "reporter_contact", "photos", "possible_duplicate_ids", "resolution_note", "reporter_id", "paused", "paused_at", "publication", "visit_id")
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
    CATEGORY_CHOICE_FIELD_NUMBER: _ClassVar[int]
    IN_TRIAGE_FIELD_NUMBER: _ClassVar[int]
    TRIAGE_REASON_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    VERIFY_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    HANDLING_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_OF_FIELD_NUMBER: _ClassVar[int]
    LIGHT_FIELD_NUMBER: _ClassVar[int]
    REPORTER_CONTACT_FIELD_NUMBER: _ClassVar[int]
    PHOTOS_FIELD_NUMBER: _ClassVar[int]
    POSSIBLE_DUPLICATE_IDS_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_NOTE_FIELD_NUMBER: _ClassVar[int]
    REPORTER_ID_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    PAUSED_AT_FIELD_NUMBER: _ClassVar[int]
    PUBLICATION_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
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
    category_choice: PetitionCategory
    in_triage: bool
    triage_reason: str
    department_code: str
    verify_deadline: _timestamp_pb2.Timestamp
    handling_deadline: _timestamp_pb2.Timestamp
    duplicate_of: str
    light: Light
    reporter_contact: PetitionContact
    photos: _containers.RepeatedCompositeFieldContainer[PetitionPhoto]
    possible_duplicate_ids: _containers.RepeatedScalarFieldContainer[str]
    resolution_note: str
    reporter_id: str
    paused: bool
    paused_at: _timestamp_pb2.Timestamp
    publication: PetitionPublication
    visit_id: str
    def __init__(self, id: _Optional[str] = ..., status: _Optional[_Union[PetitionStatus, str]] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., category: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., grid: _Optional[_Union[_common_pb2.GridRef, _Mapping]] = ..., assignee_id: _Optional[str] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reject_reason: _Optional[str] = ..., source: _Optional[_Union[PetitionSource, str]] = ..., category_choice: _Optional[_Union[PetitionCategory, _Mapping]] = ..., in_triage: _Optional[bool] = ..., triage_reason: _Optional[str] = ..., department_code: _Optional[str] = ..., verify_deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., handling_deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duplicate_of: _Optional[str] = ..., light: _Optional[_Union[Light, str]] = ..., reporter_contact: _Optional[_Union[PetitionContact, _Mapping]] = ..., photos: _Optional[_Iterable[_Union[PetitionPhoto, _Mapping]]] = ..., possible_duplicate_ids: _Optional[_Iterable[str]] = ..., resolution_note: _Optional[str] = ..., reporter_id: _Optional[str] = ..., paused: _Optional[bool] = ..., paused_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., publication: _Optional[_Union[PetitionPublication, str]] = ..., visit_id: _Optional[str] = ...) -> None: ...

class HistoryEntry(_message.Message):
    __slots__ = ("from_status", "to_status", "actor_id", "actor_role", "note", "at", "kind")
    FROM_STATUS_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ROLE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    from_status: PetitionStatus
    to_status: PetitionStatus
    actor_id: str
    actor_role: str
    note: str
    at: _timestamp_pb2.Timestamp
    kind: HistoryKind
    def __init__(self, from_status: _Optional[_Union[PetitionStatus, str]] = ..., to_status: _Optional[_Union[PetitionStatus, str]] = ..., actor_id: _Optional[str] = ..., actor_role: _Optional[str] = ..., note: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[_Union[HistoryKind, str]] = ...) -> None: ...

class SubmitPetitionRequest(_message.Message):
    __slots__ = ("request_id", "title", "description", "location", "category", "contact", "photos", "make_public")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    PHOTOS_FIELD_NUMBER: _ClassVar[int]
    MAKE_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    title: str
    description: str
    location: _common_pb2.GeoPoint
    category: str
    contact: PetitionContact
    photos: _containers.RepeatedScalarFieldContainer[bytes]
    make_public: bool
    def __init__(self, request_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., category: _Optional[str] = ..., contact: _Optional[_Union[PetitionContact, _Mapping]] = ..., photos: _Optional[_Iterable[bytes]] = ..., make_public: _Optional[bool] = ...) -> None: ...

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
    __slots__ = ("status", "grid_code", "page_size", "page_token", "department_code", "light", "category", "created_from", "created_to", "text", "sort")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    LIGHT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CREATED_FROM_FIELD_NUMBER: _ClassVar[int]
    CREATED_TO_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    status: PetitionStatus
    grid_code: str
    page_size: int
    page_token: str
    department_code: str
    light: Light
    category: str
    created_from: _timestamp_pb2.Timestamp
    created_to: _timestamp_pb2.Timestamp
    text: str
    sort: PetitionSort
    def __init__(self, status: _Optional[_Union[PetitionStatus, str]] = ..., grid_code: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., department_code: _Optional[str] = ..., light: _Optional[_Union[Light, str]] = ..., category: _Optional[str] = ..., created_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., text: _Optional[str] = ..., sort: _Optional[_Union[PetitionSort, str]] = ...) -> None: ...

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

class BatchGetReporterContactsRequest(_message.Message):
    __slots__ = ("petition_ids",)
    PETITION_IDS_FIELD_NUMBER: _ClassVar[int]
    petition_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, petition_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class PetitionReporterContacts(_message.Message):
    __slots__ = ("petition_id", "contacts")
    PETITION_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACTS_FIELD_NUMBER: _ClassVar[int]
    petition_id: str
    contacts: _containers.RepeatedCompositeFieldContainer[ReporterContact]
    def __init__(self, petition_id: _Optional[str] = ..., contacts: _Optional[_Iterable[_Union[ReporterContact, _Mapping]]] = ...) -> None: ...

class BatchGetReporterContactsResponse(_message.Message):
    __slots__ = ("petitions",)
    PETITIONS_FIELD_NUMBER: _ClassVar[int]
    petitions: _containers.RepeatedCompositeFieldContainer[PetitionReporterContacts]
    def __init__(self, petitions: _Optional[_Iterable[_Union[PetitionReporterContacts, _Mapping]]] = ...) -> None: ...

class VerifyPetitionRequest(_message.Message):
    __slots__ = ("request_id", "id", "category", "deadline", "note")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    id: str
    category: str
    deadline: _timestamp_pb2.Timestamp
    note: str
    def __init__(self, request_id: _Optional[str] = ..., id: _Optional[str] = ..., category: _Optional[str] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., note: _Optional[str] = ...) -> None: ...

class VerifyPetitionResponse(_message.Message):
    __slots__ = ("petition",)
    PETITION_FIELD_NUMBER: _ClassVar[int]
    petition: Petition
    def __init__(self, petition: _Optional[_Union[Petition, _Mapping]] = ...) -> None: ...

class RejectPetitionRequest(_message.Message):
    __slots__ = ("request_id", "id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RejectPetitionResponse(_message.Message):
    __slots__ = ("petition",)
    PETITION_FIELD_NUMBER: _ClassVar[int]
    petition: Petition
    def __init__(self, petition: _Optional[_Union[Petition, _Mapping]] = ...) -> None: ...

class MergePetitionRequest(_message.Message):
    __slots__ = ("request_id", "id", "survivor_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    SURVIVOR_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    id: str
    survivor_id: str
    def __init__(self, request_id: _Optional[str] = ..., id: _Optional[str] = ..., survivor_id: _Optional[str] = ...) -> None: ...

class MergePetitionResponse(_message.Message):
    __slots__ = ("petition",)
    PETITION_FIELD_NUMBER: _ClassVar[int]
    petition: Petition
    def __init__(self, petition: _Optional[_Union[Petition, _Mapping]] = ...) -> None: ...

class ResolvePetitionRequest(_message.Message):
    __slots__ = ("request_id", "id", "note", "photos")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    PHOTOS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    id: str
    note: str
    photos: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, request_id: _Optional[str] = ..., id: _Optional[str] = ..., note: _Optional[str] = ..., photos: _Optional[_Iterable[bytes]] = ...) -> None: ...

class ResolvePetitionResponse(_message.Message):
    __slots__ = ("petition",)
    PETITION_FIELD_NUMBER: _ClassVar[int]
    petition: Petition
    def __init__(self, petition: _Optional[_Union[Petition, _Mapping]] = ...) -> None: ...

class ReopenPetitionRequest(_message.Message):
    __slots__ = ("request_id", "id", "note")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    id: str
    note: str
    def __init__(self, request_id: _Optional[str] = ..., id: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class ReopenPetitionResponse(_message.Message):
    __slots__ = ("petition",)
    PETITION_FIELD_NUMBER: _ClassVar[int]
    petition: Petition
    def __init__(self, petition: _Optional[_Union[Petition, _Mapping]] = ...) -> None: ...

class AddPetitionNoteRequest(_message.Message):
    __slots__ = ("request_id", "id", "note")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    id: str
    note: str
    def __init__(self, request_id: _Optional[str] = ..., id: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class AddPetitionNoteResponse(_message.Message):
    __slots__ = ("petition",)
    PETITION_FIELD_NUMBER: _ClassVar[int]
    petition: Petition
    def __init__(self, petition: _Optional[_Union[Petition, _Mapping]] = ...) -> None: ...

class GetPetitionPhotoRequest(_message.Message):
    __slots__ = ("id", "seq")
    ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    id: str
    seq: int
    def __init__(self, id: _Optional[str] = ..., seq: _Optional[int] = ...) -> None: ...

class GetPetitionPhotoResponse(_message.Message):
    __slots__ = ("photo", "content")
    PHOTO_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    photo: PetitionPhoto
    content: bytes
    def __init__(self, photo: _Optional[_Union[PetitionPhoto, _Mapping]] = ..., content: _Optional[bytes] = ...) -> None: ...

class WatchPetitionsRequest(_message.Message):
    __slots__ = ("status", "grid_code", "department_code", "category", "text", "cursor")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    status: PetitionStatus
    grid_code: str
    department_code: str
    category: str
    text: str
    cursor: str
    def __init__(self, status: _Optional[_Union[PetitionStatus, str]] = ..., grid_code: _Optional[str] = ..., department_code: _Optional[str] = ..., category: _Optional[str] = ..., text: _Optional[str] = ..., cursor: _Optional[str] = ...) -> None: ...

class WatchPetitionsResponse(_message.Message):
    __slots__ = ("cursor", "petition", "entry")
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    PETITION_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    petition: Petition
    entry: HistoryEntry
    def __init__(self, cursor: _Optional[str] = ..., petition: _Optional[_Union[Petition, _Mapping]] = ..., entry: _Optional[_Union[HistoryEntry, _Mapping]] = ...) -> None: ...

class AnonymiseResidentRequest(_message.Message):
    __slots__ = ("request_id", "resident_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    resident_id: str
    def __init__(self, request_id: _Optional[str] = ..., resident_id: _Optional[str] = ...) -> None: ...

class AnonymiseResidentResponse(_message.Message):
    __slots__ = ("contacts_erased",)
    CONTACTS_ERASED_FIELD_NUMBER: _ClassVar[int]
    contacts_erased: int
    def __init__(self, contacts_erased: _Optional[int] = ...) -> None: ...

class SetPetitionPublicationRequest(_message.Message):
    __slots__ = ("request_id", "id", "publish", "note")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    id: str
    publish: bool
    note: str
    def __init__(self, request_id: _Optional[str] = ..., id: _Optional[str] = ..., publish: _Optional[bool] = ..., note: _Optional[str] = ...) -> None: ...

class SetPetitionPublicationResponse(_message.Message):
    __slots__ = ("petition",)
    PETITION_FIELD_NUMBER: _ClassVar[int]
    petition: Petition
    def __init__(self, petition: _Optional[_Union[Petition, _Mapping]] = ...) -> None: ...
