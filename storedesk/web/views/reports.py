"""Reports: the dashboard, the conversations behind each of its numbers, and CSV exports
of its tables.

Glue (rule 1): parse the filters (``analytics.filters.parse_filters``), call the analytics
selectors, shape their plain data for the templates and render. Reports are for
administrators and supervisors; every other agent gets 403, as for settings: the page
exists, their role does not open it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_GET

from storedesk.accounts.selectors import agent_list, team_list
from storedesk.analytics import charts, exports, issue_selectors, labels, selectors
from storedesk.analytics.dashboard import dashboard_for
from storedesk.analytics.filters import MAX_DAYS, ReportFilters, may_view_reports, parse_filters
from storedesk.conversations.selectors import conversations_by_ids
from storedesk.core.errors import PermissionDenied as DomainPermissionDenied
from storedesk.core.errors import ValidationError
from storedesk.stores.selectors import store_list

PAGE_SIZE = 50
PRESETS = (7, 30, 90)
# The query parameters ``parse_filters`` reads.
FILTER_PARAMS = ("start", "end", "store", "inbox", "channel", "team", "agent", "language", "tag")

REPORTS = {
    "overview": selectors.report_overview,
    "response_times": selectors.report_response_times,
    "resolution": selectors.report_resolution,
    "busiest_hours": selectors.report_busiest_hours,
    "agents": selectors.report_agents,
    "teams": selectors.report_teams,
    "repeat_contacts": issue_selectors.report_repeat_contacts,
    "complaints": issue_selectors.report_complaints,
}

FIELD_LABELS = {
    "start": pgettext_lazy("period", "From"),
    "end": pgettext_lazy("period", "To"),
    "store": gettext_lazy("Store"),
    "inbox": gettext_lazy("Inbox"),
    "channel": gettext_lazy("Channel"),
    "team": gettext_lazy("Team"),
    "agent": gettext_lazy("Agent"),
    "language": gettext_lazy("Language"),
    "tag": gettext_lazy("Tag"),
    "metric": gettext_lazy("Number"),
    "weekday": gettext_lazy("Weekday"),
    "hour": gettext_lazy("Hour"),
    "topic": gettext_lazy("Topic"),
    "window": gettext_lazy("Days"),
}


def reports_required(view):
    """Signed in, and an administrator or a supervisor; everyone else gets 403."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not may_view_reports(request.user):
            raise PermissionDenied
        try:
            return view(request, *args, **kwargs)
        except DomainPermissionDenied:
            raise PermissionDenied from None

    return wrapper


# --- Filters --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FilterError:
    field: str
    message: str

    @property
    def text(self) -> str:
        label = FIELD_LABELS.get(self.field)
        return _labelled(label, self.message) if label else self.message


def _labelled(label, value) -> str:
    return _("%(label)s: %(value)s") % {"label": label, "value": value}


def _error(exc: ValidationError) -> FilterError:
    """The filter error in the agent's language (the filters speak English)."""
    message = exc.message
    if message == "The start is after the end.":
        text = _("The start date is after the end date.")
    elif message.startswith("A report covers at most"):
        text = _("A report covers at most %(days)d days.") % {"days": MAX_DAYS}
    elif message == "Use a date as YYYY-MM-DD.":
        text = _("Use a date as YYYY-MM-DD.")
    elif message.startswith("At most"):
        text = _("This is too long.")
    else:
        text = _("This value is not valid.")
    return FilterError(exc.field or "", text)


def _filters(request) -> tuple[ReportFilters | None, FilterError | None]:
    try:
        return parse_filters(request.GET), None
    except ValidationError as exc:
        return None, _error(exc)


def _query(params: dict) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _link(filters: ReportFilters, metric: str, **overrides) -> str:
    """The drill-down to the conversations behind one number, with the same filters."""
    params = {"metric": metric, **filters.as_query()}
    params.update({k: str(v) for k, v in overrides.items()})
    return f"{reverse('reports-conversations')}?{_query(params)}"


def _form_values(request, filters: ReportFilters | None) -> dict:
    if filters is not None:
        return filters.as_query()
    return {name: request.GET.get(name, "")[:100] for name in FILTER_PARAMS}


