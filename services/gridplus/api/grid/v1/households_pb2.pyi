import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CareGroup(_message.Message):
    __slots__ = ("code", "name_zh", "name_en", "visit_interval_days")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_ZH_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    VISIT_INTERVAL_DAYS_FIELD_NUMBER: _ClassVar[int]
    code: str
    name_zh: str
    name_en: str
    visit_interval_days: int
    def __init__(self, code: _Optional[str] = ..., name_zh: _Optional[str] = ..., name_en: _Optional[str] = ..., visit_interval_days: _Optional[int] = ...) -> None: ...

class HouseholdMember(_message.Message):
    __slots__ = ("member_id", "name", "phone", "id_number", "id_number_tail", "birth_year", "care_groups")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_TAIL_FIELD_NUMBER: _ClassVar[int]
    BIRTH_YEAR_FIELD_NUMBER: _ClassVar[int]
    CARE_GROUPS_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    name: str
    phone: str
    id_number: str
    id_number_tail: str
    birth_year: int
    care_groups: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, member_id: _Optional[str] = ..., name: _Optional[str] = ..., phone: _Optional[str] = ..., id_number: _Optional[str] = ..., id_number_tail: _Optional[str] = ..., birth_year: _Optional[int] = ..., care_groups: _Optional[_Iterable[str]] = ...) -> None: ...

class Household(_message.Message):
    __slots__ = ("household_id", "place_code", "grid_code", "address", "unit", "members", "has_care_members", "masked", "updated_at")
    HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    PLACE_CODE_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    HAS_CARE_MEMBERS_FIELD_NUMBER: _ClassVar[int]
    MASKED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    household_id: str
    place_code: str
    grid_code: str
    address: str
    unit: str
    members: _containers.RepeatedCompositeFieldContainer[HouseholdMember]
    has_care_members: bool
    masked: bool
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, household_id: _Optional[str] = ..., place_code: _Optional[str] = ..., grid_code: _Optional[str] = ..., address: _Optional[str] = ..., unit: _Optional[str] = ..., members: _Optional[_Iterable[_Union[HouseholdMember, _Mapping]]] = ..., has_care_members: _Optional[bool] = ..., masked: _Optional[bool] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RegisterHouseholdRequest(_message.Message):
    __slots__ = ("request_id", "household")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    household: Household
    def __init__(self, request_id: _Optional[str] = ..., household: _Optional[_Union[Household, _Mapping]] = ...) -> None: ...

class RegisterHouseholdResponse(_message.Message):
    __slots__ = ("household",)
    HOUSEHOLD_FIELD_NUMBER: _ClassVar[int]
    household: Household
    def __init__(self, household: _Optional[_Union[Household, _Mapping]] = ...) -> None: ...

class UpdateHouseholdRequest(_message.Message):
    __slots__ = ("request_id", "household")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    household: Household
    def __init__(self, request_id: _Optional[str] = ..., household: _Optional[_Union[Household, _Mapping]] = ...) -> None: ...

class UpdateHouseholdResponse(_message.Message):
    __slots__ = ("household",)
    HOUSEHOLD_FIELD_NUMBER: _ClassVar[int]
    household: Household
    def __init__(self, household: _Optional[_Union[Household, _Mapping]] = ...) -> None: ...

class RemoveHouseholdRequest(_message.Message):
    __slots__ = ("request_id", "household_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    household_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., household_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RemoveHouseholdResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetHouseholdRequest(_message.Message):
    __slots__ = ("household_id", "reason")
    HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    household_id: str
    reason: str
    def __init__(self, household_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class GetHouseholdResponse(_message.Message):
    __slots__ = ("household",)
    HOUSEHOLD_FIELD_NUMBER: _ClassVar[int]
    household: Household
    def __init__(self, household: _Optional[_Union[Household, _Mapping]] = ...) -> None: ...

class ListHouseholdsRequest(_message.Message):
    __slots__ = ("grid_code", "place_code", "care_group", "page_size", "page_token")
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    PLACE_CODE_FIELD_NUMBER: _ClassVar[int]
    CARE_GROUP_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    grid_code: str
    place_code: str
    care_group: str
    page_size: int
    page_token: str
    def __init__(self, grid_code: _Optional[str] = ..., place_code: _Optional[str] = ..., care_group: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListHouseholdsResponse(_message.Message):
    __slots__ = ("households", "next_page_token")
    HOUSEHOLDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    households: _containers.RepeatedCompositeFieldContainer[Household]
    next_page_token: str
    def __init__(self, households: _Optional[_Iterable[_Union[Household, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListCareGroupsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListCareGroupsResponse(_message.Message):
    __slots__ = ("care_groups",)
    CARE_GROUPS_FIELD_NUMBER: _ClassVar[int]
    care_groups: _containers.RepeatedCompositeFieldContainer[CareGroup]
    def __init__(self, care_groups: _Optional[_Iterable[_Union[CareGroup, _Mapping]]] = ...) -> None: ...

class CareAccessEntry(_message.Message):
    __slots__ = ("actor_id", "actor_role", "household_id", "grid_code", "reason", "read_at")
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ROLE_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    READ_AT_FIELD_NUMBER: _ClassVar[int]
    actor_id: str
    actor_role: str
    household_id: str
    grid_code: str
    reason: str
    read_at: _timestamp_pb2.Timestamp
    def __init__(self, actor_id: _Optional[str] = ..., actor_role: _Optional[str] = ..., household_id: _Optional[str] = ..., grid_code: _Optional[str] = ..., reason: _Optional[str] = ..., read_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListCareAccessLogRequest(_message.Message):
    __slots__ = ("grid_code", "actor_id", "since", "page_size", "page_token")
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    grid_code: str
    actor_id: str
    since: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, grid_code: _Optional[str] = ..., actor_id: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCareAccessLogResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[CareAccessEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[CareAccessEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
