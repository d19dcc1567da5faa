"""Adding up rollup-shaped rows into the numbers a report shows."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from storedesk.analytics import buckets

COUNTS = (
    "created",
    "created_resolved",
    "messages_in",
    "agent_replies",
    "assistant_replies",
    "first_responses",
    "first_response_seconds",
    "first_response_business_seconds",
    "resolved",
    "resolution_seconds",
    "resolution_business_seconds",
    "resolved_reopened",
    "one_touch",
    "assistant_handled",
    "assistant_resolved",
    "complaints",
    "negative",
    "answers_rated",
    "answers_helpful",
)
HISTOGRAMS = (
    "first_response_hist",
    "first_response_business_hist",
    "resolution_hist",
    "resolution_business_hist",
)
ROW_FIELDS = COUNTS
# What a rollup row's packed distributions hold: the histograms, handoffs per reason, and
# conversations started per weekday and local hour (``weekday * 24 + hour``, Monday 0) for
# the busiest-hours heatmap. Append only: rows store a distribution's position.
DISTRIBUTIONS = (*HISTOGRAMS, "handoffs", "created_hours")
WEEK_HOURS = 7 * 24
# ``assistant.models.HandoffReason`` values (a test keeps them equal). Packed rows store a
# reason's position here: append new reasons, never reorder.
HANDOFF_REASONS: tuple[str, ...] = (
    "asked_for_person",
    "unsure",
    "complaint",
    "negative",
    "human_only",
    "not_helpful",
    "identity",
    "order_change",
)
# One packed entry: which distribution, which bucket (or reason), how many.
_PACKED = np.dtype([("what", "<u2"), ("bucket", "<u2"), ("count", "<u4")])
_WIDTH = max(len(buckets.BOUNDS), len(HANDOFF_REASONS), WEEK_HOURS)


def pack_distributions(distributions: dict[str, Counter]) -> bytes:
    """``{name: {bucket or reason: count}}`` (names of ``DISTRIBUTIONS``) as bytes: one
    8-byte entry per non-zero count."""
    entries = [
        (what, HANDOFF_REASONS.index(key) if name == "handoffs" else int(key), count)
        for what, name in enumerate(DISTRIBUTIONS)
        for key, count in distributions.get(name, {}).items()
        if count
    ]
    return np.array(entries, dtype=_PACKED).tobytes()


def sum_distributions(packed: list[bytes], groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum rows' packed distributions per group: ``packed[i]`` belongs to group
    ``groups[i]``. Returns an array (group, distribution, bucket) of counts."""
    shape = (n_groups, len(DISTRIBUTIONS), _WIDTH)
    if not packed:
        return np.zeros(shape, dtype=np.int64)
    lengths = np.fromiter((len(p) for p in packed), dtype=np.int64, count=len(packed))
    entries = np.frombuffer(b"".join(packed), dtype=_PACKED)
    owners = np.repeat(groups, lengths // _PACKED.itemsize)
    # One flat index per entry and a weighted bincount: ten times faster than ``np.add.at``.
    # Float weights are exact for counts below 2**53.
    flat = (owners * len(DISTRIBUTIONS) + entries["what"]) * _WIDTH + entries["bucket"]
    summed = np.bincount(flat, weights=entries["count"], minlength=math.prod(shape))
    return np.rint(summed).astype(np.int64).reshape(shape)


def rate(part: float, whole: float) -> float | None:
    """``part / whole`` rounded to 4 places; None when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


def change(now: float | None, before: float | None) -> float | None:
    """The relative change from ``before`` to ``now`` (0.25 = up 25 %); None when either is
    missing or ``before`` is 0."""
    if now is None or before in (None, 0):
        return None
    return round((now - before) / before, 4)


class Totals:
    """Summed counts (rollup-shaped rows: dicts with the ``COUNTS`` they have), duration
    histograms (``HISTOGRAMS``: ``{bucket: count}``) and handoffs per reason of one group of
    conversations."""

    def __init__(self):
        self.counts: Counter = Counter()
        self.histograms = {name: Counter() for name in HISTOGRAMS}
        self.handoffs: Counter = Counter()
        # Conversations started per ``weekday * 24 + hour``.
        self.created_hours: Counter = Counter()

    def add(self, row: dict) -> Totals:
        for name in COUNTS:
            value = row.get(name)
            if value:
                self.counts[name] += value
        return self

    def add_dense(self, dense: np.ndarray) -> Totals:
        """Add one group's summed distributions (a row of ``sum_distributions``)."""
        for index, name in enumerate(DISTRIBUTIONS):
            row = dense[index]
            found = np.nonzero(row)[0]
            if name == "handoffs":
                self.handoffs.update({HANDOFF_REASONS[i]: int(row[i]) for i in found})
            elif name == "created_hours":
                self.created_hours.update({int(i): int(row[i]) for i in found})
            else:
                self.histograms[name].update({int(i): int(row[i]) for i in found})
        return self

    def merge(self, other: Totals) -> Totals:
        """Add another group's counts, histograms and handoffs to this one."""
        self.counts.update(other.counts)
        for name, histogram in other.histograms.items():
            self.histograms[name].update(histogram)
        self.handoffs.update(other.handoffs)
        self.created_hours.update(other.created_hours)
        return self

    def _durations(self, count: str, seconds: str, hist: str) -> dict:
        n = self.counts[count]
        histogram = self.histograms[hist]
        return {
            "count": n,
            "median_seconds": buckets.percentile(histogram, 0.5),
            "p90_seconds": buckets.percentile(histogram, 0.9),
            "mean_seconds": round(self.counts[seconds] / n) if n else None,
        }

    def durations(self, kind: str) -> dict:
        """``kind`` is "first_response" or "resolution": calendar and business-hours
        median, p90 and mean in seconds, and the distribution over ``buckets.BANDS``."""
        count = "first_responses" if kind == "first_response" else "resolved"
        calendar = self._durations(count, f"{kind}_seconds", f"{kind}_hist")
        business = self._durations(count, f"{kind}_business_seconds", f"{kind}_business_hist")
        calendar["business"] = {k: v for k, v in business.items() if k != "count"}
        calendar["bands"] = buckets.bands(self.histograms[f"{kind}_hist"])
        calendar["business_bands"] = buckets.bands(self.histograms[f"{kind}_business_hist"])
        return calendar

    def summary(self) -> dict:
        c = self.counts
        return {
            "conversations": c["created"],
            "messages_in": c["messages_in"],
            "messages_out": c["agent_replies"],
            "assistant_replies": c["assistant_replies"],
            "first_response": self.durations("first_response"),
            "resolution": self.durations("resolution"),
            "resolved": c["resolved"],
            # Of the conversations started in the period, the share resolved now.
            "resolution_rate": rate(c["created_resolved"], c["created"]),
            "reopen_rate": rate(c["resolved_reopened"], c["resolved"]),
            "one_touch_rate": rate(c["one_touch"], c["resolved"]),
            "one_touch": c["one_touch"],
            "assistant": {
                "handled": c["assistant_handled"],
                "handled_share": rate(c["assistant_handled"], c["created"]),
                "resolved": c["assistant_resolved"],
                "deflection_rate": rate(c["assistant_resolved"], c["assistant_handled"]),
                "handoffs": sum(self.handoffs.values()),
                "handoff_reasons": dict(self.handoffs.most_common()),
            },
            "complaints": c["complaints"],
            "complaint_share": rate(c["complaints"], c["created"]),
            "negative": c["negative"],
            "negative_share": rate(c["negative"], c["created"]),
            "feedback": {
                # The assistant's answers rated by customers of conversations started in the
                # period, and the share that helped.
                "answers_rated": c["answers_rated"],
                "answers_helpful_rate": rate(c["answers_helpful"], c["answers_rated"]),
                # Satisfaction surveys are not sent yet: these stay null until they are.
                "csat": None,
                "nps": None,
            },
        }


# The headline numbers compared with the previous period, as paths into ``summary()``.
HEADLINES = {
    "conversations": ("conversations",),
    "messages_in": ("messages_in",),
    "first_response_median": ("first_response", "median_seconds"),
    "first_response_business_median": ("first_response", "business", "median_seconds"),
    "resolution_median": ("resolution", "median_seconds"),
    "resolved": ("resolved",),
    "resolution_rate": ("resolution_rate",),
    "reopen_rate": ("reopen_rate",),
    "one_touch_rate": ("one_touch_rate",),
    "deflection_rate": ("assistant", "deflection_rate"),
    "complaint_share": ("complaint_share",),
}


def _at(summary: dict, path: tuple[str, ...]):
    value = summary
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def changes(current: dict, previous: dict) -> dict:
    """Each headline's relative change from the previous period."""
    return {
        name: change(_at(current, path), _at(previous, path)) for name, path in HEADLINES.items()
    }