def _presets(values: dict, filters: ReportFilters | None) -> list[dict]:
    today = timezone.localdate()
    others = {k: v for k, v in values.items() if k not in ("start", "end")}
    presets = []
    for days in PRESETS:
        start = today - dt.timedelta(days=days - 1)
        current = filters is not None and (filters.start, filters.end) == (start, today)
        query = _query({"start": start.isoformat(), "end": today.isoformat(), **others})
        presets.append(
            {
                "label": _("Last %(days)d days") % {"days": days},
                "href": f"{reverse('reports')}?{query}",
                "current": current,
            }
        )
    return presets


def _form_context(request, filters, error) -> dict:
    values = _form_values(request, filters)
    return {
        "nav": "reports",
        "filters": filters,
        "error": error,
        "values": values,
        "presets": _presets(values, filters),
        "stores": list(store_list(actor=request.user)),
        "teams": list(team_list().order_by("name")),
        "agents": list(agent_list(actor=request.user)),
        "channel_options": labels.channels(),
        "languages": ["en", "hr", "zh", "zh-hans"],
    }


# --- Dashboard ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Card:
    key: str
    label: str
    kind: str  # "count", "duration" or "rate"
    path: tuple[str, ...]  # into the report's summary
    change: str  # the key of the report's ``change``
    better: str  # "up", "down" or "" (neither is better)
    metric: str  # the drill-down behind it


CARDS = (
    Card(
        "conversations",
        gettext_lazy("Conversations"),
        "count",
        ("conversations",),
        "conversations",
        "",
        "created",
    ),
    Card(
        "first_response",
        gettext_lazy("First response (median)"),
        "duration",
        ("first_response", "median_seconds"),
        "first_response_median",
        "down",
        "first_responses",
    ),
    Card(
        "resolution",
        gettext_lazy("Resolution time (median)"),
        "duration",
        ("resolution", "median_seconds"),
        "resolution_median",
        "down",
        "resolved",
    ),
    Card(
        "resolved",
        pgettext_lazy("count", "Resolved"),
        "count",
        ("resolved",),
        "resolved",
        "up",
        "resolved",
    ),
    Card(
        "resolution_rate",
        gettext_lazy("Resolution rate"),
        "rate",
        ("resolution_rate",),
        "resolution_rate",
        "up",
        "unresolved",
    ),
    Card(
        "reopen_rate",
        gettext_lazy("Reopen rate"),
        "rate",
        ("reopen_rate",),
        "reopen_rate",
        "down",
        "reopened",
    ),
    Card(
        "one_touch_rate",
        gettext_lazy("One-touch rate"),
        "rate",
        ("one_touch_rate",),
        "one_touch_rate",
        "up",
        "one_touch",
    ),
    Card(
        "deflection_rate",
        gettext_lazy("Assistant deflection rate"),
        "rate",
        ("assistant", "deflection_rate"),
        "deflection_rate",
        "up",
        "assistant_resolved",
    ),
    Card(
        "complaint_share",
        gettext_lazy("Complaint share"),
        "rate",
        ("complaint_share",),
        "complaint_share",
        "down",
        "complaints",
    ),
)


def _at(data: dict, path) -> object:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _cards(overview: dict, filters: ReportFilters) -> list[dict]:
    cards = []
    for card in CARDS:
        shown = {
            "key": card.key,
            "label": card.label,
            "kind": card.kind,
            "value": _at(overview["current"], card.path),
            "previous": _at(overview["previous"], card.path),
            "change": overview["change"].get(card.change),
            "better": card.better,
            "href": _link(filters, card.metric),
            "drill": labels.metric(card.metric),
        }
        if card.key == "first_response":
            business = ("first_response", "business", "median_seconds")
            shown["business"] = {
                "value": _at(overview["current"], business),
                "previous": _at(overview["previous"], business),
                "change": overview["change"].get("first_response_business_median"),
            }
        cards.append(shown)
    return cards


def _day(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso)


