"""Per-agent language and time zone.

Before sign-in, Django's LocaleMiddleware follows the language cookie or the browser's
``Accept-Language``; after sign-in the agent's own choice wins, and dates are shown in the
agent's time zone (else the server's).
"""

import zoneinfo

from django.utils import timezone, translation

from storedesk.core.middleware import HybridMiddleware


class AgentPreferencesMiddleware(HybridMiddleware):
    def process(self, request):
        _activate_preferences(request, getattr(request, "user", None))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    async def aprocess(self, request):
        user = None
        if hasattr(request, "auser"):
            user = await request.auser()
            # The view reads the same user without loading it again.
            request.user = user
        _activate_preferences(request, user)
        try:
            return await self.get_response(request)
        finally:
            timezone.deactivate()


def _activate_preferences(request, user) -> None:
    if user is None or not user.is_authenticated:
        return
    if user.locale and translation.check_for_language(user.locale):
        translation.activate(user.locale)
        request.LANGUAGE_CODE = translation.get_language()
    if user.time_zone:
        try:
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
