from gridplus.api.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MemberRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEMBER_ROLE_UNSPECIFIED: _ClassVar[MemberRole]
    MEMBER_ROLE_GRID_WORKER: _ClassVar[MemberRole]
    MEMBER_ROLE_GRID_CHIEF: _ClassVar[MemberRole]
    MEMBER_ROLE_BUILDING_CHIEF: _ClassVar[MemberRole]
    MEMBER_ROLE_UNIT_CHIEF: _ClassVar[MemberRole]
    MEMBER_ROLE_STREET_CHIEF: _ClassVar[MemberRole]
    MEMBER_ROLE_LANE_CHIEF: _ClassVar[MemberRole]
    MEMBER_ROLE_DEPARTMENT_STAFF: _ClassVar[MemberRole]
    MEMBER_ROLE_DEPARTMENT_HEAD: _ClassVar[MemberRole]
    MEMBER_ROLE_INSPECTOR: _ClassVar[MemberRole]
    MEMBER_ROLE_VOLUNTEER: _ClassVar[MemberRole]

class PlaceKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PLACE_KIND_UNSPECIFIED: _ClassVar[PlaceKind]
    PLACE_KIND_BUILDING: _ClassVar[PlaceKind]
    PLACE_KIND_UNIT: _ClassVar[PlaceKind]

class CategoryPriority(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CATEGORY_PRIORITY_UNSPECIFIED: _ClassVar[CategoryPriority]
    CATEGORY_PRIORITY_LOW: _ClassVar[CategoryPriority]
    CATEGORY_PRIORITY_NORMAL: _ClassVar[CategoryPriority]
    CATEGORY_PRIORITY_HIGH: _ClassVar[CategoryPriority]
    CATEGORY_PRIORITY_URGENT: _ClassVar[CategoryPriority]
MEMBER_ROLE_UNSPECIFIED: MemberRole
MEMBER_ROLE_GRID_WORKER: MemberRole
MEMBER_ROLE_GRID_CHIEF: MemberRole
MEMBER_ROLE_BUILDING_CHIEF: MemberRole
MEMBER_ROLE_UNIT_CHIEF: MemberRole
MEMBER_ROLE_STREET_CHIEF: MemberRole
MEMBER_ROLE_LANE_CHIEF: MemberRole
MEMBER_ROLE_DEPARTMENT_STAFF: MemberRole
MEMBER_ROLE_DEPARTMENT_HEAD: MemberRole
MEMBER_ROLE_INSPECTOR: MemberRole
MEMBER_ROLE_VOLUNTEER: MemberRole
PLACE_KIND_UNSPECIFIED: PlaceKind
PLACE_KIND_BUILDING: PlaceKind
PLACE_KIND_UNIT: PlaceKind
CATEGORY_PRIORITY_UNSPECIFIED: CategoryPriority
CATEGORY_PRIORITY_LOW: CategoryPriority
CATEGORY_PRIORITY_NORMAL: CategoryPriority
CATEGORY_PRIORITY_HIGH: CategoryPriority
CATEGORY_PRIORITY_URGENT: CategoryPriority

class Grid(_message.Message):
    __slots__ = ("code", "name", "level", "parent_code", "path", "grid_set_version")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    PARENT_CODE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    GRID_SET_VERSION_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    level: int
    parent_code: str
    path: _containers.RepeatedScalarFieldContainer[str]
    grid_set_version: int
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., level: _Optional[int] = ..., parent_code: _Optional[str] = ..., path: _Optional[_Iterable[str]] = ..., grid_set_version: _Optional[int] = ...) -> None: ...

class Member(_message.Message):
    __slots__ = ("person_id", "display_name", "role", "grid_code", "email", "phone", "language", "department_code", "place_code")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    PLACE_CODE_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    display_name: str
    role: MemberRole
    grid_code: str
    email: str
    phone: str
    language: str
    department_code: str
    place_code: str
    def __init__(self, person_id: _Optional[str] = ..., display_name: _Optional[str] = ..., role: _Optional[_Union[MemberRole, str]] = ..., grid_code: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., language: _Optional[str] = ..., department_code: _Optional[str] = ..., place_code: _Optional[str] = ...) -> None: ...

class Place(_message.Message):
    __slots__ = ("code", "name", "kind", "grid_code", "parent_code")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    PARENT_CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    kind: PlaceKind
    grid_code: str
    parent_code: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[PlaceKind, str]] = ..., grid_code: _Optional[str] = ..., parent_code: _Optional[str] = ...) -> None: ...

class LocateGridRequest(_message.Message):
    __slots__ = ("lat", "lon", "tolerance_meters")
    LAT_FIELD_NUMBER: _ClassVar[int]
    LON_FIELD_NUMBER: _ClassVar[int]
    TOLERANCE_METERS_FIELD_NUMBER: _ClassVar[int]
    lat: float
    lon: float
    tolerance_meters: float
    def __init__(self, lat: _Optional[float] = ..., lon: _Optional[float] = ..., tolerance_meters: _Optional[float] = ...) -> None: ...

