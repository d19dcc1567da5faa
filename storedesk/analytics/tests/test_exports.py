"""CSV exports: formula-safe cells and the tables built from reports."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import translation

from storedesk.analytics import exports


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Front line", "Front line"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (12, 12),
        (-3, -3),
        (0.25, 0.25),
        (-0.5, -0.5),
        (Decimal("1.5"), Decimal("1.5")),
    ],
)
def test_csv_safe(value, safe):
    result = exports.csv_safe(value)
    assert result == safe
    assert type(result) is type(safe)


def read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_every_cell_is_made_safe_header_included():
    table = exports.Table(["=name", "n"], [["=cmd|' /C calc'!A0", -1], ["-x", 2.5]])
    rows = read(exports.to_csv(table))
    assert rows == [["'=name", "n"], ["'=cmd|' /C calc'!A0", "-1"], ["'-x", "2.5"]]


def performance(**fields):
    row = {
        "conversations": 2,
        "first_responses": 2,
        "first_response_median_seconds": 1200,
        "first_response_business_median_seconds": 600,
        "resolved": 2,
        "resolution_median_seconds": 7200,
        "resolution_rate": 1.0,
        "reopen_rate": 0.5,
        "one_touch_rate": 0.5,
    }
    return {**row, **fields}


def test_agents_and_teams_tables():
    with translation.override("en"):
        agents = exports.agents_table(
            {
                "agents": [
                    performance(agent_id=1, name="Ana", replies=3),
                    performance(agent_id=None, name="", replies=0, conversations=1),
                ]
            }
        )
        teams = exports.teams_table({"teams": [performance(team_id=4, name="@team")]})
    assert agents.header[0] == "Agent" and agents.header[-1] == "Replies written"
    assert agents.rows[0] == ["Ana", 2, 2, 1200, 600, 2, 7200, 1.0, 0.5, 0.5, 3]
    assert agents.rows[1][0] == "Unassigned"
    assert read(exports.to_csv(teams))[1][0] == "'@team"


def test_overview_table():
    current = {
        "conversations": 4,
        "messages_in": 5,
        "first_response": {"median_seconds": 1200, "business": {"median_seconds": 600}},
        "resolution": {"median_seconds": 7200},
        "resolved": 3,
        "resolution_rate": 0.75,
        "reopen_rate": 0.3333,
        "one_touch_rate": 0.6667,
        "assistant": {"deflection_rate": None},
        "complaint_share": 0.0,
    }
    previous = {**current, "conversations": 2}
    change = {"conversations": 1.0, "resolved": None}
    with translation.override("en"):
        table = exports.overview_table({"current": current, "previous": previous, "change": change})
    rows = {row[0]: row[1:] for row in table.rows}
    assert table.header == ["Metric", "This period", "Previous period", "Change"]
    assert rows["Conversations"] == [4, 2, 1.0]
    assert rows["First response median in business hours (seconds)"] == [600, 600, None]
    assert rows["Assistant deflection rate"] == [None, None, None]


def test_busiest_hours_table_has_weekdays_as_rows_and_hours_as_columns():
    counts = [[0] * 24 for _ in range(7)]
    counts[0][9] = 3
    with translation.override("hr"):
        table = exports.busiest_hours_table({"conversations": counts})
    assert table.header[1] == "00:00" and table.header[-1] == "23:00"
    assert len(table.rows) == 7
    assert table.rows[0][0] == "Ponedjeljak"
    assert table.rows[0][10] == 3


def test_filename_is_plain():
    start, end = dt.date(2026, 10, 23), dt.date(2026, 10, 27)
    assert exports.filename("agents", start, end) == "storedesk-agents-2026-10-23-2026-10-27.csv"
    assert exports.filename('x"; y\r\n', start, end) == "storedesk-xy-2026-10-23-2026-10-27.csv"
