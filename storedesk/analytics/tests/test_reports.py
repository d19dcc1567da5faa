"""Every report against numbers worked out by hand from the history in conftest.py."""

import datetime as dt

import pytest

from storedesk.accounts.enums import Role
from storedesk.analytics import selectors
from storedesk.analytics.filters import ReportFilters
from storedesk.analytics.models import ROLLUP_FORMAT, ConversationFact, RefreshState
from storedesk.analytics.services import analytics_refresh
from storedesk.conversations.services import conversation_tag
from storedesk.core.errors import PermissionDenied
from storedesk.core.testing import AgentFactory

H = 3600


def week(history, **fields) -> ReportFilters:
    return ReportFilters(
        start=dt.date(2026, 10, 23), end=dt.date(2026, 10, 27), store_id=history.store.pk, **fields
    )


@pytest.fixture
def refreshed(history):
    analytics_refresh()
    return history


def test_facts_carry_calendar_and_business_durations_across_the_weekend_and_dst(refreshed):
    a = ConversationFact.objects.get(conversation=refreshed.conversations["A"])
    # Friday 16:00 CEST (14:00 UTC) to Monday 10:00 CET (09:00 UTC): 67 hours, of which the
    # shop was open one hour on Friday and one on Monday.
    assert a.first_response_seconds == 67 * H
    assert a.first_response_business_seconds == 2 * H
    assert a.resolution_seconds == 69 * H
    assert a.resolution_business_seconds == 4 * H
    assert (a.created_day, a.created_hour) == (dt.date(2026, 10, 23), 16)
    assert a.first_response_day == a.resolved_day == dt.date(2026, 10, 26)
    assert a.first_responder_id == refreshed.ana.pk
    d = ConversationFact.objects.get(conversation=refreshed.conversations["D"])
    assert (d.messages_in, d.agent_replies, d.reopened_count) == (2, 2, 1)
    c = ConversationFact.objects.get(conversation=refreshed.conversations["C"])
    assert c.first_response_seconds is None and c.resolved_day is None


def test_overview_numbers(refreshed):
    report = selectors.report_overview(actor=refreshed.supervisor, filters=week(refreshed))
    now = report["current"]
    assert now["conversations"] == 4
    assert (now["messages_in"], now["messages_out"]) == (5, 4)
    frt = now["first_response"]
    assert frt["count"] == 3
    # 10 min, 20 min, 67 h: the median is the 2nd, p90 the 3rd.
    assert (frt["median_seconds"], frt["p90_seconds"], frt["mean_seconds"]) == (
        1200,
        67 * H,
        (600 + 1200 + 67 * H) // 3,
    )
    assert frt["business"] == {"median_seconds": 1200, "p90_seconds": 2 * H, "mean_seconds": 3000}
    assert frt["bands"] == {
        "lt_5m": 0,
        "lt_15m": 1,
        "lt_1h": 1,
        "lt_4h": 0,
        "lt_24h": 0,
        "lt_3d": 1,
        "gte_3d": 0,
    }
    res = now["resolution"]
    assert (res["count"], res["median_seconds"], res["p90_seconds"]) == (3, 2 * H, 69 * H)
    assert res["business"]["median_seconds"] == 2 * H
    assert res["business"]["p90_seconds"] == 4 * H
    assert now["resolved"] == 3
    assert now["resolution_rate"] == 0.75
    assert now["reopen_rate"] == 0.3333
    assert now["one_touch_rate"] == 0.6667
    assert report["by_channel"] == {"api": 2, "webform": 2}
    assert [(p["day"], p["created"], p["resolved"], p["backlog"]) for p in report["series"]] == [
        ("2026-10-23", 1, 0, 1),
        ("2026-10-24", 0, 0, 1),
        ("2026-10-25", 0, 0, 1),
        ("2026-10-26", 2, 2, 1),
        ("2026-10-27", 1, 1, 1),
    ]
    assert report["previous"]["conversations"] == 0
    assert report["change"]["conversations"] is None  # nothing to compare with


