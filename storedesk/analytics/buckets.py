"""Duration histograms: how rollups keep medians and percentiles without keeping rows.

A duration in seconds falls into one bucket: a minute wide below an hour, 5 minutes below
4 hours, 15 minutes below a day, an hour below a week, a day below 90 days, then one bucket
for everything longer. Histograms are ``{bucket index: count}`` dictionaries (JSON keys are
strings, so both kinds of key are accepted) and add up across rows.

Percentiles are nearest-rank (the median of 4 values is the 2nd) and are reported as the
start of the bucket the ranked value falls in, i.e. rounded down to the bucket's width.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Iterable, Mapping

MINUTE, HOUR, DAY = 60, 3600, 86400


def _bounds() -> list[int]:
    bounds = list(range(0, HOUR, MINUTE))
    bounds += range(HOUR, 4 * HOUR, 5 * MINUTE)
    bounds += range(4 * HOUR, DAY, 15 * MINUTE)
    bounds += range(DAY, 7 * DAY, HOUR)
    bounds += range(7 * DAY, 90 * DAY + 1, DAY)
    return bounds


# The start of each bucket, in seconds; the last bucket is open-ended.
BOUNDS: tuple[int, ...] = tuple(_bounds())


def bucket_of(seconds: float) -> int:
    """The index of the bucket ``seconds`` falls in (negative durations count as 0)."""
    return max(0, bisect.bisect_right(BOUNDS, max(0, seconds)) - 1)


def histogram(durations: Iterable[float]) -> dict[int, int]:
    return dict(Counter(bucket_of(d) for d in durations))


def merge(target: Counter, histogram_: Mapping) -> Counter:
    """Add ``histogram_`` (int or str keys) into ``target`` and return it."""
    for key, count in histogram_.items():
        target[int(key)] += count
    return target


def percentile(histogram_: Mapping, fraction: float) -> int | None:
    """The nearest-rank percentile (``fraction`` in (0, 1]) in seconds, rounded down to its
    bucket's start; None for an empty histogram."""
    counts = sorted((int(k), v) for k, v in histogram_.items() if v)
    total = sum(v for _, v in counts)
    if not total:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for index, count in counts:
        seen += count
        if seen >= rank:
            return BOUNDS[index]
    return BOUNDS[counts[-1][0]]  # pragma: no cover - seen reaches total above


# The bands a distribution chart shows, as (label key, upper bound in seconds).
BANDS: tuple[tuple[str, int | None], ...] = (
    ("lt_5m", 5 * MINUTE),
    ("lt_15m", 15 * MINUTE),
    ("lt_1h", HOUR),
    ("lt_4h", 4 * HOUR),
    ("lt_24h", DAY),
    ("lt_3d", 3 * DAY),
    ("gte_3d", None),
)


def _band_of(start: int) -> str:
    return next(band for band, upper in BANDS if upper is None or start < upper)


# The band of each bucket (every band edge is a bucket edge, so nothing straddles two).
_BAND_OF_BUCKET: tuple[str, ...] = tuple(_band_of(start) for start in BOUNDS)


def bands(histogram_: Mapping) -> dict[str, int]:
    """How many durations fall in each band of ``BANDS`` (bucket starts decide the band)."""
    result = dict.fromkeys(_BAND_KEYS, 0)
    for key, count in histogram_.items():
        result[_BAND_OF_BUCKET[int(key)]] += count
    return result


_BAND_KEYS = tuple(key for key, _ in BANDS)
