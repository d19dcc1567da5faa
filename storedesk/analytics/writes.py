"""Replacing a store-day's rollup rows, written as plain tuples.

A busy store-day has a thousand rollup rows (most of them per tag); building a model
instance for each and letting ``bulk_create`` prepare every value took longer than
counting them, and its multi-row ``INSERT`` statements took the database driver longer to
parse than the database to run. Rows here are tuples in the order of their columns,
streamed with ``COPY`` on PostgreSQL (``executemany`` of one prepared statement elsewhere).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection, transaction


def _names(model, columns: Sequence[str]) -> tuple[str, str]:
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    return quote(model._meta.db_table), names


def _insert(cursor, model, columns: Sequence[str], rows: list[tuple]) -> None:
    # Only the model's own table and column names are put into the statements.
    table, names = _names(model, columns)
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(columns))
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


def replace_day_rows(store_id: int, day: dt.date, tables: Sequence[tuple]) -> None:
    """In one transaction, delete each model's rows of the store-day and insert the new
    ones: ``tables`` holds ``(model, column names, rows)``, each row a tuple of values in
    the order of the names (fields' names, e.g. "store" or "team_id"), already in the
    database's form (see ``db_day``)."""
    with transaction.atomic(), connection.cursor() as cursor:
        for model, columns, rows in tables:
            model.objects.filter(store_id=store_id, day=day).delete()
            if rows:
                _insert(cursor, model, columns, rows)


def db_day(day: dt.date):
    """A date as the database takes it in a raw statement."""
    return connection.ops.adapt_datefield_value(day)
