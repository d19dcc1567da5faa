"""``/api/v1/reports``: the same numbers as the selectors, the same access rules, errors
that name the parameter."""

import pytest

from storedesk.accounts.enums import Role
from storedesk.analytics.services import analytics_refresh
from storedesk.core.testing import AgentFactory, JsonApi, assert_api_error

WEEK = {"start": "2026-10-23", "end": "2026-10-27"}
REPORTS = ["overview", "response-times", "resolution", "busiest-hours", "agents", "teams"]


@pytest.fixture
def api(history):
    analytics_refresh()
    return JsonApi(history.supervisor, "/api/v1/reports")


@pytest.mark.parametrize("name", REPORTS)
def test_every_report_answers_json(api, history, name):
    response = api.get(f"/{name}", {**WEEK, "store": history.store.pk})
    assert response.status_code == 200, response.content
    assert response.json()["period"]["start"] == "2026-10-23"


def test_overview_through_the_api(api, history):
    body = api.get("/overview", {**WEEK, "store": history.store.pk, "language": "hr"}).json()
    assert body["current"]["conversations"] == 2
    assert body["current"]["first_response"]["median_seconds"] == 600


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-10-28", "end": "2026-10-27"}, "start"),
        ({"start": "2025-01-01", "end": "2026-10-27"}, "start"),
        ({"end": "27.10.2026"}, "query.end"),
        ({"store": "abc"}, "query.store"),
        ({"channel": "x" * 21}, "query.channel"),
    ],
)
def test_bad_parameters_are_named(api, params, field):
    assert_api_error(api.get("/overview", params), 422, "validation_error", field)


@pytest.mark.parametrize("role", [Role.AGENT, Role.RESTRICTED])
def test_agents_get_403(history, role):
    agent = AgentFactory(role=role, stores=[history.store])
    response = JsonApi(agent, "/api/v1/reports").get("/overview", WEEK)
    assert_api_error(response, 403, "permission_denied")


def test_without_a_token_401(client):
    assert client.get("/api/v1/reports/overview").status_code == 401
