"""Schemas shared by several API routers."""

from ninja import Schema


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorOut(Schema):
    error: ErrorDetail


class Ref(Schema):
    """A compact reference to a related object."""

    id: int
    name: str


ERROR_RESPONSES = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}
