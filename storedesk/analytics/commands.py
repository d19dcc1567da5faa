"""``storedesk analytics refresh`` (Django is set up by the caller)."""

from __future__ import annotations

import json
import sys


def refresh_command(*, rebuild: bool = False, signal_seconds: float | None = None) -> int:
    """Fold changed conversations into the reports now (everything with ``rebuild``) and
    print what was done as JSON. Exit 1 when another refresh is running."""
    from storedesk.analytics.services import analytics_refresh, analytics_reset

    if rebuild:
        analytics_reset()
    outcome = analytics_refresh(signal_seconds=signal_seconds)
    if outcome.skipped:
        print("another refresh is running; try again in a minute", file=sys.stderr)
        return 1
    print(
        json.dumps(
            {
                "conversations": outcome.conversations,
                "signals": outcome.signals,
                "days": outcome.days,
                "seconds": round(outcome.seconds, 2),
            }
        )
    )
    return 0
