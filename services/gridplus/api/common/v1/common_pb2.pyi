from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class GeoPoint(_message.Message):
    __slots__ = ("lat", "lon")
    LAT_FIELD_NUMBER: _ClassVar[int]
    LON_FIELD_NUMBER: _ClassVar[int]
    lat: float
    lon: float
    def __init__(self, lat: _Optional[float] = ..., lon: _Optional[float] = ...) -> None: ...

class GridRef(_message.Message):
    __slots__ = ("code", "level", "path", "grid_set_version")
    CODE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    GRID_SET_VERSION_FIELD_NUMBER: _ClassVar[int]
    code: str
    level: int
    path: _containers.RepeatedScalarFieldContainer[str]
    grid_set_version: int
    def __init__(self, code: _Optional[str] = ..., level: _Optional[int] = ..., path: _Optional[_Iterable[str]] = ..., grid_set_version: _Optional[int] = ...) -> None: ...
