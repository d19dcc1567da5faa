"""The reports pages against the hand-worked history of ``analytics/tests/conftest.py``: the
dashboard's numbers, who may see it, filters, drill-down, CSV exports and query counts."""

import csv
import html
import io
import re

import pytest
from django.test import Client

from storedesk.accounts.enums import Role
from storedesk.analytics.services import analytics_refresh
from storedesk.analytics.tests.conftest import local, write_conversation
from storedesk.core.testing import (
    AgentFactory,
    ContactFactory,
    StoreFactory,
    TeamFactory,
    make_inbox,
)

pytestmark = pytest.mark.django_db

WEEK = {"start": "2026-10-23", "end": "2026-10-27"}


@pytest.fixture
def refreshed(history):
    analytics_refresh()
    return history


@pytest.fixture
def lead(refreshed):
    client = Client()
    client.force_login(refreshed.supervisor)
    return client


def page(client, path="/reports/", **params):
    response = client.get(path, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def cards(text: str) -> dict[str, str]:
    return dict(re.findall(r'data-metric="(\w+)">([^<]*)</a>', text))


def card_link(text: str, key: str) -> str:
    match = re.search(rf'<a href="([^"]+)" title="[^"]*" data-metric="{key}">', text)
    return html.unescape(match.group(1))


def listed(text: str) -> list[int]:
    """The conversations a drill-down page lists, in order."""
    return [int(pk) for pk in re.findall(r'<a href="/c/(\d+)/">', text)]


def ids(history, *names) -> list[int]:
    return [history.conversations[name].pk for name in names]


def rows_of(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# --- The dashboard --------------------------------------------------------------------------


def test_dashboard_shows_the_hand_worked_numbers(refreshed, lead):
    text = page(lead, **WEEK, store=refreshed.store.pk)
    assert cards(text) == {
        "conversations": "4",
        "first_response": "20 min",
        "resolution": "2 h",
        "resolved": "3",
        "resolution_rate": "75%",
        "reopen_rate": "33%",
        "one_touch_rate": "67%",
        "deflection_rate": "—",
        "complaint_share": "0%",
    }
    # The business-hours median beside the calendar one; nothing to compare with before.
    assert "in business hours:</small> <strong>20 min</strong>" in text
    assert "Nothing to compare with in the previous period" in text
    # The distributions: p90 of the first response is A's 67 hours.
    assert "2 d 19 h" in text
    assert 'id="chart-daily"' in text and 'id="chart-first-response"' in text
    assert "<title>October 26 · Started: 2</title>" in text
    # Channels, the heatmap and its gaps.
    assert re.search(r"API: <a [^>]+>2</a>", text)
    assert re.search(r"Contact form: <a [^>]+>2</a>", text)
    assert "weekday=0&amp;hour=9" in text
    assert re.search(r"Monday 20:00–21:00: <a [^>]+>1 a day</a>", text)
    assert re.search(r"Friday 16:00–17:00: <a [^>]+>1 a day</a>", text)
    # The agents' table: Ana owns A and D.
    ana = re.search(rf'agent={refreshed.ana.pk}">(\d+)</a>', text)
    assert ana.group(1) == "2"
    assert "Front line" in text
    # Each table has its CSV.
    for table in ("overview", "daily", "response-times", "resolution", "busiest-hours", "agents"):
        assert f"/reports/export/{table}.csv?start=2026-10-23" in text
    assert '<a href="/reports/" aria-current="page">Reports</a>' in text


def test_numbers_are_in_the_agents_language(refreshed, lead):
    refreshed.supervisor.locale = "hr"
    refreshed.supervisor.save()
    text = page(lead, **WEEK, store=refreshed.store.pk)
    assert "Izvješća" in text and "Ponedjeljak" in text
    assert cards(text)["resolution_rate"] == "75\u00a0%"
    refreshed.supervisor.locale = "zh-hans"
    refreshed.supervisor.save()
    text = page(lead, **WEEK, store=refreshed.store.pk)
    assert cards(text)["first_response"] == "20 分钟"
    assert "星期一" in text


def test_htmx_filter_change_returns_the_main_part_only(refreshed, lead):
    response = lead.get(
        "/reports/",
        {**WEEK, "store": refreshed.store.pk},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="reports-main",
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text and 'class="cards"' in text


@pytest.mark.parametrize("role", [Role.AGENT, Role.RESTRICTED])
def test_reports_are_refused_to_agents(refreshed, role):
    client = Client()
    client.force_login(AgentFactory(role=role, stores=[refreshed.store]))
    for path in ("/reports/", "/reports/conversations", "/reports/export/agents.csv"):
        assert client.get(path, {**WEEK, "metric": "created"}).status_code == 403, path
    assert 'href="/reports/"' not in client.get("/inbox/").content.decode()


def test_reports_need_a_sign_in_and_are_open_to_administrators(refreshed):
    assert Client().get("/reports/").status_code == 302
    admin = Client()
    admin.force_login(AgentFactory(role=Role.ADMIN))
    assert 'href="/reports/"' in page(admin, "/inbox/")
    assert cards(page(admin, **WEEK))["conversations"] == "5"


def test_store_and_dates_change_the_numbers(refreshed, lead):
    assert cards(page(lead, **WEEK))["conversations"] == "5"  # both stores
    other = page(lead, **WEEK, store=refreshed.other_store.pk)
    assert cards(other)["conversations"] == "1"
    assert cards(other)["first_response"] == "5 min"
    text = page(lead, start="2026-10-26", end="2026-10-27", store=refreshed.store.pk)
    assert cards(text)["conversations"] == "3"
    assert 'name="start" value="2026-10-26"' in text
    # Against 24-25 October, when nothing started: no change to show.
    assert cards(page(lead, start="2026-10-25", end="2026-10-26"))["conversations"] == "3"
    text = page(lead, start="2026-10-24", end="2026-10-26", store=refreshed.store.pk)
    assert cards(text)["conversations"] == "2"
    assert "Last 7 days" in text and "Last 90 days" in text


def change_of(text: str, key: str) -> tuple[str, str]:
    """The tone and the shown change of a card."""
    after = text.split(f'data-metric="{key}">', 1)[1]
    match = re.search(
        r'<span class="change (\w+)"(?: title="[^"]*")?>'
        r'(?:<span aria-hidden="true">([^<]*)</span>|–)',
        after,
    )
    return match.group(1), match.group(2) or ""


def test_the_change_is_coloured_by_whether_it_is_good(refreshed, lead):
    # Tuesday 27 October against Monday 26: one conversation against two, the median
    # first response 20 min against 10 min, D resolved against A and B, D's two replies
    # against one each.
    text = page(lead, start="2026-10-27", end="2026-10-27", store=refreshed.store.pk)
    assert change_of(text, "conversations") == ("neutral", "↓ 50%")
    assert change_of(text, "first_response") == ("bad", "↑ 100%")
    assert change_of(text, "resolution") == ("bad", "↑ 100%")
    assert change_of(text, "resolved") == ("bad", "↓ 50%")
    assert change_of(text, "resolution_rate") == ("good", "↑ 100%")
    assert change_of(text, "one_touch_rate") == ("bad", "↓ 100%")
    assert change_of(text, "reopen_rate") == ("none", "")  # none reopened before
    assert "up 100% from the previous period" in text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-10-27", "end": "2026-10-23"}, "The start date is after the end date."),
        ({"start": "yesterday"}, "Use a date as YYYY-MM-DD."),
        ({"start": "2020-01-01", "end": "2026-10-27"}, "A report covers at most 366 days."),
        ({"store": "abc"}, "Store: This value is not valid."),
        ({"tag": "x" * 61}, "Tag: This is too long."),
    ],
)
def test_invalid_filters_give_a_message_not_an_error(refreshed, lead, params, message):
    text = page(lead, **params)
    assert message in text
    assert 'role="alert"' in text and 'class="cards"' not in text
    assert message in page(lead, "/reports/conversations", metric="created", **params)
    response = lead.get("/reports/export/agents.csv", params)
    assert response.status_code == 400 and message in response.content.decode()


def test_invalid_filters_are_marked_and_translated(refreshed, lead):
    text = page(lead, start="2026-10-27", end="2026-10-23")
    assert 'name="start" value="2026-10-27" aria-invalid="true"' in text
    refreshed.supervisor.locale = "hr"
    refreshed.supervisor.save()
    assert "Početni datum je nakon završnog." in page(lead, start="2026-10-27", end="2026-10-23")


# --- Drill-down -----------------------------------------------------------------------------


def test_every_card_drills_down_to_exactly_its_conversations(refreshed, lead):
    text = page(lead, **WEEK, store=refreshed.store.pk)
    expected = {
        "conversations": ("D", "C", "B", "A"),  # newest first
        "first_response": ("D", "B", "A"),
        "resolution": ("D", "B", "A"),
        "resolved": ("D", "B", "A"),
        "resolution_rate": ("C",),  # the ones not resolved yet
        "reopen_rate": ("D",),
        "one_touch_rate": ("B", "A"),
        "deflection_rate": (),
        "complaint_share": (),
    }
    for key, names in expected.items():
        drill = page(lead, card_link(text, key))
        assert listed(drill) == ids(refreshed, *names), key
        assert f"{len(names)} conversation" in drill


def test_heatmap_agent_and_team_cells_drill_down(refreshed, lead):
    store = refreshed.store.pk
    text = page(lead, **WEEK, store=store)
    cell = re.search(r'<a href="([^"]+weekday=0&amp;hour=9)"', text).group(1)
    drill = page(lead, html.unescape(cell))
    assert listed(drill) == ids(refreshed, "B")
    assert "Monday 09:00–10:00" in drill
    ana = re.search(rf'<a href="([^"]+metric=created[^"]+agent={refreshed.ana.pk})"', text)
    assert listed(page(lead, html.unescape(ana.group(1)))) == ids(refreshed, "D", "A")
    team = re.search(rf'<a href="([^"]+metric=resolved[^"]+team={refreshed.team.pk})"', text)
    drill = page(lead, html.unescape(team.group(1)))
    assert listed(drill) == ids(refreshed, "B", "A")
    assert "Team: Front line" in drill
    # A day of the daily table: the backlog at the end of Saturday is A.
    day = re.search(
        r'<a href="([^"]+metric=backlog&amp;start=2026-10-24&amp;end=2026-10-24[^"]*)"', text
    )
    assert listed(page(lead, html.unescape(day.group(1)))) == ids(refreshed, "A")


def test_drill_down_never_lists_another_stores_conversation(refreshed, lead):
    elsewhere = set(listed(page(lead, "/reports/conversations", metric="created", **WEEK)))
    own = set(ids(refreshed, "A", "B", "C", "D"))
    assert len(elsewhere - own) == 1  # without a store filter: both stores
    text = page(lead, "/reports/conversations", metric="created", store=refreshed.store.pk, **WEEK)
    assert set(listed(text)) == own
    text = page(
        lead, "/reports/conversations", metric="created", store=refreshed.other_store.pk, **WEEK
    )
    assert set(listed(text)) == elsewhere - own
    assert "Question" in text and refreshed.other_store.name in text


def test_drill_down_rejects_unknown_numbers_and_cells(refreshed, lead):
    assert "Number: This value is not valid." in page(
        lead, "/reports/conversations", metric="nonsense", **WEEK
    )
    assert "Weekday: This value is not valid." in page(
        lead, "/reports/conversations", metric="created", weekday="7", **WEEK
    )
    assert "Hour: This value is not valid." in page(
        lead, "/reports/conversations", metric="created", hour="-1", **WEEK
    )


def test_drill_down_pages_fifty_at_a_time(refreshed, lead):
    for i in range(55):
        write_conversation(
            inbox=refreshed.email,
            contact=ContactFactory(store=refreshed.store),
            language="en",
            created=local(28, 8 + i // 10, i % 10),
        )
    analytics_refresh()
    params = {"metric": "created", "start": "2026-10-28", "end": "2026-10-28"}
    first = page(lead, "/reports/conversations", **params)
    assert len(listed(first)) == 50
    assert "55 conversations" in first and "Page 1 of 2" in first
    second = page(lead, "/reports/conversations", **params, page=2)
    assert len(listed(second)) == 5
    assert len(set(listed(first)) | set(listed(second))) == 55
    assert 'rel="prev"' in second and 'rel="next"' not in second


# --- CSV ------------------------------------------------------------------------------------


def test_agents_csv(refreshed, lead):
    response = lead.get("/reports/export/agents.csv", {**WEEK, "store": refreshed.store.pk})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="storedesk-agents-2026-10-23-2026-10-27.csv"'
    )
    rows = rows_of(response)
    assert rows[0][:3] == ["Agent", "Conversations", "First responses"]
    by_name = {row[0]: row[1:] for row in rows[1:]}
    assert by_name["Ana"] == ["2", "2", "1200", "1200", "2", "7200", "1.0", "0.5", "0.5", "3"]
    assert by_name["Ivo"][0] == "1" and by_name["Ivo"][-1] == "1"
    assert by_name["Unassigned"][:2] == ["1", "0"]


def test_overview_and_busiest_hours_csv(refreshed, lead):
    params = {"start": "2026-10-25", "end": "2026-10-26", "store": refreshed.store.pk}
    rows = rows_of(lead.get("/reports/export/overview.csv", params))
    assert rows[0] == ["Metric", "This period", "Previous period", "Change"]
    by_name = {row[0]: row[1:] for row in rows[1:]}
    assert by_name["Conversations"] == ["2", "1", "1.0"]
    assert by_name["First response median (seconds)"][:2] == ["600", ""]
    rows = rows_of(
        lead.get("/reports/export/busiest-hours.csv", {**WEEK, "store": params["store"]})
    )
    assert rows[0][0] == "Weekday" and len(rows[0]) == 25
    assert rows[1][0] == "Monday" and rows[1][1 + 9] == "1" and rows[1][1 + 20] == "1"
    assert lead.get("/reports/export/secrets.csv", WEEK).status_code == 404


def test_every_export_downloads(refreshed, lead):
    for table in ("daily", "response-times", "resolution", "teams"):
        response = lead.get(f"/reports/export/{table}.csv", WEEK)
        assert response.status_code == 200, table
        assert response["Content-Disposition"].startswith("attachment;")
        assert len(rows_of(response)) > 1


def test_hostile_names_are_neutralised_in_csv_and_escaped_on_the_page(refreshed, lead):
    refreshed.team.name = '=HYPERLINK("http://x")'
    refreshed.team.save()
    rows = rows_of(lead.get("/reports/export/teams.csv", {**WEEK, "store": refreshed.store.pk}))
    assert rows[1][:2] == ['\'=HYPERLINK("http://x")', "2"]
    refreshed.ana.display_name = "<script>alert(1)</script>"
    refreshed.ana.save()
    text = page(lead, **WEEK, store=refreshed.store.pk)
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


# --- Cost -----------------------------------------------------------------------------------


def test_dashboard_query_count_does_not_grow(refreshed, lead, django_assert_max_num_queries):
    params = {"start": "2026-10-01", "end": "2026-10-31"}
    with django_assert_max_num_queries(60) as small:
        page(lead, **params)
    for i in range(12):
        store = StoreFactory(slug=f"more-{i}", time_zone="Europe/Zagreb")
        agent = AgentFactory(username=f"more{i}")
        write_conversation(
            inbox=make_inbox(store, "api", f"More {i}"),
            contact=ContactFactory(store=store),
            language="hr",
            created=local(10 + i, 9),
            replies=[(agent, local(10 + i, 10))],
            resolved=local(10 + i, 11),
            assignee=agent,
            team=TeamFactory(name=f"Team {i}"),
        )
    analytics_refresh()
    with django_assert_max_num_queries(len(small.captured_queries)):
        text = page(lead, **params)
    assert cards(text)["conversations"] == "17"
    with django_assert_max_num_queries(20) as small:
        page(lead, "/reports/conversations", metric="created", **params)
    assert len(small.captured_queries) <= 12
