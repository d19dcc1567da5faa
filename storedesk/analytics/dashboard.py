"""The dashboard's numbers, computed once per refresh and then read from the cache.

Reports change only when ``analytics_refresh`` changes facts, rollups or topics, and each
such refresh raises ``RefreshState.version``. A dashboard is kept in Django's cache under its
filters, the store scope it was computed for and that version, so a supervisor's every
reload until the next refresh is a cache read; a new version makes every older entry
unreachable (and they expire on their own). After each refresh that changed something,
:func:`dashboard_warm` computes the default view (the last 30 days, every store) in the
background, so the first supervisor to open ``/reports/`` does not wait for it either.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json

from django.core.cache import cache

from storedesk.accounts.enums import Role
from storedesk.accounts.models import Agent
from storedesk.accounts.selectors import visible_store_ids
from storedesk.analytics.filters import ReportFilters, parse_filters, require_reports
from storedesk.analytics.models import RefreshState
from storedesk.analytics.selectors import report_dashboard

# Long enough to outlive the gaps between refreshes of a quiet shop; a new version makes
# an entry unreachable sooner.
CACHE_SECONDS = 6 * 3600
KEY_PREFIX = "reports:dashboard:v1"


def _state() -> tuple[int, str | None]:
    row = RefreshState.objects.filter(pk=1).values_list("version", "refreshed_at").first()
    if row is None:
        return 0, None
    version, refreshed_at = row
    return version, refreshed_at.isoformat() if refreshed_at else None


def cache_key(filters: ReportFilters, store_ids: frozenset[int] | None, version: int) -> str:
    """The cache key of a dashboard: its filters, its store scope (``None``: every store) and
    the refresh version it was computed at."""
    scope = "all" if store_ids is None else sorted(store_ids)
    payload = {
        "filters": {
            name: value.isoformat() if isinstance(value, dt.date) else value
            for name, value in dataclasses.asdict(filters).items()
        },
        "scope": scope,
        "version": version,
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}:{digest}"


def _cached(actor, filters: ReportFilters, version: int) -> tuple[dict, bool]:
    """The dashboard from the cache, or computed and cached; and whether it was computed."""
    key = cache_key(filters, visible_store_ids(actor), version)
    dashboard = cache.get(key)
    if dashboard is not None:
        return dashboard, False
    dashboard = report_dashboard(actor=actor, filters=filters)
    cache.set(key, dashboard, CACHE_SECONDS)
    return dashboard, True


def dashboard_for(*, actor, filters: ReportFilters) -> dict:
    """What ``report_dashboard`` returns for ``actor`` and ``filters``, from the cache when
    it was computed at the current refresh version for the same store scope. The
    "refreshed at" time is always the current one."""
    require_reports(actor)
    version, refreshed_at = _state()
    dashboard, _ = _cached(actor, filters, version)
    dashboard["overview"]["refreshed_at"] = refreshed_at
    return dashboard


def dashboard_warm(*, today: dt.date | None = None) -> bool:
    """Compute and cache the default dashboard (last 30 days, every store) as an active
    administrator sees it. Returns ``False`` when there is no such administrator or it was
    already cached at this version."""
    admin = Agent.objects.filter(is_active=True, role=Role.ADMIN).order_by("pk").first()
    if admin is None:
        return False
    version, _ = _state()
    return _cached(admin, parse_filters({}, today=today), version)[1]
