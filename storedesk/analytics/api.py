"""``/api/v1/reports``: the dashboard's numbers as JSON. Entry points only: parse the
filters, call one selector. Every report takes the same query parameters."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from storedesk.analytics import issue_selectors, selectors
from storedesk.analytics.filters import parse_filters
from storedesk.core.schemas import ERROR_RESPONSES, id_filter

router = Router(tags=["reports"])


class ReportQuery(Schema):
    start: dt.date | None = Field(None, description="First local day (default: 30 days ago).")
    end: dt.date | None = Field(None, description="Last local day, inclusive (default: today).")
    store: int | None = id_filter("Store id.")
    inbox: int | None = id_filter("Inbox id.")
    channel: str | None = Field(None, max_length=20, description="Inbox kind, e.g. email.")
    team: int | None = id_filter("Team id.")
    agent: int | None = id_filter("Assignee id.")
    language: str | None = Field(None, max_length=16)
    tag: str | None = Field(None, max_length=60)
    window: int | None = Field(
        None, ge=1, le=30, description="Repeat contacts: days after a resolution (default 7)."
    )


def _filters(query: ReportQuery):
    params = {
        k: (v.isoformat() if isinstance(v, dt.date) else str(v))
        for k, v in query.dict().items()
        if v is not None
    }
    return parse_filters(params)


REPORTS = {
    "overview": selectors.report_overview,
    "response-times": selectors.report_response_times,
    "resolution": selectors.report_resolution,
    "busiest-hours": selectors.report_busiest_hours,
    "agents": selectors.report_agents,
    "teams": selectors.report_teams,
    "repeat-contacts": issue_selectors.report_repeat_contacts,
    "complaints": issue_selectors.report_complaints,
}


def _endpoint(name: str, report):
    def view(request: HttpRequest, query: Query[ReportQuery]):
        extra = {"window_days": query.window} if name == "repeat-contacts" else {}
        return report(actor=request.auth, filters=_filters(query), **extra)

    view.__name__ = f"report_{name.replace('-', '_')}"
    view.__doc__ = report.__doc__
    router.add_api_operation(f"/{name}", ["GET"], view, response={200: dict, **ERROR_RESPONSES})


for _name, _report in REPORTS.items():
    _endpoint(_name, _report)
