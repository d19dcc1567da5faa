from storedesk.analytics.filters import may_view_reports


def workspace(request):
    """Template context shared by the agent workspace pages."""
    user = getattr(request, "user", None)
    return {
        "is_agent": bool(user and user.is_authenticated),
        "is_admin": bool(user and user.is_authenticated and user.is_admin),
        "may_view_reports": may_view_reports(user),
    }