def _daily_chart(overview: dict, filters: ReportFilters) -> dict:
    series = overview["series"]
    days = [_day(p["day"]) for p in series]
    names = [date_format(day, "MONTH_DAY_FORMAT") for day in days]

    def points(key: str, metric: str) -> list[charts.Point]:
        return [
            charts.Point(p[key], href=_link(filters, metric, start=p["day"], end=p["day"]))
            for p in series
        ]

    created = charts.Series(_("Started"), points("created", "created"), "created")
    resolved = charts.Series(
        pgettext("count", "Resolved"), points("resolved", "resolved"), "resolved"
    )
    backlog = charts.Series(_("Still open"), points("backlog", "backlog"), "backlog")
    description = _(
        "From %(start)s to %(end)s: started %(created)d, resolved %(resolved)d, "
        "still open at the end %(backlog)d."
    ) % {
        "start": date_format(filters.start, "DATE_FORMAT"),
        "end": date_format(filters.end, "DATE_FORMAT"),
        "created": sum(p["created"] for p in series),
        "resolved": sum(p["resolved"] for p in series),
        "backlog": series[-1]["backlog"] if series else 0,
    }
    return {
        "svg": charts.column_chart(
            chart_id="chart-daily",
            title=_("Conversations started and resolved per day, and the open backlog"),
            description=description,
            labels=names,
            bars=[created, resolved],
            line=backlog,
            width=800,
            height=240,
        ),
        "legend": charts.legend(
            [("created", created.name), ("resolved", resolved.name), ("backlog", backlog.name)]
        ),
        "rows": [
            {
                "day": day,
                **p,
                "links": {
                    m: _link(filters, m, start=p["day"], end=p["day"])
                    for m in ("created", "resolved", "backlog")
                },
            }
            for day, p in zip(days, series, strict=True)
        ],
    }


def _distribution_chart(summary: dict, chart_id: str, title: str, href: str) -> dict:
    keys = list(summary["bands"])
    calendar = charts.Series(
        _("Calendar time"), [charts.Point(summary["bands"][k]) for k in keys], "calendar"
    )
    business = charts.Series(
        _("Business hours"),
        [charts.Point(summary["business_bands"].get(k, 0)) for k in keys],
        "business",
    )
    description = _(
        "%(count)d in all; median %(median)s (in business hours %(business)s); 90%% within %(p90)s."
    ) % {
        "count": summary["count"],
        "median": charts.humanize_duration(summary["median_seconds"]),
        "business": charts.humanize_duration(summary["business"]["median_seconds"]),
        "p90": charts.humanize_duration(summary["p90_seconds"]),
    }
    parts = [f"{labels.band(k)}: {summary['bands'][k]}" for k in keys]
    return {
        "svg": charts.column_chart(
            chart_id=chart_id,
            title=title,
            description=f"{description} {'; '.join(parts)}.",
            labels=[labels.band(k) for k in keys],
            bars=[calendar, business],
            max_labels=len(keys),
        ),
        "legend": charts.legend([("calendar", calendar.name), ("business", business.name)]),
        "rows": [
            {"label": labels.band(k), "calendar": summary["bands"][k], "business": p.value}
            for k, p in zip(keys, business.points, strict=True)
        ],
        "summary": summary,
        "href": href,
    }


def _channel_chart(overview: dict, filters: ReportFilters) -> dict:
    rows = [
        (str(labels.channel(kind)), charts.Point(n, href=_link(filters, "created", channel=kind)))
        for kind, n in overview["by_channel"].items()
    ]
    description = "; ".join(f"{name}: {p.value}" for name, p in rows) or _("No conversations.")
    return {
        "svg": charts.bar_chart(
            chart_id="chart-channels",
            title=_("Conversations by channel"),
            description=description,
            rows=rows,
            css="created",
        ),
        "rows": [{"label": name, "count": p.value, "href": p.href} for name, p in rows],
    }


def _assistant(overview: dict, filters: ReportFilters) -> dict:
    assistant = overview["current"]["assistant"]
    reasons = [
        (labels.handoff_reason(reason), charts.Point(n))
        for reason, n in assistant["handoff_reasons"].items()
    ]
    chart = None
    if reasons:
        chart = charts.bar_chart(
            chart_id="chart-handoffs",
            title=_("Why the assistant handed off"),
            description="; ".join(f"{name}: {p.value}" for name, p in reasons),
            rows=reasons,
            css="handoff",
            label_width=240,
        )
    return {
        **assistant,
        "reasons": [{"label": name, "count": p.value} for name, p in reasons],
        "chart": chart,
        "negative": overview["current"]["negative"],
        "negative_share": overview["current"]["negative_share"],
        "feedback": overview["current"]["feedback"],
        "links": {
            m: _link(filters, m)
            for m in ("assistant_handled", "assistant_resolved", "handoffs", "negative")
        },
    }


def _hour_span(hour: int) -> str:
    return f"{hour:02d}:00–{(hour + 1) % 24:02d}:00"


def _cell(weekday: int | None, hour: int | None) -> str:
    """A cell of the heatmap (or a row or column of it) named: "Monday 09:00–10:00"."""
    parts = []
    if weekday is not None:
        parts.append(str(labels.WEEKDAY_NAMES[weekday]))
    if hour is not None:
        parts.append(_hour_span(hour))
    return " ".join(parts)


