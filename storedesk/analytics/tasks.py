"""Background work of analytics: the minute-by-minute refresh of facts and rollups."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_periodic_task(crontab(minute="*"))
def refresh_analytics() -> None:
    """Every minute: fold changed conversations into facts and rollups."""
    from storedesk.analytics.services import analytics_refresh

    analytics_refresh()


@db_task()
def refresh_analytics_now() -> None:
    """The same refresh, queued on demand (e.g. after the demo data is loaded)."""
    from storedesk.analytics.services import analytics_refresh

    analytics_refresh()
