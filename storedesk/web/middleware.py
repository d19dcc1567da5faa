"""Per-agent language and time zone.

Before sign-in, Django's LocaleMiddleware follows the language cookie or the browser's
``Accept-Language``; after sign-in the agent's own choice wins, and dates are shown in the
agent's time zone (else the server's).
"""

import zoneinfo

from django.utils import timezone, translation


class AgentPreferencesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.locale and translation.check_for_language(user.locale):
                translation.activate(user.locale)
                request.LANGUAGE_CODE = translation.get_language()
            if user.time_zone:
                try:
                    timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
