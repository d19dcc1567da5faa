"""The dashboard between refreshes: computed once per refresh version, read from the cache
after, never out of date once a refresh has changed the numbers."""

import datetime as dt

import pytest
from django.utils import timezone

from storedesk.accounts.enums import Role
from storedesk.analytics import dashboard, selectors
from storedesk.analytics.filters import ReportFilters, parse_filters
from storedesk.analytics.models import RefreshState
from storedesk.analytics.services import analytics_refresh
from storedesk.analytics.tasks import refresh_analytics
from storedesk.conversations import services
from storedesk.core.errors import PermissionDenied
from storedesk.core.testing import AgentFactory, StoreFactory, inbound, make_inbox


@pytest.fixture
def desk(db):
    store = StoreFactory()
    return {
        "store": store,
        "inbox": make_inbox(store, "api"),
        "admin": AgentFactory(username="boss", role=Role.ADMIN),
        "lead": AgentFactory(username="lead", role=Role.SUPERVISOR),
    }


def recent(store=None) -> ReportFilters:
    today = timezone.localdate()
    return ReportFilters(
        start=today - dt.timedelta(days=6), end=today, store_id=store.pk if store else None
    )


def created(report) -> int:
    return report["overview"]["current"]["conversations"]


def version() -> int:
    return RefreshState.objects.get(pk=1).version


def test_the_dashboard_is_what_the_selector_computes(desk):
    services.message_receive(inbox=desk["inbox"], inbound=inbound("Where is my parcel?"))
    analytics_refresh()
    cached = dashboard.dashboard_for(actor=desk["lead"], filters=recent())
    assert cached == selectors.report_dashboard(actor=desk["lead"], filters=recent())
    assert created(cached) == 1


def test_a_second_load_is_one_query(desk, django_assert_num_queries):
    services.message_receive(inbox=desk["inbox"], inbound=inbound("Where is my parcel?"))
    analytics_refresh()
    first = dashboard.dashboard_for(actor=desk["lead"], filters=recent())
    with django_assert_num_queries(1):  # the refresh version
        again = dashboard.dashboard_for(actor=desk["lead"], filters=recent())
    assert again == first


def test_a_refresh_that_changed_something_shows_the_new_numbers(desk):
    services.message_receive(inbox=desk["inbox"], inbound=inbound("Where is my parcel?"))
    analytics_refresh()
    assert created(dashboard.dashboard_for(actor=desk["lead"], filters=recent())) == 1
    before = version()

    services.message_receive(
        inbox=desk["inbox"], inbound=inbound("And my invoice?", email="mia@example.com")
    )
    analytics_refresh()

    assert version() == before + 1
    assert created(dashboard.dashboard_for(actor=desk["lead"], filters=recent())) == 2


def test_a_refresh_with_nothing_to_fold_keeps_the_version(desk):
    services.message_receive(inbox=desk["inbox"], inbound=inbound("Where is my parcel?"))
    later = timezone.now() + dt.timedelta(minutes=10)
    assert analytics_refresh(now=later).changed
    first = version()
    # Ten minutes on, past the two minutes every refresh reads again: nothing to fold.
    outcome = analytics_refresh(now=later + dt.timedelta(minutes=10))
    assert not outcome.changed
    assert version() == first


def test_each_filter_has_its_own_entry(desk):
    other = StoreFactory()
    services.message_receive(inbox=desk["inbox"], inbound=inbound("Where is my parcel?"))
    analytics_refresh()
    assert created(dashboard.dashboard_for(actor=desk["lead"], filters=recent())) == 1
    assert created(dashboard.dashboard_for(actor=desk["lead"], filters=recent(other))) == 0
    assert created(dashboard.dashboard_for(actor=desk["lead"], filters=recent(desk["store"]))) == 1


def test_the_key_holds_filters_scope_and_version():
    filters = recent()
    key = dashboard.cache_key(filters, None, 3)
    assert key == dashboard.cache_key(recent(), None, 3)
    assert key != dashboard.cache_key(filters, None, 4)
    assert key != dashboard.cache_key(filters, frozenset({1}), 3)
    assert dashboard.cache_key(filters, frozenset({1, 2}), 3) == dashboard.cache_key(
        filters, frozenset({2, 1}), 3
    )
    assert key != dashboard.cache_key(ReportFilters(filters.start, filters.end, tag="x"), None, 3)


def test_refreshed_at_is_the_latest_even_from_the_cache(desk):
    services.message_receive(inbox=desk["inbox"], inbound=inbound("Where is my parcel?"))
    analytics_refresh()
    dashboard.dashboard_for(actor=desk["lead"], filters=recent())
    stamp = timezone.now() + dt.timedelta(minutes=3)
    RefreshState.objects.filter(pk=1).update(refreshed_at=stamp)
    again = dashboard.dashboard_for(actor=desk["lead"], filters=recent())
    assert again["overview"]["refreshed_at"] == stamp.isoformat()


def test_agents_are_refused_before_the_cache(desk):
    agent = AgentFactory(username="ana", role=Role.AGENT)
    analytics_refresh()
    dashboard.dashboard_warm()
    with pytest.raises(PermissionDenied):
        dashboard.dashboard_for(actor=agent, filters=parse_filters({}))


def test_the_refresh_task_warms_the_default_view(desk, django_assert_num_queries):
    services.message_receive(inbox=desk["inbox"], inbound=inbound("Where is my parcel?"))
    refresh_analytics.call_local()
    with django_assert_num_queries(1):
        warm = dashboard.dashboard_for(actor=desk["lead"], filters=parse_filters({}))
    assert created(warm) == 1
    # Already warm at this version: nothing computed again.
    assert dashboard.dashboard_warm() is False


def test_without_an_administrator_nothing_is_warmed(db):
    analytics_refresh()
    assert dashboard.dashboard_warm() is False
