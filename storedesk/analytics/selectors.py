"""The reports: every number is read from rollups (daily rollups, or with a tag filter
the tag's; while rollups of an earlier format are rebuilt, distributions and tag filters
count the conversation facts), scoped to the stores the actor may see.

Every report takes ``actor`` and ``ReportFilters`` and returns plain data (dicts and lists
of JSON types) that the API returns as it is and the dashboard renders.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
from django.db.models import Count, Q, Sum

from storedesk.accounts.models import Agent, Team
from storedesk.analytics.filters import ReportFilters, dimension_q, require_reports
from storedesk.analytics.models import (
    ROLLUP_FORMAT,
    AgentHourRollup,
    ConversationFact,
    DailyRollup,
    RefreshState,
    TagDailyRollup,
)
from storedesk.analytics.totals import ROW_FIELDS, Totals, changes, rate, sum_distributions
from storedesk.conversations.models import Tag
from storedesk.core.errors import ValidationError

# --- Rows -----------------------------------------------------------------------------------


def scoped_facts(actor, filters: ReportFilters):
    """The conversation facts within the actor's stores and the filters' dimensions and
    tag (any day: callers add the period condition they count by)."""
    facts = ConversationFact.objects.filter(dimension_q(actor, filters))
    if filters.tag:
        tagged = Tag.objects.filter(name=Tag.normalise(filters.tag)).values("conversations")
        facts = facts.filter(conversation_id__in=tagged)
    return facts


# Each rollup count as an aggregate over the facts, by the day it counts on: a
# conversation's start, its first response, its resolution. Messages count on the day the
# conversation started (facts keep a count per conversation, not per day).
_FACT_MEASURES = (
    (
        "created_day",
        {
            "created": Count("conversation_id"),
            "created_resolved": Count("conversation_id", filter=Q(resolved_at__isnull=False)),
            "messages_in": Sum("messages_in"),
            "agent_replies": Sum("agent_replies"),
            "assistant_replies": Sum("assistant_replies"),
            "assistant_handled": Count("conversation_id", filter=~Q(assistant_state="")),
            "assistant_resolved": Count("conversation_id", filter=Q(assistant_state="resolved")),
            "complaints": Count("conversation_id", filter=Q(complaint=True)),
            "negative": Count("conversation_id", filter=Q(negative=True)),
            "answers_rated": Sum("answers_rated"),
            "answers_helpful": Sum("answers_helpful"),
        },
    ),
    (
        "first_response_day",
        {
            "first_responses": Count("conversation_id"),
            "first_response_seconds": Sum("first_response_seconds"),
            "first_response_business_seconds": Sum("first_response_business_seconds"),
        },
    ),
    (
        "resolved_day",
        {
            "resolved": Count("conversation_id"),
            "resolution_seconds": Sum("resolution_seconds"),
            "resolution_business_seconds": Sum("resolution_business_seconds"),
            "resolved_reopened": Count("conversation_id", filter=Q(reopened_count__gt=0)),
            "one_touch": Count("conversation_id", filter=Q(agent_replies=1, reopened_count=0)),
        },
    ),
)


def _fact_counts(actor, filters: ReportFilters, start, end, group) -> dict:
    """Rollup-shaped sums per value of ``group`` counted over the facts (for a tag filter,
    which rollups do not have): one aggregate query per day a measure counts on."""
    facts = scoped_facts(actor, filters)
    result: dict = defaultdict(Totals)
    for day_field, measures in _FACT_MEASURES:
        in_range = facts.filter(**{f"{day_field}__range": (start, end)})
        if group is None:
            result[None].add(in_range.aggregate(**measures))
            continue
        fields = _fields(group, day_field)
        for row in in_range.values(*fields).annotate(**measures):
            result[_key(group, [row[name] for name in fields])].add(row)
    return result


def _fields(group, day_field: str = "day") -> list[str]:
    """The fields a grouping reads: none, one, or several; "day" stands for ``day_field``
    (each measure's own day on the facts)."""
    names = () if group is None else (group,) if isinstance(group, str) else group
    return [day_field if name == "day" else name for name in names]


def _key(group, row):
    """A row's group key: None, the one value, or the tuple of values (first in ``row``)."""
    if group is None:
        return None
    if isinstance(group, str):
        return row[0]
    return tuple(row[: len(group)])


def rollups_current() -> bool:
    """Every store-day's rollups are of the current ``ROLLUP_FORMAT``: distributions and
    tag rollups can be read from them (during an upgrade, facts are counted instead)."""
    return RefreshState.objects.filter(pk=1, rollup_format__gte=ROLLUP_FORMAT).exists()


def _rollup_rows(actor, filters: ReportFilters):
    """The daily rollup rows within the actor's stores and the filters' dimensions: of the
    filters' tag (``TagDailyRollup``, every store's tag of that name) when there is one."""
    if filters.tag:
        tags = Tag.objects.filter(name=Tag.normalise(filters.tag)).values("pk")
        return TagDailyRollup.objects.filter(dimension_q(actor, filters), tag_id__in=tags)
    return DailyRollup.objects.filter(dimension_q(actor, filters))


def _counts(actor, filters: ReportFilters, start, end, group=None) -> dict:
    """Summed counts per value of ``group`` ("day", a dimension or a tuple of them; None:
    one total under the key None): from the rollups (with a tag filter, from the facts
    until the tag rollups are built)."""
    if filters.tag and not rollups_current():
        return _fact_counts(actor, filters, start, end, group)
    return _summed(_rollup_rows(actor, filters).filter(day__range=(start, end)), group)


def _summed(rollups, group) -> dict:
    """The counts of these rollup rows summed in the database per value of ``group``."""
    sums = {name: Sum(name) for name in ROW_FIELDS}
    if group is None:
        return {None: Totals().add(rollups.aggregate(**sums))}
    fields = _fields(group)
    return {
        _key(group, [row[name] for name in fields]): Totals().add(row)
        for row in rollups.values(*fields).annotate(**sums)
    }


# Each duration histogram: its name in ``Totals``, the day its event counts on, and the
# facts' bucket field.
_DISTRIBUTIONS = (
    ("first_response_hist", "first_response_day", "first_response_bucket"),
    ("first_response_business_hist", "first_response_day", "first_response_business_bucket"),
    ("resolution_hist", "resolved_day", "resolution_bucket"),
    ("resolution_business_hist", "resolved_day", "resolution_business_bucket"),
)


def _group_totals(totals: dict, key) -> Totals:
    """The ``Totals`` of one group, created on first use (not for every row read)."""
    found = totals.get(key)
    if found is None:
        found = totals[key] = Totals()
    return found


def _add_distributions(actor, filters: ReportFilters, start, end, group, totals: dict) -> None:
    """Count the facts of the range per histogram bucket (and handoffs per reason) in the
    database, into ``totals`` (per value of ``group``; "day" is each measure's own day).
    One query per histogram: grouping calendar and business buckets together would return
    their product. ``COUNT(*)`` rather than a count of ids lets PostgreSQL answer from the
    duration indexes alone."""
    facts = scoped_facts(actor, filters)
    for name, day_field, bucket_field in _DISTRIBUTIONS:
        for row in (
            facts.filter(**{f"{day_field}__range": (start, end)})
            .values_list(*_fields(group, day_field), bucket_field)
            .annotate(n=Count("*"))
        ):
            _group_totals(totals, _key(group, row)).histograms[name][row[-2]] += row[-1]
    started = facts.filter(created_day__range=(start, end))
    fields = _fields(group, "created_day")
    for row in (
        started.exclude(handoff_reason="")
        .values_list(*fields, "handoff_reason")
        .annotate(n=Count("*"))
    ):
        _group_totals(totals, _key(group, row)).handoffs[row[-2]] += row[-1]
    by_day = [] if "created_day" in fields else ["created_day"]
    day_at = fields.index("created_day") if not by_day else len(fields)
    for row in started.values_list(*fields, *by_day, "created_hour").annotate(n=Count("*")):
        hour = row[day_at].weekday() * 24 + row[-2]
        _group_totals(totals, _key(group, row)).created_hours[hour] += row[-1]


def _totals_by(
    actor, filters: ReportFilters, start=None, end=None, group=None, *, distributions=True
) -> dict:
    """``Totals`` per value of ``group`` (None: the key None) over ``start``..``end``
    (default: the filters' period)."""
    start, end = start or filters.start, end or filters.end
    if distributions and rollups_current():
        return _rollup_totals(actor, filters, start, end, group)
    totals = _counts(actor, filters, start, end, group)
    if distributions:
        _add_distributions(actor, filters, start, end, group, totals)
    return totals


def _rollup_totals(actor, filters: ReportFilters, start, end, group) -> dict:
    """``Totals`` with distributions per value of ``group``, added up from the rollup rows
    of the range (about 110 rows a day at a million conversations a year): the counts
    summed in the database, the packed distributions read row by row and summed with
    numpy."""
    rows = _rollup_rows(actor, filters).filter(day__range=(start, end))
    totals = _summed(rows, group)
    keys: dict = {}
    owners: list[int] = []
    packed: list[bytes] = []
    for row in rows.exclude(distributions=b"").values_list(*_fields(group), "distributions"):
        owners.append(keys.setdefault(_key(group, row), len(keys)))
        packed.append(bytes(row[-1]))
    summed = sum_distributions(packed, np.array(owners, dtype=np.int64), len(keys))
    for key, index in keys.items():
        _group_totals(totals, key).add_dense(summed[index])
    return totals


def period_counts(actor, filters: ReportFilters) -> Counter:
    """The rollup counts (``totals.COUNTS``) of the filters' period, summed in the
    database (over the tagged conversations' facts with a tag filter)."""
    return _counts(actor, filters, filters.start, filters.end)[None].counts


def period_of(filters: ReportFilters) -> dict:
    """The period and the previous one, as ISO dates (every report says what it covers)."""
    previous = filters.previous()
    return {
        "start": filters.start.isoformat(),
        "end": filters.end.isoformat(),
        "previous_start": previous.start.isoformat(),
        "previous_end": previous.end.isoformat(),
    }


def refresh_info() -> dict:
    state = RefreshState.objects.filter(pk=1).first()
    return {
        "refreshed_at": state.refreshed_at.isoformat() if state and state.refreshed_at else None
    }


# --- Reports --------------------------------------------------------------------------------


def report_overview(*, actor, filters: ReportFilters) -> dict:
    """Headline numbers for the period and the previous one, their changes, conversations
    by channel and a per-day series (created, resolved, messages, backlog)."""
    require_reports(actor)
    return _overview(
        actor,
        filters,
        _totals_by(actor, filters).get(None, Totals()),
        _totals_by(actor, filters.previous()).get(None, Totals()),
    )


def _overview(actor, filters: ReportFilters, totals: Totals, previous_totals: Totals) -> dict:
    current = totals.summary()
    previous = previous_totals.summary()
    current["feedback"]["articles"] = _article_votes(actor, filters)
    previous["feedback"]["articles"] = _article_votes(actor, filters.previous())
    by_channel = {
        channel: totals.counts["created"]
        for channel, totals in _counts(
            actor, filters, filters.start, filters.end, "channel"
        ).items()
        if totals.counts["created"]
    }
    return {
        "period": period_of(filters),
        **refresh_info(),
        "current": current,
        "previous": previous,
        "change": changes(current, previous),
        "by_channel": dict(sorted(by_channel.items(), key=lambda item: -item[1])),
        "series": _series(actor, filters),
    }


def _article_votes(actor, filters: ReportFilters) -> dict:
    """Readers' "Was this helpful?" votes on help-center articles in the period (by the
    server's calendar days; only the store filter applies: a vote belongs to no channel,
    team or agent)."""
    from storedesk.helpcenter.models import ArticleFeedback

    store_only = ReportFilters(filters.start, filters.end, filters.store_id)
    votes = ArticleFeedback.objects.filter(
        dimension_q(actor, store_only), created_at__date__range=(filters.start, filters.end)
    ).aggregate(n=Count("pk"), helpful=Count("pk", filter=Q(helpful=True)))
    return {"votes": votes["n"], "helpful_rate": rate(votes["helpful"], votes["n"])}


def _backlog_before(actor, filters: ReportFilters) -> int:
    """Conversations started before the period and not resolved by its start."""
    if filters.tag and not rollups_current():
        facts = scoped_facts(actor, filters).filter(created_day__lt=filters.start)
        return facts.exclude(resolved_day__lt=filters.start).count()
    sums = (
        _rollup_rows(actor, filters)
        .filter(day__lt=filters.start)
        .aggregate(created=Sum("created"), resolved=Sum("resolved"))
    )
    return (sums["created"] or 0) - (sums["resolved"] or 0)


def _series(actor, filters: ReportFilters) -> list[dict]:
    per_day = _counts(actor, filters, filters.start, filters.end, "day")
    backlog = _backlog_before(actor, filters)
    series = []
    for day in filters.day_list():
        counts = per_day[day].counts if day in per_day else Counter()
        backlog += counts["created"] - counts["resolved"]
        series.append(
            {
                "day": day.isoformat(),
                "created": counts["created"],
                "resolved": counts["resolved"],
                "messages_in": counts["messages_in"],
                "messages_out": counts["agent_replies"],
                "backlog": backlog,
            }
        )
    return series


def _durations_report(actor, filters: ReportFilters, kind: str) -> dict:
    per_day = _totals_by(actor, filters, group="day")
    current = _totals_by(actor, filters).get(None, Totals()).durations(kind)
    previous = _totals_by(actor, filters.previous()).get(None, Totals()).durations(kind)
    series = []
    for day in filters.day_list():
        d = per_day[day].durations(kind) if day in per_day else None
        series.append(
            {
                "day": day.isoformat(),
                "count": d["count"] if d else 0,
                "median_seconds": d["median_seconds"] if d else None,
                "p90_seconds": d["p90_seconds"] if d else None,
                "business_median_seconds": d["business"]["median_seconds"] if d else None,
            }
        )
    return {
        "period": period_of(filters),
        "current": current,
        "previous": previous,
        "series": series,
    }


def report_response_times(*, actor, filters: ReportFilters) -> dict:
    """First response time: median, p90 and mean in calendar and business hours, the
    distribution, per day, and the previous period."""
    require_reports(actor)
    return _durations_report(actor, filters, "first_response")


def report_resolution(*, actor, filters: ReportFilters) -> dict:
    """Resolution time like ``report_response_times``, plus resolved counts, resolution,
    reopen and one-touch rates (with the previous period) and the backlog per day."""
    require_reports(actor)
    report = _durations_report(actor, filters, "resolution")
    summary = _totals_by(actor, filters, distributions=False)[None].summary()
    previous = _totals_by(actor, filters.previous(), distributions=False)[None].summary()
    keys = ("resolved", "resolution_rate", "reopen_rate", "one_touch_rate", "one_touch")
    report["resolved"] = {key: summary[key] for key in keys}
    report["previous_resolved"] = {key: previous[key] for key in keys}
    backlog = {row["day"]: row["backlog"] for row in _series(actor, filters)}
    for point in report["series"]:
        point["backlog"] = backlog[point["day"]]
    return report


def _weekday_count(filters: ReportFilters) -> Counter:
    return Counter(day.weekday() for day in filters.day_list())


def report_busiest_hours(
    *, actor, filters: ReportFilters, created_hours: Counter | None = None
) -> dict:
    """Conversations started per weekday (0 = Monday) and local hour, and beside them the
    agents who replied in that hour (average per day), so staffing gaps show.
    ``created_hours`` (``Totals.created_hours`` of the period) spares reading the rollups
    when the caller has them."""
    require_reports(actor)
    if created_hours is None:
        created_hours = _totals_by(actor, filters).get(None, Totals()).created_hours
    created = [[created_hours.get(w * 24 + h, 0) for h in range(24)] for w in range(7)]
    scope = Q(day__range=(filters.start, filters.end))
    store_q = dimension_q(actor, ReportFilters(filters.start, filters.end, filters.store_id))
    if filters.agent_id is not None:
        scope &= Q(agent_id=filters.agent_id)
    present = set(
        AgentHourRollup.objects.filter(store_q, scope).values_list(
            "weekday", "hour", "day", "agent_id"
        )
    )
    agent_hours = Counter((weekday, hour) for weekday, hour, _day, _agent in present)
    weekdays = _weekday_count(filters)
    coverage = [
        [round(agent_hours[(w, h)] / weekdays[w], 2) if weekdays[w] else 0.0 for h in range(24)]
        for w in range(7)
    ]
    average = [
        [round(created[w][h] / weekdays[w], 2) if weekdays[w] else 0.0 for h in range(24)]
        for w in range(7)
    ]
    # A gap: people write in that hour (on average at least one conversation a day) and
    # nobody answered in it.
    gaps = [
        {"weekday": w, "hour": h, "conversations_per_day": average[w][h]}
        for w in range(7)
        for h in range(24)
        if average[w][h] >= 1 and coverage[w][h] == 0
    ]
    busiest = sorted(
        (
            {"weekday": w, "hour": h, "conversations": created[w][h]}
            for w in range(7)
            for h in range(24)
        ),
        key=lambda cell: -cell["conversations"],
    )[:5]
    return {
        "period": period_of(filters),
        "conversations": created,
        "conversations_per_day": average,
        "agents_per_day": coverage,
        "busiest": [cell for cell in busiest if cell["conversations"]],
        "gaps": gaps,
    }


def _grouped(actor, filters: ReportFilters, key: str) -> dict:
    return _totals_by(actor, filters, group=key)


def _performance(totals: Totals) -> dict:
    s = totals.summary()
    return {
        "conversations": s["conversations"],
        "first_responses": s["first_response"]["count"],
        "first_response_median_seconds": s["first_response"]["median_seconds"],
        "first_response_business_median_seconds": s["first_response"]["business"]["median_seconds"],
        "resolved": s["resolved"],
        "resolution_median_seconds": s["resolution"]["median_seconds"],
        "resolution_rate": s["resolution_rate"],
        "reopen_rate": s["reopen_rate"],
        "one_touch_rate": s["one_touch_rate"],
    }


def report_agents(*, actor, filters: ReportFilters) -> dict:
    """Per agent (the assignee a conversation counts under; "" for unassigned): volume,
    medians and rates, plus the replies each agent wrote themselves."""
    require_reports(actor)
    return _agents(actor, filters, _grouped(actor, filters, "agent_id"))


def _agents(actor, filters: ReportFilters, groups: dict) -> dict:
    store_q = dimension_q(actor, ReportFilters(filters.start, filters.end, filters.store_id))
    replies = dict(
        AgentHourRollup.objects.filter(store_q, day__range=(filters.start, filters.end))
        .values("agent_id")
        .annotate(n=Sum("replies"))
        .values_list("agent_id", "n")
    )
    if filters.agent_id is not None:
        replies = {k: v for k, v in replies.items() if k == filters.agent_id}
    ids = set(groups) | set(replies)
    names = {a.pk: a.name for a in Agent.objects.filter(pk__in=[i for i in ids if i])}
    agents = [
        {
            "agent_id": agent_id,
            "name": names.get(agent_id, "") if agent_id else "",
            **_performance(groups[agent_id] if agent_id in groups else Totals()),
            "replies": replies.get(agent_id, 0),
        }
        for agent_id in ids
    ]
    agents.sort(key=lambda row: (row["agent_id"] is None, -row["conversations"], row["name"]))
    return {"period": period_of(filters), "agents": agents}


def report_teams(*, actor, filters: ReportFilters) -> dict:
    """Per team, like ``report_agents`` ("" for conversations in no team)."""
    require_reports(actor)
    return _teams(filters, _grouped(actor, filters, "team_id"))


def _teams(filters: ReportFilters, groups: dict) -> dict:
    names = dict(Team.objects.filter(pk__in=[i for i in groups if i]).values_list("pk", "name"))
    teams = [
        {"team_id": team_id, "name": names.get(team_id, "") if team_id else "", **_performance(t)}
        for team_id, t in groups.items()
    ]
    teams.sort(key=lambda row: (row["team_id"] is None, -row["conversations"], row["name"]))
    return {"period": period_of(filters), "teams": teams}


def report_dashboard(*, actor, filters: ReportFilters) -> dict:
    """Everything the dashboard shows, as the separate reports would return it
    (``overview``, ``agents``, ``teams``, ``busiest_hours``, ``repeat_contacts``,
    ``complaints``), reading the period's facts and rollups once per measure: the totals,
    the agents and the teams are one grouping by (agent, team) added up three ways."""
    from storedesk.analytics.issue_counts import period_issue_counts
    from storedesk.analytics.issue_selectors import report_complaints, report_repeat_contacts

    require_reports(actor)
    total, agents, teams = Totals(), defaultdict(Totals), defaultdict(Totals)
    for (agent_id, team_id), totals in _totals_by(
        actor, filters, group=("agent_id", "team_id")
    ).items():
        total.merge(totals)
        agents[agent_id].merge(totals)
        teams[team_id].merge(totals)
    previous = _totals_by(actor, filters.previous()).get(None, Totals())
    # What the two issue reports share: the period's issue counts and conversations.
    shared = {
        "issues": period_issue_counts(actor, filters),
        "started": (total.counts, previous.counts),
    }
    return {
        "overview": _overview(actor, filters, total, previous),
        "agents": _agents(actor, filters, agents),
        "teams": _teams(filters, teams),
        "busiest_hours": report_busiest_hours(
            actor=actor, filters=filters, created_hours=total.created_hours
        ),
        "repeat_contacts": report_repeat_contacts(actor=actor, filters=filters, **shared),
        "complaints": report_complaints(actor=actor, filters=filters, **shared),
    }


# --- Drill-down -----------------------------------------------------------------------------

# What each number of the reports counts, as conditions on conversation facts within the
# period (``start``..``end`` are the filters' days).
DRILL_DOWN = {
    "created": lambda s, e: Q(created_day__range=(s, e)),
    "first_responses": lambda s, e: Q(first_response_day__range=(s, e)),
    "resolved": lambda s, e: Q(resolved_day__range=(s, e)),
    "reopened": lambda s, e: Q(resolved_day__range=(s, e), reopened_count__gt=0),
    "one_touch": lambda s, e: Q(resolved_day__range=(s, e), reopened_count=0, agent_replies=1),
    # Started in the period and not resolved now.
    "unresolved": lambda s, e: Q(created_day__range=(s, e), resolved_at__isnull=True),
    # Open at the end of the period: started by then, not resolved by then.
    "backlog": lambda s, e: (
        Q(created_day__lte=e) & (Q(resolved_day__isnull=True) | Q(resolved_day__gt=e))
    ),
    "assistant_handled": lambda s, e: Q(created_day__range=(s, e)) & ~Q(assistant_state=""),
    "assistant_resolved": lambda s, e: Q(created_day__range=(s, e), assistant_state="resolved"),
    "handoffs": lambda s, e: Q(created_day__range=(s, e)) & ~Q(handoff_reason=""),
    "complaints": lambda s, e: Q(created_day__range=(s, e), complaint=True),
    "negative": lambda s, e: Q(created_day__range=(s, e), negative=True),
}


def report_conversation_ids(
    *,
    actor,
    filters: ReportFilters,
    metric: str,
    weekday: int | None = None,
    hour: int | None = None,
    topic_id: int | None = None,
    window_days: int | None = None,
):
    """The ids of the conversations behind one number of a report (a queryset of
    conversation ids, newest first), within the actor's stores and the filters.

    ``metric`` is a key of ``DRILL_DOWN``, or "repeats" (started in the period within
    ``window_days`` of the resolution of the same issue) or "topic" (started in the period,
    in topic ``topic_id``). ``weekday`` and ``hour`` narrow to one cell of the busiest-hours
    heatmap. Raises ``ValidationError`` for an unknown metric.
    """
    require_reports(actor)
    facts = scoped_facts(actor, filters)
    period = (filters.start, filters.end)
    if metric == "repeats":
        seconds = repeat_window(window_days) * 86400
        facts = facts.filter(
            created_day__range=period, conversation__repeat_link__seconds_after__lte=seconds
        )
    elif metric == "topic":
        facts = facts.filter(created_day__range=period, conversation__topic_link__topic_id=topic_id)
    elif metric in DRILL_DOWN:
        facts = facts.filter(DRILL_DOWN[metric](*period))
    else:
        raise ValidationError(f"Unknown number {metric!r}.", field="metric")
    if hour is not None:
        facts = facts.filter(created_hour=hour)
    if weekday is not None:
        days = [d for d in filters.day_list() if d.weekday() == weekday]
        facts = facts.filter(created_day__in=days)
    return facts.order_by("-created_at").values_list("conversation_id", flat=True)


def repeat_window(days: int | None) -> int:
    """The repeat-contact window in days: ``days`` or the configured default, 1-30."""
    from django.conf import settings

    from storedesk.analytics.signal_services import MAX_REPEAT_DAYS

    days = settings.REPEAT_WINDOW_DAYS if days is None else days
    if not 1 <= days <= MAX_REPEAT_DAYS:
        raise ValidationError(f"Use 1 to {MAX_REPEAT_DAYS} days.", field="window")
    return days