class LocateGridResponse(_message.Message):
    __slots__ = ("grid", "ancestors", "snapped", "snap_distance_meters")
    GRID_FIELD_NUMBER: _ClassVar[int]
    ANCESTORS_FIELD_NUMBER: _ClassVar[int]
    SNAPPED_FIELD_NUMBER: _ClassVar[int]
    SNAP_DISTANCE_METERS_FIELD_NUMBER: _ClassVar[int]
    grid: _common_pb2.GridRef
    ancestors: _containers.RepeatedCompositeFieldContainer[Grid]
    snapped: bool
    snap_distance_meters: float
    def __init__(self, grid: _Optional[_Union[_common_pb2.GridRef, _Mapping]] = ..., ancestors: _Optional[_Iterable[_Union[Grid, _Mapping]]] = ..., snapped: _Optional[bool] = ..., snap_distance_meters: _Optional[float] = ...) -> None: ...

class GetGridRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class GetGridResponse(_message.Message):
    __slots__ = ("grid",)
    GRID_FIELD_NUMBER: _ClassVar[int]
    grid: Grid
    def __init__(self, grid: _Optional[_Union[Grid, _Mapping]] = ...) -> None: ...

class ListGridsRequest(_message.Message):
    __slots__ = ("parent_code", "level", "page_size", "page_token")
    PARENT_CODE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent_code: str
    level: int
    page_size: int
    page_token: str
    def __init__(self, parent_code: _Optional[str] = ..., level: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListGridsResponse(_message.Message):
    __slots__ = ("grids", "next_page_token")
    GRIDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    grids: _containers.RepeatedCompositeFieldContainer[Grid]
    next_page_token: str
    def __init__(self, grids: _Optional[_Iterable[_Union[Grid, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListMembersRequest(_message.Message):
    __slots__ = ("grid_code", "role")
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    grid_code: str
    role: MemberRole
    def __init__(self, grid_code: _Optional[str] = ..., role: _Optional[_Union[MemberRole, str]] = ...) -> None: ...

class ListMembersResponse(_message.Message):
    __slots__ = ("members",)
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[Member]
    def __init__(self, members: _Optional[_Iterable[_Union[Member, _Mapping]]] = ...) -> None: ...

class Category(_message.Message):
    __slots__ = ("code", "name_zh", "name_en", "top_level_code", "parent_code", "priority", "verify_sla_minutes", "handle_sla_minutes", "business_calendar")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_ZH_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    TOP_LEVEL_CODE_FIELD_NUMBER: _ClassVar[int]
    PARENT_CODE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    VERIFY_SLA_MINUTES_FIELD_NUMBER: _ClassVar[int]
    HANDLE_SLA_MINUTES_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_CALENDAR_FIELD_NUMBER: _ClassVar[int]
    code: str
    name_zh: str
    name_en: str
    top_level_code: str
    parent_code: str
    priority: CategoryPriority
    verify_sla_minutes: int
    handle_sla_minutes: int
    business_calendar: bool
    def __init__(self, code: _Optional[str] = ..., name_zh: _Optional[str] = ..., name_en: _Optional[str] = ..., top_level_code: _Optional[str] = ..., parent_code: _Optional[str] = ..., priority: _Optional[_Union[CategoryPriority, str]] = ..., verify_sla_minutes: _Optional[int] = ..., handle_sla_minutes: _Optional[int] = ..., business_calendar: _Optional[bool] = ...) -> None: ...

class Department(_message.Message):
    __slots__ = ("code", "name_zh", "name_en", "head_person_id")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_ZH_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    HEAD_PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    code: str
    name_zh: str
    name_en: str
    head_person_id: str
    def __init__(self, code: _Optional[str] = ..., name_zh: _Optional[str] = ..., name_en: _Optional[str] = ..., head_person_id: _Optional[str] = ...) -> None: ...

class ListCategoriesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListCategoriesResponse(_message.Message):
    __slots__ = ("categories",)
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    categories: _containers.RepeatedCompositeFieldContainer[Category]
    def __init__(self, categories: _Optional[_Iterable[_Union[Category, _Mapping]]] = ...) -> None: ...

class GetCategoryRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class GetCategoryResponse(_message.Message):
    __slots__ = ("category",)
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    category: Category
    def __init__(self, category: _Optional[_Union[Category, _Mapping]] = ...) -> None: ...

class ListDepartmentsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListDepartmentsResponse(_message.Message):
    __slots__ = ("departments",)
    DEPARTMENTS_FIELD_NUMBER: _ClassVar[int]
    departments: _containers.RepeatedCompositeFieldContainer[Department]
    def __init__(self, departments: _Optional[_Iterable[_Union[Department, _Mapping]]] = ...) -> None: ...

class ResolveResponsibilityRequest(_message.Message):
    __slots__ = ("category_code", "grid_code")
    CATEGORY_CODE_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    category_code: str
    grid_code: str
    def __init__(self, category_code: _Optional[str] = ..., grid_code: _Optional[str] = ...) -> None: ...

class ResolveResponsibilityResponse(_message.Message):
    __slots__ = ("department", "reason")
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    department: Department
    reason: str
    def __init__(self, department: _Optional[_Union[Department, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class GetChainRequest(_message.Message):
    __slots__ = ("point", "grid_code")
    POINT_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    point: _common_pb2.GeoPoint
    grid_code: str
    def __init__(self, point: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., grid_code: _Optional[str] = ...) -> None: ...

class ChainLevel(_message.Message):
    __slots__ = ("grid", "members", "places")
    GRID_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    PLACES_FIELD_NUMBER: _ClassVar[int]
    grid: Grid
    members: _containers.RepeatedCompositeFieldContainer[Member]
    places: _containers.RepeatedCompositeFieldContainer[Place]
    def __init__(self, grid: _Optional[_Union[Grid, _Mapping]] = ..., members: _Optional[_Iterable[_Union[Member, _Mapping]]] = ..., places: _Optional[_Iterable[_Union[Place, _Mapping]]] = ...) -> None: ...

class LocateGridsRequest(_message.Message):
    __slots__ = ("lats", "lons", "tolerance_meters")
    LATS_FIELD_NUMBER: _ClassVar[int]
    LONS_FIELD_NUMBER: _ClassVar[int]
    TOLERANCE_METERS_FIELD_NUMBER: _ClassVar[int]
    lats: _containers.RepeatedScalarFieldContainer[float]
    lons: _containers.RepeatedScalarFieldContainer[float]
    tolerance_meters: float
    def __init__(self, lats: _Optional[_Iterable[float]] = ..., lons: _Optional[_Iterable[float]] = ..., tolerance_meters: _Optional[float] = ...) -> None: ...

class LocateGridsResponse(_message.Message):
    __slots__ = ("grid_codes", "snapped", "grid_set_version")
    GRID_CODES_FIELD_NUMBER: _ClassVar[int]
    SNAPPED_FIELD_NUMBER: _ClassVar[int]
    GRID_SET_VERSION_FIELD_NUMBER: _ClassVar[int]
    grid_codes: _containers.RepeatedScalarFieldContainer[str]
    snapped: _containers.RepeatedScalarFieldContainer[bool]
    grid_set_version: int
    def __init__(self, grid_codes: _Optional[_Iterable[str]] = ..., snapped: _Optional[_Iterable[bool]] = ..., grid_set_version: _Optional[int] = ...) -> None: ...

class GetChainResponse(_message.Message):
    __slots__ = ("levels",)
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    levels: _containers.RepeatedCompositeFieldContainer[ChainLevel]
    def __init__(self, levels: _Optional[_Iterable[_Union[ChainLevel, _Mapping]]] = ...) -> None: ...

class ListGridBoundariesRequest(_message.Message):
    __slots__ = ("parent_code", "level", "simplify_meters")
    PARENT_CODE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    SIMPLIFY_METERS_FIELD_NUMBER: _ClassVar[int]
    parent_code: str
    level: int
    simplify_meters: float
    def __init__(self, parent_code: _Optional[str] = ..., level: _Optional[int] = ..., simplify_meters: _Optional[float] = ...) -> None: ...

class GridBoundary(_message.Message):
    __slots__ = ("grid", "geojson")
    GRID_FIELD_NUMBER: _ClassVar[int]
    GEOJSON_FIELD_NUMBER: _ClassVar[int]
    grid: Grid
    geojson: str
    def __init__(self, grid: _Optional[_Union[Grid, _Mapping]] = ..., geojson: _Optional[str] = ...) -> None: ...

class ListGridBoundariesResponse(_message.Message):
    __slots__ = ("boundaries", "grid_set_version")
    BOUNDARIES_FIELD_NUMBER: _ClassVar[int]
    GRID_SET_VERSION_FIELD_NUMBER: _ClassVar[int]
    boundaries: _containers.RepeatedCompositeFieldContainer[GridBoundary]
    grid_set_version: int
    def __init__(self, boundaries: _Optional[_Iterable[_Union[GridBoundary, _Mapping]]] = ..., grid_set_version: _Optional[int] = ...) -> None: ...

class MeasureDistanceToGridRequest(_message.Message):
    __slots__ = ("grid_code", "lat", "lon")
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    LAT_FIELD_NUMBER: _ClassVar[int]
    LON_FIELD_NUMBER: _ClassVar[int]
    grid_code: str
    lat: float
    lon: float
    def __init__(self, grid_code: _Optional[str] = ..., lat: _Optional[float] = ..., lon: _Optional[float] = ...) -> None: ...

class MeasureDistanceToGridResponse(_message.Message):
    __slots__ = ("inside", "distance_meters", "grid_set_version")
    INSIDE_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_METERS_FIELD_NUMBER: _ClassVar[int]
    GRID_SET_VERSION_FIELD_NUMBER: _ClassVar[int]
    inside: bool
    distance_meters: float
    grid_set_version: int
    def __init__(self, inside: _Optional[bool] = ..., distance_meters: _Optional[float] = ..., grid_set_version: _Optional[int] = ...) -> None: ...
