"""Counting what a store-day's new conversations were about into ``IssueDailyRollup`` rows:
their topics, intents and tags, and the repeat contacts among them.

``services.rollups_refresh`` writes these beside the other rollups of a store-day; topics
change apart from the facts (clustering every few hours, new conversations joining a
topic), so the refresh rewrites only these rows of the days whose topic links changed
with :func:`issue_rollups_refresh`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable

from storedesk.analytics.models import ConversationFact, IssueDailyRollup, IssueKind
from storedesk.analytics.writes import db_day, replace_day_rows

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
    columns, rows)`` for ``writes.replace_day_rows``."""
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


def day_tags(store_id: int, day: dt.date) -> dict[int, list[int]]:
    """The tag ids of each conversation started on the store-day."""
    from storedesk.conversations.models import Conversation

    tags: dict[int, list[int]] = defaultdict(list)
    for conversation_id, tag_id in Conversation.tags.through.objects.filter(
        conversation__fact__store_id=store_id, conversation__fact__created_day=day
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