def test_previous_period_and_change(refreshed):
    # 26-27 October against 24-25 October: 3 conversations against none; 25-26 against
    # 23-24: 2 against 1, up 100 %.
    filters = ReportFilters(
        start=dt.date(2026, 10, 25), end=dt.date(2026, 10, 26), store_id=refreshed.store.pk
    )
    report = selectors.report_overview(actor=refreshed.supervisor, filters=filters)
    assert report["period"]["previous_start"] == "2026-10-23"
    assert report["current"]["conversations"] == 2
    assert report["previous"]["conversations"] == 1
    assert report["change"]["conversations"] == 1.0
    # The backlog carried into the period: A, started on Friday, still open on Sunday.
    assert report["series"][0]["backlog"] == 1


def test_filters_by_language_channel_agent_and_team(refreshed):
    s = refreshed.supervisor
    hr = selectors.report_overview(actor=s, filters=week(refreshed, language="hr"))["current"]
    assert (hr["conversations"], hr["resolved"]) == (2, 2)
    form = selectors.report_overview(actor=s, filters=week(refreshed, channel="webform"))
    assert form["current"]["conversations"] == 2
    ana = selectors.report_overview(actor=s, filters=week(refreshed, agent_id=refreshed.ana.pk))
    assert ana["current"]["first_response"]["median_seconds"] == 1200
    team = selectors.report_overview(actor=s, filters=week(refreshed, team_id=refreshed.team.pk))
    assert team["current"]["conversations"] == 2


def tag(history, name: str, *keys: str) -> None:
    """Tag conversations as agents do (the service stamps them changed), then refresh."""
    for key in keys:
        conversation_tag(conversation=history.conversations[key], actor=None, add=[name])
    analytics_refresh()


@pytest.mark.parametrize("rollup_format", [ROLLUP_FORMAT, 0])
def test_tag_filter_counts_the_tagged_conversations(refreshed, rollup_format):
    tag(refreshed, "refund", "B", "D")
    # The tag's rollups, or the tagged conversations' facts while rollups are rebuilt.
    RefreshState.objects.update(rollup_format=rollup_format)
    report = selectors.report_overview(
        actor=refreshed.supervisor, filters=week(refreshed, tag="Refund")
    )
    now = report["current"]
    assert (now["conversations"], now["resolved"], now["first_response"]["count"]) == (2, 2, 2)
    assert now["first_response"]["median_seconds"] == 600
    assert now["reopen_rate"] == 0.5
    assert [p["backlog"] for p in report["series"]] == [0, 0, 0, 0, 0]


def test_every_store_together_and_the_other_store_alone(refreshed):
    both = ReportFilters(start=dt.date(2026, 10, 23), end=dt.date(2026, 10, 27))
    report = selectors.report_overview(actor=refreshed.supervisor, filters=both)
    assert report["current"]["conversations"] == 5
    other = ReportFilters(start=both.start, end=both.end, store_id=refreshed.other_store.pk)
    report = selectors.report_overview(actor=refreshed.supervisor, filters=other)
    assert report["current"]["conversations"] == 1
    assert report["current"]["first_response"]["median_seconds"] == 300


def test_response_times_per_day(refreshed):
    report = selectors.report_response_times(actor=refreshed.supervisor, filters=week(refreshed))
    by_day = {p["day"]: p for p in report["series"]}
    assert by_day["2026-10-26"]["count"] == 2
    # Monday: B after 10 minutes, A after 67 hours (2 business hours).
    assert by_day["2026-10-26"]["median_seconds"] == 600
    assert by_day["2026-10-26"]["p90_seconds"] == 67 * H
    assert by_day["2026-10-26"]["business_median_seconds"] == 600
    assert by_day["2026-10-24"]["median_seconds"] is None


def test_resolution_report(refreshed):
    report = selectors.report_resolution(actor=refreshed.supervisor, filters=week(refreshed))
    assert report["resolved"] == {
        "resolved": 3,
        "resolution_rate": 0.75,
        "reopen_rate": 0.3333,
        "one_touch_rate": 0.6667,
        "one_touch": 2,
    }
    assert [p["backlog"] for p in report["series"]] == [1, 1, 1, 1, 1]
    assert report["series"][3]["median_seconds"] == H  # Monday: B (1 h) and A (69 h)