def _heatmap(hours: dict, filters: ReportFilters) -> dict:
    counts = hours["conversations"]
    busiest = max((n for row in counts for n in row), default=0)
    gaps = {(g["weekday"], g["hour"]) for g in hours["gaps"]}
    rows = []
    for weekday, row in enumerate(counts):
        name = str(labels.WEEKDAY_NAMES[weekday])
        cells = []
        for hour, count in enumerate(row):
            agents = hours["agents_per_day"][weekday][hour]
            title = _(
                "%(day)s %(hours)s · conversations started: %(count)d (a day: %(per_day)s) · "
                "agents replying a day: %(agents)s"
            ) % {
                "day": name,
                "hours": _hour_span(hour),
                "count": count,
                "per_day": charts.number(hours["conversations_per_day"][weekday][hour]),
                "agents": charts.number(agents),
            }
            cells.append(
                {
                    "hour": hour,
                    "count": count,
                    "agents": agents,
                    "level": charts.heat_level(count, busiest),
                    "gap": (weekday, hour) in gaps,
                    "title": title,
                    "href": _link(filters, "created", weekday=weekday, hour=hour) if count else "",
                }
            )
        rows.append({"name": name, "short": str(labels.WEEKDAY_SHORT[weekday]), "cells": cells})

    def named(cells) -> list[dict]:
        return [
            {
                "label": _cell(c["weekday"], c["hour"]),
                "href": _link(filters, "created", weekday=c["weekday"], hour=c["hour"]),
                **c,
            }
            for c in cells
        ]

    return {
        "hours": list(range(24)),
        "rows": rows,
        "gaps": named(hours["gaps"]),
        "busiest": named(hours["busiest"]),
    }


PERFORMANCE_METRICS = ("created", "first_responses", "resolved", "unresolved", "reopened")


def _performance(rows: list[dict], key: str, filters: ReportFilters) -> list[dict]:
    """Agent or team rows with a drill-down per number (none for the "nobody" row: the
    filters cannot ask for unassigned conversations)."""
    shown = []
    for row in rows:
        dim = row[f"{key}_id"]
        links = {}
        if dim is not None:
            links = {m: _link(filters, m, **{key: dim}) for m in PERFORMANCE_METRICS}
            links["one_touch"] = _link(filters, "one_touch", **{key: dim})
        shown.append({**row, "links": links})
    return shown


def _repeats(report: dict, filters: ReportFilters) -> dict:
    return {
        **report,
        "href": _link(filters, "repeats", window=report["window_days"]),
        "reasons": [
            {"label": labels.repeat_reason(reason), "count": n}
            for reason, n in sorted(report["by_reason"].items(), key=lambda item: -item[1])
        ],
        "rows": [
            {**row, "reason_label": labels.repeat_reason(row["reason"])}
            for row in report["list"][:20]
        ],
    }


def _topics(report: dict, filters: ReportFilters) -> dict:
    days = filters.day_list()
    rows = []
    for row in report["topics"]:
        href = _link(filters, "topic", topic=row["topic_id"])
        rows.append(
            {
                **row,
                "href": href,
                "spark": charts.sparkline(
                    row["series"],
                    title=_("%(topic)s per day") % {"topic": row["label"]},
                    labels=[date_format(day, "MONTH_DAY_FORMAT") for day in days],
                ),
            }
        )
    return {
        **report,
        "rows": rows,
        "links": {m: _link(filters, m) for m in ("complaints", "negative")},
    }


def _dashboard(request, filters: ReportFilters) -> dict:
    reports = dashboard_for(actor=request.user, filters=filters)
    overview, hours = reports["overview"], reports["busiest_hours"]
    agents, teams = reports["agents"], reports["teams"]
    repeats, topics = reports["repeat_contacts"], reports["complaints"]
    current = overview["current"]
    refreshed = overview.get("refreshed_at")
    query = _query(filters.as_query())
    return {
        "period": {
            "start": filters.start,
            "end": filters.end,
            "previous_start": _day(overview["period"]["previous_start"]),
            "previous_end": _day(overview["period"]["previous_end"]),
        },
        "refreshed_at": dt.datetime.fromisoformat(refreshed) if refreshed else None,
        "cards": _cards(overview, filters),
        "daily": _daily_chart(overview, filters),
        "first_response": _distribution_chart(
            current["first_response"],
            "chart-first-response",
            _("First response time"),
            _link(filters, "first_responses"),
        ),
        "resolution": _distribution_chart(
            current["resolution"],
            "chart-resolution",
            _("Resolution time"),
            _link(filters, "resolved"),
        ),
        "channel_chart": _channel_chart(overview, filters),
        "assistant": _assistant(overview, filters),
        "heatmap": _heatmap(hours, filters),
        "agent_rows": _performance(agents["agents"], "agent", filters),
        "team_rows": _performance(teams["teams"], "team", filters),
        "repeats": _repeats(repeats, filters),
        "topics": _topics(topics, filters),
        "exports": {
            name.replace("-", "_"): f"{reverse('reports-export', args=[name])}?{query}"
            for name in exports.TABLES
        },
    }


