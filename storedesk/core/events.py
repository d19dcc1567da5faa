"""Domain events: typed, emitted by services, dispatched after the transaction commits.

Services call :func:`emit`; nothing reacts inside the transaction. Who reacts to what lives in
one table, ``storedesk.config.events.HANDLERS``. Handlers receive the frozen event (ids, not
model instances) and must be idempotent: a handler may run again after a crash or a sweep.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Iterator
from functools import cache
from typing import ClassVar

from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Event:
    """Base class of every domain event. Subclasses set ``name`` ("entity.past_tense")."""

    name: ClassVar[str] = "event"

    def as_payload(self) -> dict:
        """A JSON-serialisable dict: the event name plus its fields."""
        return {"event": self.name, **dataclasses.asdict(self)}


_recorders: list[list[Event]] = []


def emit(event: Event) -> None:
    """Dispatch ``event`` to its handlers once the current transaction commits.

    Outside a transaction it dispatches at once. If the transaction rolls back, nothing runs.
    """
    transaction.on_commit(lambda: dispatch(event), robust=True)


@cache
def _handlers_for(event_type: type[Event]) -> tuple[Callable[[Event], None], ...]:
    from storedesk.config.events import HANDLERS

    paths: list[str] = []
    for klass in event_type.__mro__:
        paths.extend(HANDLERS.get(klass, ()))
    return tuple(import_string(path) for path in paths)


def dispatch(event: Event) -> None:
    """Run every handler of ``event``. A failing handler is logged and does not stop the rest."""
    for recorder in _recorders:
        recorder.append(event)
    for handler in _handlers_for(type(event)):
        try:
            handler(event)
        except Exception:
            logger.exception("event handler %s failed for %s", handler.__qualname__, event)


@contextlib.contextmanager
def recording() -> Iterator[list[Event]]:
    """Collect every event dispatched while the block runs (used by tests)."""
    events: list[Event] = []
    _recorders.append(events)
    try:
        yield events
    finally:
        _recorders.remove(events)
