"""Keyset (cursor) pagination: constant cost per page whatever the table size.

A sort is a tuple of :class:`SortKey`; the cursor encodes the last row's key values. Rows are
compared lexicographically with NULLs last in both directions, matching the ORDER BY.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet

from storedesk.core.errors import ValidationError


@dataclasses.dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool = False
    kind: str = "int"  # "int" or "datetime": how the cursor value is decoded
    # Only nullable keys get NULLS LAST and IS NULL terms: on the others they would stop
    # PostgreSQL from walking an index in order.
    nullable: bool = False


def order_by(keys: tuple[SortKey, ...]) -> list:
    nulls = {True: {"nulls_last": True}, False: {}}
    return [
        F(key.field).desc(**nulls[key.nullable])
        if key.descending
        else F(key.field).asc(**nulls[key.nullable])
        for key in keys
    ]


def _encode_value(value: Any):
    return value.isoformat() if isinstance(value, datetime) else value


def _decode_value(key: SortKey, raw: Any):
    if raw is None:
        return None
    if key.kind == "datetime":
        if not isinstance(raw, str):
            raise ValueError
        value = datetime.fromisoformat(raw)
        # Real keys lie well inside this range; the extremes overflow on time-zone conversion.
        if value.tzinfo is None or not 1900 <= value.year <= 3000:
            raise ValueError
        return value
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise ValueError
    return raw


def encode_cursor(keys: tuple[SortKey, ...], row) -> str:
    values = [_encode_value(getattr(row, key.field)) for key in keys]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(keys: tuple[SortKey, ...], cursor: str) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(raw, list) or len(raw) != len(keys):
            raise ValueError
        return [_decode_value(key, value) for key, value in zip(keys, raw, strict=True)]
    except (ValueError, TypeError, UnicodeDecodeError):
        raise ValidationError("Invalid cursor.", field="cursor") from None


def _after(key: SortKey, value) -> Q | None:
    """Rows strictly after ``value`` on one key (NULLs last); None if nothing can follow."""
    if value is None:
        return None
    lookup = "lt" if key.descending else "gt"
    after = Q(**{f"{key.field}__{lookup}": value})
    return after | Q(**{f"{key.field}__isnull": True}) if key.nullable else after


def _equal(key: SortKey, value) -> Q:
    if value is None:
        return Q(**{f"{key.field}__isnull": True})
    return Q(**{key.field: value})


def after_cursor(queryset: QuerySet, keys: tuple[SortKey, ...], cursor: str) -> QuerySet:
    values = decode_cursor(keys, cursor)
    condition = Q(pk__in=[])
    prefix = Q()
    for key, value in zip(keys, values, strict=True):
        step = _after(key, value)
        if step is not None:
            condition |= prefix & step
        prefix &= _equal(key, value)
    return queryset.filter(condition)


def paginate(
    queryset: QuerySet, keys: tuple[SortKey, ...], *, cursor: str | None, limit: int
) -> tuple[list, str | None]:
    """One page of ``queryset`` sorted by ``keys`` and the cursor of the next page (or None).
    The last key must be unique (e.g. ``id``) so the order is total."""
    if cursor:
        queryset = after_cursor(queryset, keys, cursor)
    rows = list(queryset.order_by(*order_by(keys))[: limit + 1])
    next_cursor = encode_cursor(keys, rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor
