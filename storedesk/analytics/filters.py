"""What a report covers: a range of local days and optional dimensions, parsed once from a
query string (the API and the dashboard share it) and turned into database filters."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from django.db.models import Q
from django.utils import timezone

from storedesk.accounts.selectors import visible_store_ids
from storedesk.core.errors import PermissionDenied, ValidationError

DEFAULT_DAYS = 30
# A report never spans more than this (the previous period doubles it).
MAX_DAYS = 366


def may_view_reports(actor) -> bool:
    """Reports are for administrators and supervisors (per-agent numbers included)."""
    return bool(
        actor is not None
        and actor.is_authenticated
        and actor.is_active
        and (actor.is_admin or actor.role == "supervisor")
    )


def require_reports(actor) -> None:
    if not may_view_reports(actor):
        raise PermissionDenied("Reports are for administrators and supervisors.")


@dataclasses.dataclass(frozen=True)
class ReportFilters:
    """``start`` and ``end`` are inclusive local days (each store's own time zone)."""

    start: dt.date
    end: dt.date
    store_id: int | None = None
    inbox_id: int | None = None
    channel: str = ""
    team_id: int | None = None
    agent_id: int | None = None
    language: str = ""
    tag: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> ReportFilters:
        """The same filters over the period of the same length just before."""
        end = self.start - dt.timedelta(days=1)
        return dataclasses.replace(self, start=end - dt.timedelta(days=self.days - 1), end=end)

    def day_list(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]

    def as_query(self) -> dict[str, str]:
        """The query-string form (for links to exports and drill-downs)."""
        query = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        for name in ("store_id", "inbox_id", "team_id", "agent_id"):
            value = getattr(self, name)
            if value is not None:
                query[name.removesuffix("_id")] = str(value)
        for name in ("channel", "language", "tag"):
            if getattr(self, name):
                query[name] = getattr(self, name)
        return query


def _date(params: Mapping, name: str) -> dt.date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError("Use a date as YYYY-MM-DD.", field=name) from None


def _id(params: Mapping, name: str) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationError("Use a numeric id.", field=name)
    return int(raw)


def _text(params: Mapping, name: str, limit: int) -> str:
    value = (params.get(name) or "").strip()
    if len(value) > limit:
        raise ValidationError(f"At most {limit} characters.", field=name)
    return value


def parse_filters(params: Mapping, *, today: dt.date | None = None) -> ReportFilters:
    """Filters from query parameters ``start``, ``end`` (YYYY-MM-DD, default: the last 30
    days up to today), ``store``, ``inbox``, ``team``, ``agent`` (ids), ``channel``,
    ``language`` and ``tag``. Raises ``ValidationError`` naming the parameter."""
    today = today or timezone.localdate()
    end = _date(params, "end") or today
    start = _date(params, "start") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationError("The start is after the end.", field="start")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationError(f"A report covers at most {MAX_DAYS} days.", field="start")
    return ReportFilters(
        start=start,
        end=end,
        store_id=_id(params, "store"),
        inbox_id=_id(params, "inbox"),
        channel=_text(params, "channel", 20),
        team_id=_id(params, "team"),
        agent_id=_id(params, "agent"),
        language=_text(params, "language", 16),
        tag=_text(params, "tag", 60),
    )


def dimension_q(actor, filters: ReportFilters, *, agent_field: str = "agent_id") -> Q:
    """The store scope of ``actor`` and the filters' dimensions, for fact and rollup rows."""
    q = Q()
    store_ids = visible_store_ids(actor)
    if store_ids is not None:
        q &= Q(store_id__in=store_ids)
    if filters.store_id is not None:
        q &= Q(store_id=filters.store_id)
    if filters.inbox_id is not None:
        q &= Q(inbox_id=filters.inbox_id)
    if filters.channel:
        q &= Q(channel=filters.channel)
    if filters.team_id is not None:
        q &= Q(team_id=filters.team_id)
    if filters.agent_id is not None:
        q &= Q(**{agent_field: filters.agent_id})
    if filters.language:
        q &= Q(language=filters.language)
    return q
