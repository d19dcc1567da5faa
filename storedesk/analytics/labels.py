"""The names people read for the reports' keys (metrics, bands, handoff reasons, channels),
shared by the dashboard and the CSV exports. Lazy translations: the language is the one
active when they are shown."""

from __future__ import annotations

from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from storedesk.assistant.models import HandoffReason
from storedesk.inboxes.adapters import REGISTRY

# The distribution bands (``buckets.BANDS``), shortest first.
BANDS = {
    "lt_5m": _("under 5 min"),
    "lt_15m": _("5–15 min"),
    "lt_1h": _("15–60 min"),
    "lt_4h": _("1–4 h"),
    "lt_24h": _("4–24 h"),
    "lt_3d": _("1–3 d"),
    "gte_3d": _("3 d or more"),
}

# What the conversations behind each drill-down metric (``selectors.DRILL_DOWN``) are.
METRICS = {
    "created": _("Conversations started"),
    "first_responses": _("First responses"),
    "resolved": _("Resolved conversations"),
    "reopened": _("Resolved after being reopened"),
    "one_touch": _("Resolved with one reply"),
    "unresolved": _("Started and not resolved yet"),
    "backlog": _("Open at the end of the period"),
    "assistant_handled": _("Answered by the assistant"),
    "assistant_resolved": _("Resolved by the assistant"),
    "handoffs": _("Handed off to a person"),
    "complaints": _("Complaints"),
    "negative": _("Strong negative sentiment"),
    "repeats": _("Back with the same issue"),
    "topic": _("Conversations on one topic"),
}

# The headline numbers (``totals.HEADLINES``) as the CSV export names them.
HEADLINES = {
    "conversations": _("Conversations"),
    "messages_in": _("Messages received"),
    "first_response_median": _("First response median (seconds)"),
    "first_response_business_median": _("First response median in business hours (seconds)"),
    "resolution_median": _("Resolution median (seconds)"),
    "resolved": pgettext_lazy("count", "Resolved"),
    "resolution_rate": _("Resolution rate"),
    "reopen_rate": _("Reopen rate"),
    "one_touch_rate": _("One-touch rate"),
    "deflection_rate": _("Assistant deflection rate"),
    "complaint_share": _("Complaint share"),
}

WEEKDAY_NAMES = WEEKDAYS  # 0 = Monday, Django's translated names
WEEKDAY_SHORT = WEEKDAYS_ABBR


def metric(key: str) -> str:
    return str(METRICS.get(key, key))


def band(key: str) -> str:
    return str(BANDS.get(key, key))


def handoff_reason(key: str) -> str:
    try:
        return str(HandoffReason(key).label)
    except ValueError:
        return key


def repeat_reason(key: str) -> str:
    from storedesk.analytics.models import RepeatReason

    try:
        return str(RepeatReason(key).label)
    except ValueError:
        return key


def channel(kind: str) -> str:
    """The channel's name (an inbox kind): the adapter's label, else the kind itself."""
    adapter = REGISTRY.get(kind)
    return _(adapter.label) if adapter is not None else kind


def channels() -> list[tuple[str, str]]:
    return sorted(((kind, str(channel(kind))) for kind in REGISTRY), key=lambda c: c[1])