def test_busiest_hours_with_coverage_and_gaps(refreshed):
    report = selectors.report_busiest_hours(actor=refreshed.supervisor, filters=week(refreshed))
    cells = {
        (w, h): n for w, row in enumerate(report["conversations"]) for h, n in enumerate(row) if n
    }
    assert cells == {(4, 16): 1, (0, 9): 1, (0, 20): 1, (1, 9): 1}
    covered = {
        (w, h): n for w, row in enumerate(report["agents_per_day"]) for h, n in enumerate(row) if n
    }
    # Ivo replied on Monday at 9, Ana on Monday at 10 and on Tuesday at 9 and 10.
    assert covered == {(0, 9): 1.0, (0, 10): 1.0, (1, 9): 1.0, (1, 10): 1.0}
    assert [(g["weekday"], g["hour"]) for g in report["gaps"]] == [(0, 20), (4, 16)]


def test_agents_and_teams(refreshed):
    report = selectors.report_agents(actor=refreshed.supervisor, filters=week(refreshed))
    rows = {row["name"] or None: row for row in report["agents"]}
    assert rows["Ana"]["conversations"] == 2
    assert rows["Ana"]["resolved"] == 2
    assert rows["Ana"]["replies"] == 3
    assert rows["Ana"]["first_response_median_seconds"] == 1200
    # Ivo's reply in the other store is not this store's.
    assert (rows["Ivo"]["conversations"], rows["Ivo"]["replies"]) == (1, 1)
    assert rows[None]["conversations"] == 1  # C, unassigned
    assert report["agents"][-1]["agent_id"] is None
    teams = selectors.report_teams(actor=refreshed.supervisor, filters=week(refreshed))
    by_name = {row["name"]: row for row in teams["teams"]}
    assert by_name["Front line"]["conversations"] == 2
    assert by_name[""]["conversations"] == 2


@pytest.mark.parametrize("role", [Role.AGENT, Role.RESTRICTED])
def test_reports_are_for_admins_and_supervisors(refreshed, role):
    agent = AgentFactory(role=role, stores=[refreshed.store])
    with pytest.raises(PermissionDenied):
        selectors.report_overview(actor=agent, filters=week(refreshed))
    admin = AgentFactory(role=Role.ADMIN)
    assert selectors.report_overview(actor=admin, filters=week(refreshed))["current"]


def test_the_dashboard_reads_what_the_separate_reports_return(refreshed):
    from storedesk.analytics import issue_selectors

    filters = week(refreshed)
    lead = refreshed.supervisor
    dashboard = selectors.report_dashboard(actor=lead, filters=filters)
    assert dashboard["overview"] == selectors.report_overview(actor=lead, filters=filters)
    assert dashboard["agents"] == selectors.report_agents(actor=lead, filters=filters)
    assert dashboard["teams"] == selectors.report_teams(actor=lead, filters=filters)
    assert dashboard["busiest_hours"] == selectors.report_busiest_hours(actor=lead, filters=filters)
    assert dashboard["complaints"] == issue_selectors.report_complaints(actor=lead, filters=filters)
    tagged = week(refreshed, tag="refund")
    assert selectors.report_dashboard(actor=lead, filters=tagged)["agents"] == (
        selectors.report_agents(actor=lead, filters=tagged)
    )


def test_a_tag_on_every_conversation_counts_what_the_rollups_count(refreshed):
    # The tag filter counts over facts in SQL, the rest over rollups: apart from messages
    # (facts count them on the conversation's first day, rollups on each message's day) and
    # the backlog before the period, the two must agree number for number.
    tag(refreshed, "all", *refreshed.conversations)
    s = refreshed.supervisor
    plain = selectors.report_dashboard(actor=s, filters=week(refreshed))
    tagged = selectors.report_dashboard(actor=s, filters=week(refreshed, tag="all"))
    message_counts = {"messages_in", "messages_out", "replies"}

    def without_messages(summary: dict) -> dict:
        return {k: v for k, v in summary.items() if k not in message_counts}

    for period in ("current", "previous"):
        assert without_messages(tagged["overview"][period]) == without_messages(
            plain["overview"][period]
        )
    assert [without_messages(r) for r in tagged["agents"]["agents"]] == [
        without_messages(r) for r in plain["agents"]["agents"]
    ]
    assert [without_messages(r) for r in tagged["teams"]["teams"]] == [
        without_messages(r) for r in plain["teams"]["teams"]
    ]
    assert tagged["overview"]["current"]["conversations"] > 0