@reports_required
@require_GET
def reports(request):
    filters, error = _filters(request)
    context = _form_context(request, filters, error)
    if filters is not None:
        context.update(_dashboard(request, filters))
    if request.htmx and request.htmx.target == "reports-main":
        return render(request, "web/reports/_main.html", context)
    return render(request, "web/reports/dashboard.html", context)


# --- Drill-down -----------------------------------------------------------------------------


def _bounded(request, name: str, highest: int) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > highest:
        raise ValidationError("Not valid.", field=name)
    return int(raw)


def _chosen(request, filters: ReportFilters) -> list[str]:
    """The filters besides the dates, named, for the heading of the list."""
    actor = request.user
    chosen = []
    if filters.store_id is not None:
        store = store_list(actor=actor).filter(pk=filters.store_id).first()
        chosen.append((_("Store"), store.name if store else f"#{filters.store_id}"))
    if filters.channel:
        chosen.append((_("Channel"), str(labels.channel(filters.channel))))
    if filters.team_id is not None:
        team = team_list().filter(pk=filters.team_id).first()
        chosen.append((_("Team"), team.name if team else f"#{filters.team_id}"))
    if filters.agent_id is not None:
        agent = agent_list(actor=actor).filter(pk=filters.agent_id).first()
        chosen.append((_("Agent"), str(agent) if agent else f"#{filters.agent_id}"))
    if filters.language:
        chosen.append((_("Language"), filters.language))
    if filters.tag:
        chosen.append((_("Tag"), filters.tag))
    return [_labelled(label, value) for label, value in chosen]


@reports_required
@require_GET
def report_conversations(request):
    """The conversations behind one number of the dashboard, 50 a page, newest first."""
    filters, error = _filters(request)
    metric = request.GET.get("metric", "")[:40]
    context = {"nav": "reports", "metric": metric, "metric_label": labels.metric(metric)}
    if filters is not None:
        try:
            weekday = _bounded(request, "weekday", 6)
            hour = _bounded(request, "hour", 23)
            topic = _bounded(request, "topic", 2**62)
            window = _bounded(request, "window", 30)
            ids = selectors.report_conversation_ids(
                actor=request.user,
                filters=filters,
                metric=metric,
                weekday=weekday,
                hour=hour,
                topic_id=topic,
                window_days=window,
            )
        except ValidationError as exc:
            error = _error(exc)
    if error is not None:
        context["error"] = error
        return render(request, "web/reports/conversations.html", context)
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        {
            "filters": filters,
            "page": page,
            "rows": conversations_by_ids(actor=request.user, ids=page.object_list),
            "when": _cell(weekday, hour),
            "chosen": _chosen(request, filters),
            "page_query": query.urlencode(),
            "back": f"{reverse('reports')}?{_query(filters.as_query())}",
        }
    )
    return render(request, "web/reports/conversations.html", context)


# --- Exports --------------------------------------------------------------------------------


@reports_required
@require_GET
def report_export(request, table: str):
    """One table of the dashboard as a CSV download, for the same filters."""
    if table not in exports.TABLES:
        raise Http404
    filters, error = _filters(request)
    if error is not None:
        return HttpResponse(error.text, status=400, content_type="text/plain; charset=utf-8")
    report_name, build = exports.TABLES[table]
    report = REPORTS[report_name](actor=request.user, filters=filters)
    # The byte-order mark tells spreadsheets the file is UTF-8 (names in Chinese, Croatian).
    response = HttpResponse(
        "\ufeff" + exports.to_csv(build(report)), content_type="text/csv; charset=utf-8"
    )
    name = exports.filename(table, filters.start, filters.end)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
