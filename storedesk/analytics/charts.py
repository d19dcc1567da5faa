"""Charts for the reports dashboard, drawn on the server as inline SVG, and the small
formatting helpers the dashboard's numbers share.

Pure functions: data in, markup out. Every text that reaches the markup (labels, hover
text, descriptions, links) is escaped here, so callers may pass what a shop or an agent
typed (a team, a channel). A chart is an ``<svg role="img">`` named by its ``<title>`` and
described by its ``<desc>`` (the text alternative; the dashboard also offers each chart's
numbers as a table); every bar and point has a ``<title>`` of its own, the hover text, and
may link to the conversations behind it. Colours come from CSS classes (``series-<css>``
in ``workspace.css``), so the markup carries no style.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from html import escape

from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext


def _e(text) -> str:
    return escape(str(text), quote=True)


def number(value: float) -> str:
    """A number for hover text and labels: integers without decimals, others to 2 places,
    in the active language's format."""
    if value is None:
        return "—"
    if float(value).is_integer():
        return formats.number_format(int(value))
    return formats.number_format(round(value, 2), decimal_pos=2)


def _coord(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


# --- Formatting -----------------------------------------------------------------------------


def humanize_duration(seconds) -> str:
    """A duration as people say it: "14 min", "3 h 20 min", "2 d 4 h" (translated units);
    "—" for none."""
    if seconds is None:
        return "—"
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return gettext("under 1 min")
    minutes = seconds // 60
    if minutes < 60:
        return gettext("%(n)d min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if minutes:
            return gettext("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
        return gettext("%(n)d h") % {"n": hours}
    days, hours = divmod(hours, 24)
    if hours:
        return gettext("%(d)d d %(h)d h") % {"d": days, "h": hours}
    return gettext("%(n)d d") % {"n": days}


def percent(fraction, *, signed: bool = False) -> str:
    """A fraction as a percentage ("75%", "33.3%"; "+25%" when ``signed``), in the active
    language's number format; "—" for none."""
    if fraction is None:
        return "—"
    value = fraction * 100
    places = 0 if abs(value) >= 10 or float(value).is_integer() else 1
    text = formats.number_format(round(abs(value), places), decimal_pos=places)
    if signed and value:
        text = ("+" if value > 0 else "−") + text
    elif value < 0:
        text = "−" + text
    return gettext("%(value)s%%") % {"value": text}


def heat_level(value: float, maximum: float, levels: int = 5) -> int:
    """The shade of a heatmap cell: 0 for nothing, else 1..``levels`` by its share of the
    busiest cell."""
    if not value or not maximum:
        return 0
    return max(1, min(levels, math.ceil(levels * value / maximum)))


# --- Charts ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Point:
    """One bar or point: its value, optional hover text (else "<label> · <series>:
    <value>") and an optional link to the conversations behind it."""

    value: float
    title: str = ""
    href: str = ""


@dataclasses.dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[Point]
    # The CSS class suffix that colours it (``series-<css>``).
    css: str


def _nice_ceiling(value: float) -> float:
    """The smallest "round" number (1, 2, 2.5, 5 times a power of ten) >= ``value``."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _linked(markup: str, href: str) -> str:
    return f'<a href="{_e(href)}">{markup}</a>' if href else markup


def _open(chart_id: str, title: str, description: str, width: int, height: int, css: str) -> str:
    cid = _e(chart_id)
    return (
        f'<svg class="chart {_e(css)}" id="{cid}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{cid}-title {cid}-desc" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{cid}-title">{_e(title)}</title>'
        f'<desc id="{cid}-desc">{_e(description)}</desc>'
    )


def column_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    bars: Sequence[Series] = (),
    line: Series | None = None,
    width: int = 640,
    height: int = 220,
    max_labels: int = 8,
) -> SafeString:
    """Vertical bars, grouped per category (``labels``, e.g. days), with an optional line
    across them (e.g. the backlog). Every series has one point per label."""
    left, right, top, bottom = 40, 8, 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    values = [p.value or 0 for s in (*bars, *([line] if line else [])) for p in s.points]
    top_value = _nice_ceiling(max(values, default=0))
    slot = plot_w / n

    def y(value: float) -> float:
        return top + plot_h - plot_h * (value or 0) / top_value

    parts = [_open(chart_id, title, description, width, height, "column-chart")]
    # Grid lines and the value axis: 0, half and the top.
    for tick in (0, top_value / 2, top_value):
        ty = _coord(y(tick))
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{ty}" y2="{ty}"/>'
            f'<text class="axis" x="{left - 4}" y="{ty}" text-anchor="end" '
            f'dominant-baseline="middle">{_e(number(tick))}</text>'
        )
    step = max(1, math.ceil(len(labels) / max_labels))
    for i, label in enumerate(labels):
        if i % step == 0:
            x = _coord(left + slot * (i + 0.5))
            parts.append(
                f'<text class="axis" x="{x}" y="{height - 6}" text-anchor="middle">'
                f"{_e(label)}</text>"
            )
    if bars:
        group = slot * 0.8
        bar_w = group / len(bars)
        for k, series in enumerate(bars):
            parts.append(f'<g class="series series-{_e(series.css)}">')
            for i, point in enumerate(series.points[: len(labels)]):
                x = left + slot * i + (slot - group) / 2 + bar_w * k
                value = point.value or 0
                hover = point.title or f"{labels[i]} · {series.name}: {number(value)}"
                # A zero still gets a sliver, so its hover text and link can be reached.
                bar_h = max(plot_h * value / top_value, 1)
                rect = (
                    f'<rect x="{_coord(x)}" y="{_coord(top + plot_h - bar_h)}" '
                    f'width="{_coord(max(bar_w - 1, 1))}" height="{_coord(bar_h)}">'
                    f"<title>{_e(hover)}</title></rect>"
                )
                parts.append(_linked(rect, point.href))
            parts.append("</g>")
    if line is not None and labels:
        points = line.points[: len(labels)]
        coords = [(left + slot * (i + 0.5), y(p.value)) for i, p in enumerate(points)]
        path = " ".join(f"{_coord(x)},{_coord(cy)}" for x, cy in coords)
        parts.append(f'<g class="series series-{_e(line.css)}">')
        parts.append(f'<polyline points="{path}" fill="none"/>')
        for i, (point, (x, cy)) in enumerate(zip(points, coords, strict=True)):
            hover = point.title or f"{labels[i]} · {line.name}: {number(point.value)}"
            dot = (
                f'<circle cx="{_coord(x)}" cy="{_coord(cy)}" r="3">'
                f"<title>{_e(hover)}</title></circle>"
            )
            parts.append(_linked(dot, point.href))
        parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped by _e


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[tuple[str, Point]],
    css: str = "bar",
    width: int = 640,
    row_height: int = 26,
    label_width: int = 150,
) -> SafeString:
    """Horizontal bars, one per ``(label, point)`` row, the value written at the bar's end."""
    height = max(len(rows), 1) * row_height + 4
    value_w = 56
    plot_w = width - label_width - value_w
    top_value = max((p.value or 0 for _, p in rows), default=0) or 1
    parts = [_open(chart_id, title, description, width, height, "bar-chart")]
    parts.append(f'<g class="series series-{_e(css)}">')
    for i, (label, point) in enumerate(rows):
        y = 2 + i * row_height
        value = point.value or 0
        bar_w = max(plot_w * value / top_value, 1)
        hover = point.title or f"{label}: {number(value)}"
        # Long names are cut to fit the label column; the hover text has them whole.
        shown = label if len(label) <= 24 else label[:23] + "…"
        parts.append(
            f'<text class="label" x="{label_width - 6}" y="{_coord(y + row_height / 2)}" '
            f'text-anchor="end" dominant-baseline="middle">{_e(shown)}</text>'
        )
        rect = (
            f'<rect x="{label_width}" y="{_coord(y + 4)}" width="{_coord(bar_w)}" '
            f'height="{row_height - 8}"><title>{_e(hover)}</title></rect>'
        )
        parts.append(_linked(rect, point.href))
        parts.append(
            f'<text class="value" x="{_coord(label_width + bar_w + 4)}" '
            f'y="{_coord(y + row_height / 2)}" dominant-baseline="middle">'
            f"{_e(number(value))}</text>"
        )
    parts.append("</g></svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped by _e


def legend(items: Sequence[tuple[str, str]]) -> SafeString:
    """The key to a chart's series: ``(css, name)`` pairs as a list of swatches."""
    entries = "".join(
        f'<li><span class="swatch series-{_e(css)}" aria-hidden="true"></span>{_e(name)}</li>'
        for css, name in items
    )
    return mark_safe(f'<ul class="chart-legend">{entries}</ul>')  # noqa: S308 - escaped


def sparkline(
    values: Sequence[float],
    *,
    title: str,
    labels: Sequence[str],
    width: int = 120,
    height: int = 24,
) -> SafeString:
    """A small line of ``values`` (one per day) for a table cell: a title for hover, a
    description listing every value, no axes."""
    description = "; ".join(
        f"{label}: {number(value)}" for label, value in zip(labels, values, strict=True)
    )
    parts = [
        f'<svg class="chart spark" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{_e(title)}</title><desc>{_e(description)}</desc>",
    ]
    if values:
        top = max(values) or 1
        step = width / max(1, len(values) - 1)
        points = " ".join(
            f"{_coord(i * step)},{_coord(height - 2 - (v / top) * (height - 4))}"
            for i, v in enumerate(values)
        )
        parts.append(f'<polyline class="spark-line" fill="none" points="{points}"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
