"""The reports' tables as CSV: pure functions from a report (what a selector returned) to a
header and rows, and the CSV text.

Every cell goes through :func:`csv_safe`: a spreadsheet runs a cell that starts with ``=``,
``+``, ``-`` or ``@`` (or a tab or carriage return before one) as a formula, and names of
teams, agents or channels are typed by people. Durations are in seconds and rates are
fractions (0.25 = 25 %), so a spreadsheet can compute with them.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Sequence
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from storedesk.analytics import labels
from storedesk.analytics.totals import HEADLINES

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """``value`` as a cell no spreadsheet will run: text starting with a formula character
    gets a leading single quote; numbers stay numbers; ``None`` is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


@dataclasses.dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list]


def to_csv(table: Table) -> str:
    """The table as CSV text (every cell made safe, header included)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_safe(cell) for cell in table.header])
    for row in table.rows:
        writer.writerow([csv_safe(cell) for cell in row])
    return out.getvalue()


def _at(data: dict, path: Sequence[str]):
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


# --- Tables ---------------------------------------------------------------------------------


def overview_table(report: dict) -> Table:
    """The headline numbers: this period, the previous one and the relative change."""
    rows = [
        [
            str(labels.HEADLINES.get(key, key)),
            _at(report["current"], path),
            _at(report["previous"], path),
            report["change"].get(key),
        ]
        for key, path in HEADLINES.items()
    ]
    return Table([_("Metric"), _("This period"), _("Previous period"), _("Change")], rows)


def daily_table(report: dict) -> Table:
    """Per day (``report_overview``'s series)."""
    rows = [
        [p["day"], p["created"], p["resolved"], p["backlog"], p["messages_in"], p["messages_out"]]
        for p in report["series"]
    ]
    header = [
        _("Day"),
        _("Started"),
        pgettext("count", "Resolved"),
        _("Open at the end of the day"),
        _("Messages received"),
        _("Replies sent"),
    ]
    return Table(header, rows)


def distribution_table(report: dict) -> Table:
    """How many first responses (or resolutions) took how long, in calendar time and in
    business hours (``report_response_times`` or ``report_resolution``)."""
    current = report["current"]
    rows = [
        [labels.band(key), count, current["business_bands"].get(key, 0)]
        for key, count in current["bands"].items()
    ]
    return Table([_("Time taken"), _("Calendar time"), _("Business hours")], rows)


def busiest_hours_table(report: dict) -> Table:
    """Conversations started per weekday (rows) and local hour (columns)."""
    header = [_("Weekday"), *(f"{hour:02d}:00" for hour in range(24))]
    rows = [
        [str(labels.WEEKDAY_NAMES[weekday]), *counts]
        for weekday, counts in enumerate(report["conversations"])
    ]
    return Table(header, rows)


def _performance_header(first: str) -> list[str]:
    return [
        first,
        _("Conversations"),
        _("First responses"),
        _("First response median (seconds)"),
        _("First response median in business hours (seconds)"),
        pgettext("count", "Resolved"),
        _("Resolution median (seconds)"),
        _("Resolution rate"),
        _("Reopen rate"),
        _("One-touch rate"),
    ]


def _performance(row: dict) -> list:
    return [
        row["conversations"],
        row["first_responses"],
        row["first_response_median_seconds"],
        row["first_response_business_median_seconds"],
        row["resolved"],
        row["resolution_median_seconds"],
        row["resolution_rate"],
        row["reopen_rate"],
        row["one_touch_rate"],
    ]


def agents_table(report: dict) -> Table:
    rows = [
        [row["name"] or _("Unassigned"), *_performance(row), row["replies"]]
        for row in report["agents"]
    ]
    return Table([*_performance_header(_("Agent")), _("Replies written")], rows)


def teams_table(report: dict) -> Table:
    rows = [[row["name"] or _("No team"), *_performance(row)] for row in report["teams"]]
    return Table(_performance_header(_("Team")), rows)


def repeat_contacts_table(report: dict) -> Table:
    """The latest customers back with the same issue."""
    rows = [
        [
            row["conversation_id"],
            row["subject"],
            row["contact_name"],
            row["channel"],
            row["created_at"],
            row["earlier_id"],
            row["earlier_subject"],
            row["days_after"],
            row["reason"],
            row["detail"],
        ]
        for row in report["list"]
    ]
    header = [
        _("Conversation"),
        _("Subject"),
        _("Customer"),
        _("Channel"),
        _("Started"),
        _("Earlier conversation"),
        _("Earlier subject"),
        _("Days after the resolution"),
        _("Why"),
        _("Shared"),
    ]
    return Table(header, rows)


def topics_table(report: dict) -> Table:
    """The topics of the period with their counts and shares."""
    rows = [
        [
            row["label"],
            ", ".join(row["terms"]),
            row["intent"],
            row["conversations"],
            row["previous"],
            row["change"],
            row["complaints"],
            row["complaint_share"],
            row["negative"],
        ]
        for row in report["topics"]
    ]
    header = [
        _("Topic"),
        _("Words"),
        _("Intent"),
        _("Conversations"),
        _("Previous period"),
        _("Change"),
        _("Complaints"),
        _("Complaint share"),
        _("Strong negative sentiment"),
    ]
    return Table(header, rows)


# Export name → (the report it reads, as a key of REPORTS in the view, and the table).
TABLES: dict[str, tuple[str, Callable[[dict], Table]]] = {
    "overview": ("overview", overview_table),
    "daily": ("overview", daily_table),
    "response-times": ("response_times", distribution_table),
    "resolution": ("resolution", distribution_table),
    "busiest-hours": ("busiest_hours", busiest_hours_table),
    "agents": ("agents", agents_table),
    "teams": ("teams", teams_table),
    "repeat-contacts": ("repeat_contacts", repeat_contacts_table),
    "topics": ("complaints", topics_table),
}


def filename(table: str, start, end) -> str:
    """A download name of plain characters only: ``storedesk-<table>-<start>-<end>.csv``."""
    safe = "".join(c for c in table if c.isascii() and (c.isalnum() or c == "-")) or "report"
    return f"storedesk-{safe}-{start.isoformat()}-{end.isoformat()}.csv"
