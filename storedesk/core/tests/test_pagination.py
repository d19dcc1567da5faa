from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from storedesk.conversations.models import Conversation
from storedesk.conversations.selectors import SORTS
from storedesk.core.errors import ValidationError
from storedesk.core.pagination import decode_cursor, paginate
from storedesk.core.testing import ContactFactory, make_inbox

pytestmark = pytest.mark.django_db


def _conversations(store, count):
    inbox = make_inbox(store)
    contact = ContactFactory(store=store)
    base = timezone.now() - timedelta(days=1)
    rows = []
    for index in range(count):
        # Every third conversation is not waiting (NULL), and waits collide in pairs.
        waiting = None if index % 3 == 0 else base + timedelta(minutes=index // 2)
        rows.append(
            Conversation(
                store=store,
                inbox=inbox,
                contact=contact,
                subject=f"c{index}",
                waiting_since=waiting,
                priority=index % 4,
            )
        )
    return Conversation.objects.bulk_create(rows)


def _python_order(rows, sort):
    def key(row):
        parts = []
        for sort_key in SORTS[sort]:
            value = getattr(row, sort_key.field)
            if value is None:
                parts.append((1, 0))
                continue
            number = value.timestamp() if hasattr(value, "timestamp") else value
            parts.append((0, -number if sort_key.descending else number))
        return parts

    return [row.pk for row in sorted(rows, key=key)]


@pytest.mark.parametrize("sort", sorted(SORTS))
@pytest.mark.parametrize("limit", [1, 4, 7])
def test_walking_all_pages_matches_the_full_order(store, sort, limit):
    rows = _conversations(store, 23)
    seen, cursor = [], None
    for _ in range(30):
        page, cursor = paginate(Conversation.objects.all(), SORTS[sort], cursor=cursor, limit=limit)
        seen.extend(row.pk for row in page)
        if cursor is None:
            break
    fresh = list(Conversation.objects.filter(pk__in=[r.pk for r in rows]))
    assert seen == _python_order(fresh, sort)


@given(st.text(max_size=80))
def test_garbage_cursors_are_validation_errors(cursor):
    try:
        decode_cursor(SORTS["waiting"], cursor)
    except ValidationError as error:
        assert error.field == "cursor"


def test_cursor_with_wrong_types_is_rejected():
    import base64
    import json

    for payload in ([1, 2], ["not a date", 1], [None, "x"], [None]):
        raw = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
        with pytest.raises(ValidationError):
            decode_cursor(SORTS["waiting"], raw)
