from django import template

from storedesk.conversations.enums import ConversationStatus, Priority

register = template.Library()


@register.filter
def status_label(value: str) -> str:
    """The translated name of a conversation status value."""
    try:
        return ConversationStatus(value).label
    except ValueError:
        return value


@register.filter
def priority_label(value) -> str:
    try:
        return Priority(int(value)).label
    except (TypeError, ValueError):
        return str(value)


@register.filter
def safe_url(value: str) -> str:
    """``value`` if it is an http(s) URL, else an empty string (no ``javascript:`` links
    from data that came from outside)."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else ""


@register.filter
def age(value) -> str:
    """A compact age for lists: "5 min", "3 h", "2 d" (translated units)."""
    from django.utils import timezone
    from django.utils.translation import gettext

    if not value:
        return ""
    seconds = max(int((timezone.now() - value).total_seconds()), 0)
    if seconds < 3600:
        return gettext("%(n)d min") % {"n": max(seconds // 60, 1)}
    if seconds < 86400:
        return gettext("%(n)d h") % {"n": seconds // 3600}
    return gettext("%(n)d d") % {"n": seconds // 86400}
