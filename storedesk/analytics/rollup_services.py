"""Writing rollup rows: replacing a store-day's rows, and the issue rollups.

A busy store-day has a thousand rollup rows (most of them per tag); building a model
instance for each and letting ``bulk_create`` prepare every value took longer than
counting them, and its multi-row ``INSERT`` statements took the database driver longer to
parse than the database to run. Rows here are tuples in the order of their columns,
streamed with ``COPY`` on PostgreSQL (``executemany`` of one prepared statement elsewhere).

Issue rollups count what a store-day's new conversations were about (``IssueDailyRollup``):
their topics, intents and tags, and the repeat contacts among them.
``services.rollups_refresh`` writes them beside the other rollups of a store-day; topics
change apart from the facts (clustering every few hours, new conversations joining a
topic), so the refresh rewrites only these rows of the days whose topic links changed with
:func:`issue_rollups_refresh`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.db.models import Q

from storedesk.analytics.models import ConversationFact, IssueDailyRollup, IssueKind

# --- Replacing a store-day's rows -----------------------------------------------------------


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


# --- Issue rollups ---------------------------------------------------------------------------

# What the counting reads of each fact started that day (``created_facts``).
CREATED_FIELDS = (
    "conversation_id",
    "inbox_id",
    "channel",
    "language",
    "intent",
    "complaint",
    "negative",
    "conversation__topic_link__topic_id",
    "conversation__repeat_link__reason",
    "conversation__repeat_link__seconds_after",
)


def repeat_days(seconds_after: int) -> int:
    """Whole days (rounded up) from the earlier resolution: a repeat falls within a window
    of ``n`` days exactly when ``repeat_days(seconds) <= n``."""
    return math.ceil(seconds_after / 86400)


def created_facts(store_id: int, day: dt.date):
    """The facts of the conversations started on the store-day, with their topic and
    repeat links, as dicts of ``CREATED_FIELDS`` (one query)."""
    return ConversationFact.objects.filter(store_id=store_id, created_day=day).values(
        *CREATED_FIELDS
    )


COLUMNS = (
    "store",
    "day",
    "inbox",
    "channel",
    "language",
    "tag",
    "kind",
    "key",
    "repeat_days",
    "conversations",
    "complaints",
    "negative",
)


def issue_rows(
    store_id: int, day: dt.date, facts: Iterable[dict], tags: dict[int, list[int]]
) -> tuple:
    """The store-day's issue rollup rows from its started conversations' ``facts`` (dicts
    with ``CREATED_FIELDS``) and ``tags`` (tag ids per conversation id), as ``(model,
    columns, rows)`` for ``replace_day_rows``."""
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(side: tuple, kind: str, key, days: int, f: dict) -> None:
        row = counts[(*side, kind, str(key), days)]
        row[0] += 1
        row[1] += f["complaint"]
        row[2] += f["negative"]

    for f in facts:
        tag_ids = tags.get(f["conversation_id"], ())
        topic_id = f["conversation__topic_link__topic_id"]
        reason = f["conversation__repeat_link__reason"]
        # Counted once untagged (every conversation) and once under each of its tags.
        for tag in (None, *tag_ids):
            side = (f["inbox_id"], f["channel"], f["language"], tag)
            if topic_id is not None:
                add(side, IssueKind.TOPIC, topic_id, 0, f)
            if f["intent"]:
                add(side, IssueKind.INTENT, f["intent"], 0, f)
            for tag_id in tag_ids:
                add(side, IssueKind.TAG, tag_id, 0, f)
            if reason:
                days = repeat_days(f["conversation__repeat_link__seconds_after"])
                add(side, IssueKind.REPEAT, reason, days, f)
    on = db_day(day)
    rows = [
        (store_id, on, inbox_id, channel, language, tag, kind, key[:60], days, *shares)
        for (inbox_id, channel, language, tag, kind, key, days), shares in counts.items()
    ]
    return IssueDailyRollup, COLUMNS, rows


def day_tags(store_id: int, day: dt.date, *, counted: bool = False) -> dict[int, list[int]]:
    """The tag ids of each conversation started on the store-day (``counted``: also those
    first answered or resolved that day, which its daily rollups count)."""
    from storedesk.conversations.models import Conversation

    on_day = Q(created_day=day)
    if counted:
        on_day |= Q(first_response_day=day) | Q(resolved_day=day)
    facts = ConversationFact.objects.filter(on_day, store_id=store_id).values("conversation_id")
    tags: dict[int, list[int]] = defaultdict(list)
    for conversation_id, tag_id in Conversation.tags.through.objects.filter(
        conversation_id__in=facts
    ).values_list("conversation_id", "tag_id"):
        tags[conversation_id].append(tag_id)
    return tags


def issue_rollups_refresh(*, days: Iterable[tuple[int, dt.date]]) -> int:
    """Rewrite the issue rollup rows (only those) of these ``(store id, local day)`` pairs,
    each in its own transaction. Returns how many store-days."""
    pairs = sorted(set(days))
    for store_id, day in pairs:
        rows = issue_rows(store_id, day, created_facts(store_id, day), day_tags(store_id, day))
        replace_day_rows(store_id, day, [rows])
    return len(pairs)


def topic_days(store_id: int, conversation_ids: Iterable[int] | None = None) -> set:
    """The ``(store id, local day)`` pairs of the store's conversations that have a topic
    (or of ``conversation_ids`` only): the days whose issue rows count topics."""
    facts = ConversationFact.objects.filter(store_id=store_id)
    if conversation_ids is None:
        facts = facts.filter(conversation__topic_link__isnull=False)
    else:
        facts = facts.filter(conversation_id__in=list(conversation_ids))
    return {(store_id, day) for day in facts.values_list("created_day", flat=True).distinct()}
