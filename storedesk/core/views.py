from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from storedesk import __version__


def healthz(request):
    """Liveness and configuration at a glance; 503 if the database does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:
        database = "unreachable"
    layer = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
    body = {
        "status": "ok" if database == "ok" else "degraded",
        "version": __version__,
        "database": {"vendor": connection.vendor, "status": database},
        "queue": settings.HUEY["huey_class"].rsplit(".", 1)[-1],
        "channel_layer": layer,
    }
    return JsonResponse(body, status=200 if database == "ok" else 503)
