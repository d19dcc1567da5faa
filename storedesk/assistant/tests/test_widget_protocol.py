"""The assistant over the visitor's websocket: its answer arrives live with the feedback
question, and the visitor's yes/no frame is taken (or refused) by the server."""

import pytest
from django.core.cache import cache

from storedesk.assistant.models import AssistantAnswer
from storedesk.conversations.models import Conversation
from storedesk.core.testing import StoreFactory, committed_events, make_inbox
from storedesk.helpcenter.services import article_save
from storedesk.inboxes.tests.test_webchat import async_to_sync, hello, say, socket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chat(intent_model):
    cache.clear()
    store = StoreFactory(name="Northwind", slug="northwind", supported_locales=["en", "hr"])
    with committed_events():
        article_save(
            store=store,
            key="payment-methods",
            locale="en",
            title="Payment methods",
            body="We accept Visa, Mastercard, PayPal and bank transfer.",
            publish=True,
        )
    return make_inbox(store, "webchat", "Chat", config={"assistant": {"enabled": True}})


async def next_event(communicator, name):
    while True:
        event = await communicator.receive_json_from(timeout=30)
        if event["event"] == name:
            return event


async def next_reply(communicator):
    """The next message from the shop's side (the visitor's own echo may come before or
    after it: the assistant answers before the echo is sent)."""
    while True:
        event = await next_event(communicator, "message")
        if event["item"]["kind"] == "outbound":
            return event["item"]


def test_the_answer_arrives_live_and_a_yes_resolves(chat):
    async def scenario():
        communicator = socket(chat)
        welcome = await hello(communicator, locale="hr")
        await say(communicator, "Koje načine plaćanja prihvaćate?", "k1")
        answer = await next_reply(communicator)
        await communicator.send_json_to(
            {"type": "feedback", "message_id": answer["id"], "helpful": True}
        )
        saved = await next_event(communicator, "feedback_saved")
        thanks = await next_reply(communicator)
        await communicator.disconnect()
        return welcome, answer, saved, thanks

    welcome, answer, saved, thanks = async_to_sync(scenario)()
    assert welcome["online"] is True and welcome["assistant"] is True
    assert answer["sender"] == "assistant"
    assert answer["answer"]["title"] == "Payment methods"
    assert answer["answer"]["helpful"] is None
    assert saved == {"event": "feedback_saved", "message_id": answer["id"], "helpful": True}
    assert thanks["text"].startswith("Drago mi je da sam pomogao")
    assert AssistantAnswer.objects.get(message_id=answer["id"]).helpful is True
    assert Conversation.objects.get().status == "resolved"


def test_feedback_frames_are_checked(chat):
    async def scenario():
        communicator = socket(chat)
        await hello(communicator)
        await say(communicator, "hello", "k1")
        await communicator.send_json_to({"type": "feedback", "message_id": "1", "helpful": 1})
        malformed = await next_event(communicator, "error")
        await communicator.send_json_to({"type": "feedback", "message_id": 999999, "helpful": True})
        unknown = await next_event(communicator, "error")
        await communicator.disconnect()
        return malformed, unknown

    malformed, unknown = async_to_sync(scenario)()
    assert malformed["code"] == "invalid"
    assert unknown["code"] == "not_found"
