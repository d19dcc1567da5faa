"""A store's business hours: when a person answers.

``Store.business_hours`` holds, in the store's own time zone, the opening intervals of each
weekday and the dates it is closed::

    {"week": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "12:00"], ["13:00", "17:00"]],
              ..., "sun": []},
     "closed": ["2026-12-25", "2026-12-26"]}

An empty value means always open. Intervals are read in local time day by day, so a
daylight-saving change is handled: a day on which clocks move has one hour more or less.
The live chat's offline mode, SLA clocks and reports use the same functions.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pydantic

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far ahead ``next_opening`` looks before giving up (a store closed for good).
LOOKAHEAD_DAYS = 366


def _parse_time(value: str) -> dt.time:
    try:
        hours, minutes = value.split(":")
        if hours == "24" and minutes == "00":
            return dt.time.max
        return dt.time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{value!r} is not a time of day (HH:MM)") from None


class BusinessHours(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    week: dict[str, list[tuple[str, str]]] = pydantic.Field(default_factory=dict)
    closed: list[dt.date] = pydantic.Field(default_factory=list)

    @pydantic.field_validator("week")
    @classmethod
    def _week(cls, week: dict) -> dict:
        for day, intervals in week.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown day {day!r}; use {', '.join(WEEKDAYS)}")
            previous_end = dt.time.min
            for start, end in intervals:
                opens, closes = _parse_time(start), _parse_time(end)
                if opens >= closes:
                    raise ValueError(f"{day}: {start}-{end} ends before it starts")
                if opens < previous_end:
                    raise ValueError(f"{day}: intervals overlap or are out of order")
                previous_end = closes
        return week

    @property
    def always_open(self) -> bool:
        return not self.week and not self.closed


def business_hours_of(store) -> BusinessHours:
    """The store's validated business hours (always open when none are set)."""
    return BusinessHours.model_validate(store.business_hours or {})


def _intervals_on(hours: BusinessHours, day: dt.date, zone: ZoneInfo):
    """The opening intervals of one local calendar day, as aware UTC datetimes."""
    if day in hours.closed:
        return
    for start, end in hours.week.get(WEEKDAYS[day.weekday()], ()):
        opens = dt.datetime.combine(day, _parse_time(start), zone)
        closes_at = _parse_time(end)
        if closes_at == dt.time.max:
            closes = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, zone)
        else:
            closes = dt.datetime.combine(day, closes_at, zone)
        yield opens.astimezone(dt.UTC), closes.astimezone(dt.UTC)


def _zone(store) -> ZoneInfo:
    return ZoneInfo(store.time_zone or "UTC")


def is_open(store, at: dt.datetime) -> bool:
    """Whether ``at`` falls within the store's business hours."""
    hours = business_hours_of(store)
    if hours.always_open:
        return True
    zone = _zone(store)
    local_day = at.astimezone(zone).date()
    # The previous day too: an interval may run to midnight ("24:00").
    for day in (local_day - dt.timedelta(days=1), local_day):
        for opens, closes in _intervals_on(hours, day, zone):
            if opens <= at < closes:
                return True
    return False


def next_opening(store, at: dt.datetime) -> dt.datetime | None:
    """When a person is next available: ``at`` itself when open, else the start of the next
    interval; None when the store has no opening within a year."""
    if is_open(store, at):
        return at
    hours = business_hours_of(store)
    zone = _zone(store)
    day = at.astimezone(zone).date()
    for offset in range(LOOKAHEAD_DAYS):
        for opens, _closes in _intervals_on(hours, day + dt.timedelta(days=offset), zone):
            if opens > at:
                return opens
    return None


def business_seconds_between(store, start: dt.datetime, end: dt.datetime) -> float:
    """Seconds between ``start`` and ``end`` that fall within business hours (the whole
    span when the store is always open; 0 when ``end`` is not after ``start``)."""
    # In UTC: Python subtracts two datetimes of the same zone by wall clock, which is wrong
    # across a daylight-saving change.
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    if end <= start:
        return 0.0
    hours = business_hours_of(store)
    if hours.always_open:
        return (end - start).total_seconds()
    zone = _zone(store)
    day = start.astimezone(zone).date() - dt.timedelta(days=1)
    last = end.astimezone(zone).date()
    total = 0.0
    while day <= last:
        for opens, closes in _intervals_on(hours, day, zone):
            overlap = (min(closes, end) - max(opens, start)).total_seconds()
            if overlap > 0:
                total += overlap
        day += dt.timedelta(days=1)
    return total
