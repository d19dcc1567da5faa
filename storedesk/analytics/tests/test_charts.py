"""The dashboard's SVG charts and number formatting: pure functions, checked on their
markup (parsed as XML, so it is well formed) and text."""

import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from storedesk.analytics import charts

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & "quoted" \'team\''


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def column(**kwargs):
    defaults = {
        "chart_id": "daily",
        "title": "Per day",
        "description": "Started and resolved per day.",
        "labels": ["Mon", "Tue", "Wed"],
        "bars": [
            charts.Series(
                "Started",
                [charts.Point(3, href="/x?a=1&b=2"), charts.Point(0), charts.Point(5)],
                "created",
            ),
            charts.Series(
                "Resolved", [charts.Point(1), charts.Point(2), charts.Point(4)], "resolved"
            ),
        ],
        "line": charts.Series(
            "Open", [charts.Point(2), charts.Point(0), charts.Point(1)], "backlog"
        ),
    }
    return charts.column_chart(**{**defaults, **kwargs})


def test_column_chart_has_a_title_a_description_and_hover_text_per_bar_and_point():
    svg = parse(column())
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "daily-title daily-desc"
    assert svg.find(f"{SVG}title").text == "Per day"
    assert svg.find(f"{SVG}desc").text == "Started and resolved per day."
    rects = svg.findall(f".//{SVG}rect")
    assert len(rects) == 6  # 2 series x 3 days, zeros included
    hover = [r.find(f"{SVG}title").text for r in rects]
    assert hover[:3] == ["Mon · Started: 3", "Tue · Started: 0", "Wed · Started: 5"]
    circles = svg.findall(f".//{SVG}circle")
    assert [c.find(f"{SVG}title").text for c in circles] == [
        "Mon · Open: 2",
        "Tue · Open: 0",
        "Wed · Open: 1",
    ]
    assert len(svg.findall(f".//{SVG}polyline")) == 1


def test_taller_bars_for_larger_values_and_links_escaped():
    svg = parse(column())
    started = svg.findall(f".//{SVG}g[@class='series series-created']//{SVG}rect")
    heights = [float(r.get("height")) for r in started]
    assert heights[2] > heights[0] > heights[1] > 0
    link = svg.find(f".//{SVG}a")
    assert link.get("href") == "/x?a=1&b=2"
    assert "/x?a=1&amp;b=2" in str(column())


def test_every_label_is_escaped():
    markup = str(
        column(
            chart_id='x"><script>',
            title=HOSTILE,
            description=HOSTILE,
            labels=[HOSTILE, "Tue", "Wed"],
            bars=[charts.Series(HOSTILE, [charts.Point(1, title=HOSTILE)] * 3, 'a"b')],
            line=charts.Series(HOSTILE, [charts.Point(1)] * 3, "backlog"),
        )
    )
    assert "<script" not in markup
    svg = parse(markup)  # well formed despite the hostile text
    assert svg.find(f"{SVG}title").text == HOSTILE
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert HOSTILE in texts
    assert svg.find(f".//{SVG}rect/{SVG}title").text == HOSTILE


def test_bar_chart_rows_values_and_escaped_names():
    markup = charts.bar_chart(
        chart_id="channels",
        title="By channel",
        description="Email 2, chat 1",
        rows=[("Email", charts.Point(2, href="/d?channel=email")), (HOSTILE, charts.Point(1))],
    )
    assert "<script" not in str(markup)
    svg = parse(markup)
    rects = svg.findall(f".//{SVG}rect")
    assert float(rects[0].get("width")) > float(rects[1].get("width"))
    assert rects[1].find(f"{SVG}title").text == f"{HOSTILE}: 1"  # whole name in the hover
    values = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "value"]
    assert values == ["2", "1"]
    assert svg.find(f".//{SVG}a").get("href") == "/d?channel=email"


def test_empty_charts_still_draw():
    svg = parse(column(labels=[], bars=[], line=None))
    assert svg.findall(f".//{SVG}rect") == []
    svg = parse(charts.bar_chart(chart_id="e", title="t", description="d", rows=[]))
    assert svg.get("role") == "img"


def test_legend_escapes_names():
    markup = str(charts.legend([("created", HOSTILE)]))
    assert "<script" not in markup and "&lt;script&gt;" in markup


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0, "under 1 min"),
        (59, "under 1 min"),
        (60, "1 min"),
        (14 * 60 + 30, "14 min"),
        (3600, "1 h"),
        (3 * 3600 + 20 * 60, "3 h 20 min"),
        (86400, "1 d"),
        (2 * 86400 + 4 * 3600 + 59, "2 d 4 h"),
        (67 * 3600, "2 d 19 h"),
    ],
)
def test_humanize_duration(seconds, text):
    with translation.override("en"):
        assert charts.humanize_duration(seconds) == text


def test_humanize_duration_is_translated():
    with translation.override("zh-hans"):
        assert charts.humanize_duration(3 * 3600 + 20 * 60) == "3 小时 20 分钟"
    with translation.override("hr"):
        assert charts.humanize_duration(2 * 86400 + 4 * 3600) == "2 d 4 h"


def test_percent():
    with translation.override("en"):
        assert charts.percent(None) == "—"
        assert charts.percent(0.75) == "75%"
        assert charts.percent(0.3333) == "33%"
        assert charts.percent(0.0126) == "1.3%"
        assert charts.percent(0.25, signed=True) == "+25%"
        assert charts.percent(-0.5) == "−50%"
    with translation.override("hr"):
        assert charts.percent(0.0126) == "1,3\u00a0%"


@pytest.mark.parametrize(
    ("value", "maximum", "level"),
    [(0, 10, 0), (1, 10, 1), (5, 10, 3), (10, 10, 5), (3, 0, 0)],
)
def test_heat_level(value, maximum, level):
    assert charts.heat_level(value, maximum) == level
