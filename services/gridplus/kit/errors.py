"""Small named errors the domain raises; one gRPC interceptor and one Flask handler map them.

Each class carries its gRPC status code (by name, so domain code that raises these reaches no
gRPC import) and HTTP status, so no call site chooses codes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


class GridPlusError(Exception):
    grpc_code: str = "UNKNOWN"  # a grpc.StatusCode name
    http_status: int = 500
    title: str = "Internal error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(GridPlusError):
    grpc_code = "INVALID_ARGUMENT"
    http_status = 400
    title = "Invalid argument"

    def __init__(self, violations: list[FieldViolation]) -> None:
        self.violations = violations
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))

    @classmethod
    def single(cls, field: str, description: str) -> InvalidArgument:
        return cls([FieldViolation(field, description)])


class NotFound(GridPlusError):
    grpc_code = "NOT_FOUND"
    http_status = 404
    title = "Not found"


class AlreadyExists(GridPlusError):
    grpc_code = "ALREADY_EXISTS"
    http_status = 409
    title = "Already exists"


class FailedPrecondition(GridPlusError):
    grpc_code = "FAILED_PRECONDITION"
    http_status = 409
    title = "Failed precondition"


class Unauthenticated(GridPlusError):
    grpc_code = "UNAUTHENTICATED"
    http_status = 401
    title = "Unauthenticated"


class PermissionDenied(GridPlusError):
    grpc_code = "PERMISSION_DENIED"
    http_status = 403
    title = "Permission denied"


class TransientError(GridPlusError):
    """A dependency is unavailable for now; retrying later may succeed."""

    grpc_code = "UNAVAILABLE"
    http_status = 503
    title = "Service unavailable"
