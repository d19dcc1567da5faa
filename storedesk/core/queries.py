"""Small query helpers for hot paths."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def unique_row(queryset: QuerySet[M]) -> M | None:
    """The row a look-up on a unique key finds, or ``None``.

    Unlike ``first()`` it does not sort: a unique key finds one row at most, and compiling
    the sort is a noticeable share of a fast request's CPU. Passing a query that can match
    several rows returns an arbitrary one of them.
    """
    return next(iter(queryset.order_by()[:1]), None)
