"""What the conversations started in a period were about, counted per topic, intent, tag
and repeat reason, with how many were complaints and strongly negative.

Added up from ``IssueDailyRollup`` rows; counted from the conversation facts instead when
the filters name a team or an agent (the issue rollups keep only the customer's side:
inbox, channel, language, and tags) or while the rollups are being rebuilt. Both ways give
the same numbers.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import BooleanField, Case, Count, Q, Sum, Value, When

from storedesk.analytics.filters import ReportFilters, dimension_q
from storedesk.analytics.models import IssueDailyRollup, IssueKind
from storedesk.analytics.rollup_services import repeat_days
from storedesk.analytics.selectors import rollups_current, scoped_facts
from storedesk.conversations.models import Conversation, Tag

# (kind, key, repeat days) -> [conversations, complaints, negative]; keys are strings (a
# topic's or a tag's id as text).
IssueCounts = dict[tuple[str, str, int], list[int]]


def from_rollups(filters: ReportFilters) -> bool:
    """Whether the issue rollups answer these filters."""
    if filters.team_id is not None or filters.agent_id is not None:
        return False
    return rollups_current()


def _issue_rows(actor, filters: ReportFilters, start, end):
    """The issue rollup rows of the range within the actor's stores and the filters: the
    rows of the filters' tag (every store's tag of that name), or the untagged ones."""
    rows = IssueDailyRollup.objects.filter(dimension_q(actor, filters), day__range=(start, end))
    if filters.tag:
        return rows.filter(tag_id__in=Tag.objects.filter(name=Tag.normalise(filters.tag)))
    return rows.filter(tag__isnull=True)


def period_issue_counts(actor, filters: ReportFilters) -> tuple[IssueCounts, IssueCounts]:
    """The issue counts of the filters' period and of the previous one."""
    previous = filters.previous()
    if not from_rollups(filters):
        return _fact_counts(actor, filters), _fact_counts(actor, previous)
    in_period = Case(
        When(day__gte=filters.start, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    rows = (
        _issue_rows(actor, filters, previous.start, filters.end)
        .annotate(in_period=in_period)
        .values_list("in_period", "kind", "key", "repeat_days")
        .annotate(n=Sum("conversations"), complaints=Sum("complaints"), negative=Sum("negative"))
    )
    this: IssueCounts = {}
    before: IssueCounts = {}
    for in_this, kind, key, days, n, complaints, negative in rows:
        (this if in_this else before)[(kind, key, days)] = [n, complaints, negative]
    return this, before


_SHARES = {
    "n": Count("conversation_id"),
    "complaints": Count("conversation_id", filter=Q(complaint=True)),
    "negative": Count("conversation_id", filter=Q(negative=True)),
}


def _fact_counts(actor, filters: ReportFilters) -> IssueCounts:
    """Issue counts of the filters' period counted from the facts (four queries)."""
    facts = scoped_facts(actor, filters).filter(created_day__range=(filters.start, filters.end))
    counts: IssueCounts = {}
    for kind, field, in_scope in (
        (IssueKind.TOPIC, "conversation__topic_link__topic_id", ~Q(conversation__topic_link=None)),
        (IssueKind.INTENT, "intent", ~Q(intent="")),
    ):
        for key, n, complaints, negative in (
            facts.filter(in_scope).values_list(field).annotate(**_SHARES).order_by()
        ):
            counts[(kind, str(key), 0)] = [n, complaints, negative]
    for tag_id, n, complaints, negative in (
        Conversation.tags.through.objects.filter(
            conversation_id__in=facts.values("conversation_id")
        )
        .values_list("tag_id")
        .annotate(
            n=Count("conversation_id"),
            complaints=Count("conversation_id", filter=Q(conversation__fact__complaint=True)),
            negative=Count("conversation_id", filter=Q(conversation__fact__negative=True)),
        )
        .order_by()
    ):
        counts[(IssueKind.TAG, str(tag_id), 0)] = [n, complaints, negative]
    repeats: IssueCounts = defaultdict(lambda: [0, 0, 0])
    for reason, seconds, complaint, negative in facts.filter(
        conversation__repeat_link__isnull=False
    ).values_list(
        "conversation__repeat_link__reason",
        "conversation__repeat_link__seconds_after",
        "complaint",
        "negative",
    ):
        row = repeats[(IssueKind.REPEAT, reason, repeat_days(seconds))]
        row[0] += 1
        row[1] += complaint
        row[2] += negative
    counts.update(repeats)
    return counts


def of_kind(counts: IssueCounts, kind: str, *, window: int | None = None) -> dict[str, list]:
    """``[conversations, complaints, negative]`` per key of one kind (for repeats, those
    within ``window`` days, summed over the days)."""
    result: dict[str, list[int]] = {}
    for (row_kind, key, days), shares in counts.items():
        if row_kind != kind or (window is not None and days > window):
            continue
        total = result.setdefault(key, [0, 0, 0])
        for i, value in enumerate(shares):
            total[i] += value or 0
    return result


def topic_series(actor, filters: ReportFilters, topic_ids: list[int]) -> dict[int, dict]:
    """Conversations per day of the period in each of these topics."""
    series: dict[int, dict] = defaultdict(dict)
    if not topic_ids:
        return series
    if from_rollups(filters):
        rows = (
            _issue_rows(actor, filters, filters.start, filters.end)
            .filter(kind=IssueKind.TOPIC, key__in=[str(pk) for pk in topic_ids])
            .values_list("key", "day")
            .annotate(n=Sum("conversations"))
        )
    else:
        rows = (
            scoped_facts(actor, filters)
            .filter(
                created_day__range=(filters.start, filters.end),
                conversation__topic_link__topic_id__in=topic_ids,
            )
            .values_list("conversation__topic_link__topic_id", "created_day")
            .annotate(n=Count("conversation_id"))
            .order_by()
        )
    for topic_id, day, n in rows:
        series[int(topic_id)][day] = n
    return series