def _every_report(lead, filters) -> dict:
    dashboard = selectors.report_dashboard(actor=lead, filters=filters)
    dashboard["overview"].pop("refreshed_at")  # moves with every refresh
    return {
        "dashboard": dashboard,
        "response_times": selectors.report_response_times(actor=lead, filters=filters),
        "resolution": selectors.report_resolution(actor=lead, filters=filters),
    }


@pytest.mark.parametrize(
    "fields",
    [{}, {"language": "hr"}, {"agent_id": "ana"}, {"channel": "api"}, {"tag": "Refund"}],
)
def test_distributions_from_the_rollups_are_those_counted_from_the_facts(refreshed, fields):
    from storedesk.analytics.models import DailyRollup

    if fields.get("agent_id") == "ana":
        fields = {"agent_id": refreshed.ana.pk}
    if "tag" in fields:
        tag(refreshed, "refund", "A", "B", "D")
    lead, filters = refreshed.supervisor, week(refreshed, **fields)
    assert RefreshState.objects.get().rollup_format == ROLLUP_FORMAT
    assert DailyRollup.objects.filter(distributions__isnull=False).exists()
    from_rollups = _every_report(lead, filters)
    RefreshState.objects.update(rollup_format=0)  # as during an upgrade: facts are counted
    from_facts = _every_report(lead, filters)
    assert from_rollups == from_facts
    resolution = from_rollups["resolution"]["current"]
    assert resolution["count"] > 0 and resolution["median_seconds"] is not None


def test_rollups_from_before_distributions_are_rebuilt_and_reports_stay_right(refreshed):
    from storedesk.analytics.models import DailyRollup

    lead, filters = refreshed.supervisor, week(refreshed)
    expected = _every_report(lead, filters)
    # What an upgrade finds: rollup rows without distributions, an earlier format.
    DailyRollup.objects.update(distributions=None)
    RefreshState.objects.update(rollup_format=0)
    assert _every_report(lead, filters) == expected  # counted from the facts meanwhile

    outcome = analytics_refresh()
    assert outcome.days == DailyRollup.objects.values("store_id", "day").distinct().count()
    assert not DailyRollup.objects.filter(distributions__isnull=True).exists()
    assert RefreshState.objects.get().rollup_format == ROLLUP_FORMAT
    assert _every_report(lead, filters) == expected


def test_packed_distributions_add_up_per_group():
    from collections import Counter

    import numpy as np

    from storedesk.analytics.totals import (
        DISTRIBUTIONS,
        Totals,
        pack_distributions,
        sum_distributions,
    )

    rows = [
        {"resolution_hist": Counter({0: 2, 403: 1}), "handoffs": Counter({"unsure": 3})},
        {"resolution_hist": Counter({0: 5}), "first_response_hist": Counter({7: 1})},
        {},
        {"handoffs": Counter({"order_change": 1, "unsure": 1})},
    ]
    packed = [pack_distributions(r) for r in rows]
    assert packed[2] == b""
    summed = sum_distributions(packed, np.array([0, 1, 0, 0]), 2)
    assert summed.shape[:2] == (2, len(DISTRIBUTIONS))
    first, second = Totals().add_dense(summed[0]), Totals().add_dense(summed[1])
    assert first.histograms["resolution_hist"] == {0: 2, 403: 1}
    assert first.handoffs == {"unsure": 4, "order_change": 1}
    assert second.histograms["resolution_hist"] == {0: 5}
    assert second.histograms["first_response_hist"] == {7: 1}
    assert not second.handoffs


def test_handoff_reasons_are_packed_by_their_place_in_the_assistants_list():
    from storedesk.analytics.totals import HANDOFF_REASONS
    from storedesk.assistant.models import HandoffReason

    assert tuple(HandoffReason.values) == HANDOFF_REASONS
