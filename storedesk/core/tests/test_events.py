import dataclasses

import pytest
from django.db import transaction

from storedesk.core import events as events_module
from storedesk.core.events import Event, dispatch, emit, recording


@dataclasses.dataclass(frozen=True)
class Pinged(Event):
    name = "test.pinged"
    value: int


def test_payload_has_name_and_fields():
    assert Pinged(value=3).as_payload() == {"event": "test.pinged", "value": 3}


@pytest.mark.django_db(transaction=True)
def test_emit_waits_for_commit_and_rollback_drops_it():
    with recording() as seen:
        with transaction.atomic():
            emit(Pinged(value=1))
            assert seen == []
        assert seen == [Pinged(value=1)]
        with pytest.raises(RuntimeError), transaction.atomic():
            emit(Pinged(value=2))
            raise RuntimeError("roll back")
    assert seen == [Pinged(value=1)]


def test_failing_handler_does_not_stop_the_others(monkeypatch):
    calls = []

    def broken(event):
        raise ValueError("boom")

    def working(event):
        calls.append(event.value)

    monkeypatch.setattr(events_module, "_handlers_for", lambda event_type: (broken, working))
    dispatch(Pinged(value=5))
    assert calls == [5]


def test_every_handler_path_in_the_table_imports():
    from django.utils.module_loading import import_string

    from storedesk.config.events import HANDLERS

    for event_type, paths in HANDLERS.items():
        assert issubclass(event_type, Event)
        for path in paths:
            assert callable(import_string(path))
