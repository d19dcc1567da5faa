"""Business hours: open or closed, the next opening, and business time between two moments
across a weekend, closed dates and a daylight-saving change (numbers worked out by hand)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from storedesk.core.errors import ValidationError
from storedesk.stores.hours import business_seconds_between, is_open, next_opening
from storedesk.stores.models import Store
from storedesk.stores.services import store_update

ZAGREB = ZoneInfo("Europe/Zagreb")
OFFICE = {
    "week": {
        "mon": [["09:00", "17:00"]],
        "tue": [["09:00", "17:00"]],
        "wed": [["09:00", "17:00"]],
        "thu": [["09:00", "17:00"]],
        "fri": [["09:00", "12:00"], ["13:00", "17:00"]],
        "sat": [],
        "sun": [["00:00", "24:00"]],
    },
    "closed": ["2026-12-25"],
}


def _store(hours=OFFICE) -> Store:
    # Not saved: the functions read only the time zone and the hours.
    return Store(name="Jadran", slug="jadran", time_zone="Europe/Zagreb", business_hours=hours)


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZAGREB)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(2026, 11, 23, 8, 59), False),  # Monday before opening
        (local(2026, 11, 23, 9, 0), True),
        (local(2026, 11, 23, 16, 59), True),
        (local(2026, 11, 23, 17, 0), False),  # closing time is not open
        (local(2026, 11, 27, 12, 30), False),  # Friday lunch break
        (local(2026, 11, 28, 11, 0), False),  # Saturday
        (local(2026, 11, 29, 23, 59), True),  # Sunday until 24:00
        (local(2026, 12, 25, 10, 0), False),  # a closed date on a Friday
    ],
)
def test_open_or_closed(moment, expected):
    assert is_open(_store(), moment) is expected
    assert is_open(_store(), moment.astimezone(dt.UTC)) is expected


def test_no_hours_means_always_open():
    store = _store({})
    moment = local(2026, 11, 28, 3, 0)
    assert is_open(store, moment) and next_opening(store, moment) == moment
    later = moment + dt.timedelta(hours=5)
    assert business_seconds_between(store, moment, later) == 5 * 3600


def test_next_opening_after_the_week_ends():
    # Friday 17:30 → Sunday 00:00 (Sunday is open all day).
    assert next_opening(_store(), local(2026, 11, 27, 17, 30)) == local(2026, 11, 29, 0, 0)
    # Christmas Friday → Sunday; Thursday evening before → not Friday (closed) either.
    assert next_opening(_store(), local(2026, 12, 24, 18, 0)) == local(2026, 12, 27, 0, 0)
    assert next_opening(_store(), local(2026, 11, 27, 12, 15)) == local(2026, 11, 27, 13, 0)


def test_never_open_gives_no_next_opening():
    store = _store({"week": {"mon": []}})
    assert next_opening(store, local(2026, 11, 23, 10, 0)) is None


def test_business_time_across_a_weekend():
    # Friday 16:00 → Monday 10:00: Fri 1 h, Sat 0, Sun 24 h, Mon 1 h = 26 h.
    seconds = business_seconds_between(
        _store(), local(2026, 11, 27, 16, 0), local(2026, 11, 30, 10, 0)
    )
    assert seconds == 26 * 3600


def test_business_time_across_the_spring_daylight_saving_change():
    # Sunday 29 March 2026 in Zagreb has 23 hours (02:00 → 03:00); it is open all day.
    start, end = local(2026, 3, 28, 12, 0), local(2026, 3, 30, 10, 0)
    assert business_seconds_between(_store(), start, end) == (23 + 1) * 3600
    # Always open, it is the real elapsed time: one hour less than the wall clocks suggest
    # (Python subtracts two datetimes of one zone by wall clock).
    always = business_seconds_between(_store({}), start, end)
    assert always == (12 + 23 + 10) * 3600 and (end - start).total_seconds() == 46 * 3600


def test_business_time_across_the_autumn_change_and_within_a_lunch_break():
    # Sunday 25 October 2026 has 25 hours.
    start, end = local(2026, 10, 24, 0, 0), local(2026, 10, 26, 0, 0)
    assert business_seconds_between(_store(), start, end) == 25 * 3600
    lunch = business_seconds_between(
        _store(), local(2026, 11, 27, 11, 30), local(2026, 11, 27, 13, 30)
    )
    assert lunch == 3600  # 11:30-12:00 and 13:00-13:30
    assert business_seconds_between(_store(), local(2026, 11, 28, 1), local(2026, 11, 28, 2)) == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("hours", "field", "words"),
    [
        ({"week": {"fri": [["17:00", "09:00"]]}}, "business_hours.week", "ends before it starts"),
        (
            {"week": {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}},
            "business_hours.week",
            "overlap",
        ),
        ({"week": {"funday": []}}, "business_hours.week", "unknown day"),
        ({"week": {"mon": [["9am", "5pm"]]}}, "business_hours.week", "not a time of day"),
        ({"closed": ["25.12.2026"]}, "business_hours.closed.0", "date"),
        ({"holidays": []}, "business_hours.holidays", "Extra inputs"),
    ],
)
def test_invalid_hours_are_refused_naming_the_field(store, hours, field, words):
    with pytest.raises(ValidationError) as error:
        store_update(store=store, actor=None, business_hours=hours)
    assert error.value.field == field and words in error.value.message


@pytest.mark.django_db
def test_hours_are_saved_and_shown_by_the_api(store, admin_agent):
    from django.test import Client

    store_update(store=store, actor=None, business_hours=OFFICE)
    store.refresh_from_db()
    assert store.business_hours == OFFICE
    client = Client()
    client.force_login(admin_agent)
    body = client.get(f"/api/v1/stores/{store.pk}").json()
    assert body["business_hours"] == OFFICE


@pytest.mark.django_db
def test_admins_edit_hours_in_settings(store, admin_agent):
    from django.test import Client

    client = Client()
    client.force_login(admin_agent)
    form = {
        "name": "Fashion",
        "default_locale": "en",
        "time_zone": "Europe/Zagreb",
        "brand_color": "#1f6feb",
        "hours_mon": "09:00-12:00, 13:00-17:00",
        "hours_sat": "10:00-14:00",
        "closed_dates": "2026-12-25\n\n2026-12-26",
    }
    response = client.post(f"/settings/stores/{store.pk}/", form)
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.business_hours["week"]["mon"] == [["09:00", "12:00"], ["13:00", "17:00"]]
    assert store.business_hours["week"]["sat"] == [["10:00", "14:00"]]
    assert store.business_hours["week"]["sun"] == []
    assert store.business_hours["closed"] == ["2026-12-25", "2026-12-26"]
    page = client.get(f"/settings/stores/{store.pk}/").content.decode()
    assert 'value="09:00-12:00, 13:00-17:00"' in page
    bad = client.post(f"/settings/stores/{store.pk}/", {**form, "closed_dates": "tomorrow"})
    assert bad.status_code == 200 and "date" in bad.content.decode()
    client.post(f"/settings/stores/{store.pk}/", {**form, "always_open": "on"})
    store.refresh_from_db()
    assert store.business_hours == {}
