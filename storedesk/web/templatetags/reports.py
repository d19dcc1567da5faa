"""Formatting for the reports pages: durations, rates and changes against the previous
period."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext

from storedesk.analytics import charts

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """ "14 min", "3 h 20 min", "2 d 4 h"."""
    return charts.humanize_duration(seconds)


@register.filter
def percent(fraction) -> str:
    return charts.percent(fraction)


@register.filter
def report_value(value, kind: str) -> str:
    """A headline number as its kind shows it: a count, a duration or a rate."""
    if kind == "duration":
        return charts.humanize_duration(value)
    if kind == "rate":
        return charts.percent(value)
    return "—" if value is None else str(value)


@register.simple_tag
def change_badge(change, better: str = ""):
    """The change from the previous period: an arrow and the percentage, marked good or bad
    by ``better`` ("up" when a rise is good, "down" when a fall is, "" when neither)."""
    if change is None:
        return format_html(
            '<span class="change none" title="{}">–</span>',
            gettext("Nothing to compare with in the previous period"),
        )
    if change > 0:
        arrow, direction = "↑", gettext("up %(value)s from the previous period")
    elif change < 0:
        arrow, direction = "↓", gettext("down %(value)s from the previous period")
    else:
        arrow, direction = "→", gettext("no change from the previous period (%(value)s)")
    tone = "neutral"
    if change and better:
        tone = "good" if (change > 0) == (better == "up") else "bad"
    value = charts.percent(abs(change))
    return format_html(
        '<span class="change {}"><span aria-hidden="true">{} {}</span>'
        '<span class="sr">{}</span></span>',
        tone,
        arrow,
        value,
        direction % {"value": value},
    )
