"""The conversation page links a customer's repeat of an issue both ways."""

import datetime as dt

from django.utils import timezone

from storedesk.analytics.models import RepeatContact
from storedesk.conversations import services
from storedesk.core.testing import inbound, make_inbox


def test_both_conversations_link_to_each_other(signed_in, conversation, store):
    services.conversation_set_status(conversation=conversation, status="resolved", actor=None)
    again = services.message_receive(
        inbox=make_inbox(store, "webform", "Form"),
        inbound=inbound("Where is my order FA1234567? Still nothing."),
    ).conversation
    RepeatContact.objects.create(
        conversation=again,
        earlier=conversation,
        store=store,
        created_at=again.created_at,
        created_day=again.created_at.date(),
        seconds_after=int(dt.timedelta(days=2, hours=3).total_seconds()),
        reason="intent",
        detail="track_order",
        detected_at=timezone.now(),
    )
    later_page = signed_in.get(f"/c/{again.pk}/").content.decode()
    assert (
        f'Possibly the same issue as <a href="/c/{conversation.pk}/">#{conversation.pk}</a>'
        in later_page
    )
    assert "resolved 2 d 3 h before" in later_page
    assert "track_order" in later_page
    earlier_page = signed_in.get(f"/c/{conversation.pk}/").content.decode()
    assert f'<a href="/c/{again.pk}/">#{again.pk}</a> may be the same issue' in earlier_page


def test_outside_the_window_nothing_is_shown(signed_in, conversation, store, settings):
    settings.REPEAT_WINDOW_DAYS = 1
    again = services.message_receive(
        inbox=make_inbox(store, "webform", "Form"), inbound=inbound("Again")
    ).conversation
    RepeatContact.objects.create(
        conversation=again,
        earlier=conversation,
        store=store,
        created_at=again.created_at,
        created_day=again.created_at.date(),
        seconds_after=3 * 86400,
        reason="text",
        detected_at=timezone.now(),
    )
    assert "same issue" not in signed_in.get(f"/c/{again.pk}/").content.decode()
