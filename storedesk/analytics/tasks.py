"""Background work of analytics: the minute-by-minute refresh of facts and rollups."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


def _refresh() -> None:
    from storedesk.analytics.dashboard import dashboard_warm
    from storedesk.analytics.services import analytics_refresh

    if analytics_refresh().changed:
        # The default dashboard, ready before a supervisor asks for it.
        dashboard_warm()


@db_periodic_task(crontab(minute="*"))
def refresh_analytics() -> None:
    """Every minute: fold changed conversations into facts and rollups."""
    _refresh()


@db_task()
def refresh_analytics_now() -> None:
    """The same refresh, queued on demand (e.g. after the demo data is loaded)."""
    _refresh()
