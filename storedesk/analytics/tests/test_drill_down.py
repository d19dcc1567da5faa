"""Every number leads to the conversations behind it, within the actor's scope."""

import datetime as dt

import pytest

from storedesk.analytics import selectors
from storedesk.analytics.filters import ReportFilters
from storedesk.analytics.services import analytics_refresh
from storedesk.core.errors import ValidationError

START, END = dt.date(2026, 10, 23), dt.date(2026, 10, 27)


@pytest.fixture
def h(history):
    analytics_refresh()
    return history


def ids(h, metric, store=True, **kwargs):
    filters = ReportFilters(start=START, end=END, store_id=h.store.pk if store else None)
    found = selectors.report_conversation_ids(
        actor=h.supervisor, filters=filters, metric=metric, **kwargs
    )
    names = {c.pk: name for name, c in h.conversations.items()}
    return sorted(names.get(pk, "other") for pk in found)


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("created", ["A", "B", "C", "D"]),
        ("first_responses", ["A", "B", "D"]),
        ("resolved", ["A", "B", "D"]),
        ("reopened", ["D"]),
        ("one_touch", ["A", "B"]),
        ("unresolved", ["C"]),
        ("backlog", ["C"]),
        ("complaints", []),
    ],
)
def test_numbers_lead_to_their_conversations(h, metric, expected):
    assert ids(h, metric) == expected


def test_a_heatmap_cell(h):
    assert ids(h, "created", weekday=0, hour=9) == ["B"]


def test_every_store_includes_the_other_one(h):
    assert ids(h, "resolved", store=False) == ["A", "B", "D", "other"]


def test_unknown_metric(h):
    with pytest.raises(ValidationError):
        ids(h, "secrets")
