"""Schemas and helpers shared by several API routers."""

import contextlib
from collections.abc import Mapping

from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import field_validator, model_validator
from pydantic_core import PydanticCustomError

from storedesk.core.errors import DomainError

# The largest id a database row can have (64-bit keys); larger query values are refused
# instead of reaching the database.
MAX_ID = 2**63 - 1


def id_filter(description: str | None = None):
    """An optional id query parameter, bounded to the ids the database can hold."""
    return Field(None, ge=1, le=MAX_ID, description=description)


def _contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return any(_contains_nul(item) for item in value)
    return False


class InputSchema(Schema):
    """Base of request schemas (bodies and query strings).

    The input must be a JSON object: Ninja's schemas would otherwise read fields off any value
    (an array or ``false`` became an empty update). Text anywhere in the input may not contain
    NUL characters: PostgreSQL cannot store them, so they are refused with a validation error
    naming the field instead of failing later.
    """

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data):
        value = data._obj if isinstance(data, DjangoGetter) else data  # Ninja wraps the input
        if not isinstance(value, Mapping):
            raise PydanticCustomError("object_expected", "Expected a JSON object.")
        return data

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value):
        if _contains_nul(value):
            raise PydanticCustomError(
                "nul_character", "Text may not contain NUL (U+0000) characters."
            )
        return value


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


_LOCATIONS = ("body.", "query.", "path.")


@contextlib.contextmanager
def input_fields(location: str, **renamed: str):
    """Name the ``field`` of domain errors raised in the block as the client sent it.

    Services name their own arguments (``email``); the API answers with the input's location
    (``body.email``), like request validation does. ``renamed`` maps service argument names
    to input names where they differ (``dedicated_agent="dedicated_agent_id"``).
    """
    try:
        yield
    except DomainError as exc:
        if exc.field and not exc.field.startswith(_LOCATIONS):
            head, dot, rest = exc.field.partition(".")
            exc.field = f"{location}.{renamed.get(head, head)}{dot}{rest}"
        raise
