"""Simultaneous deliveries, as several server processes produce them (real threads, real
transactions; on PostgreSQL the row locks are what keeps this correct)."""

import threading

import pytest
from django.db import connection

from storedesk.contacts.models import Contact
from storedesk.conversations import services
from storedesk.conversations.models import Conversation, Message
from storedesk.core.testing import StoreFactory, inbound, make_inbox

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(count: int, work) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            work(index)
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_first_messages_of_a_new_customer_open_one_conversation():
    inbox = make_inbox(StoreFactory())
    errors = run_together(
        8,
        lambda i: services.message_receive(
            inbox=inbox,
            inbound=inbound(f"message {i}", email="new@example.com", external_id=f"m-{i}"),
        ),
    )
    assert errors == []
    assert Contact.objects.count() == 1
    conversation = Conversation.objects.get()
    assert conversation.message_count == 8
    assert Message.objects.filter(conversation=conversation).count() == 8


def test_the_same_message_delivered_at_once_is_stored_once():
    inbox = make_inbox(StoreFactory())
    errors = run_together(
        6,
        lambda i: services.message_receive(
            inbox=inbox,
            inbound=inbound("retry storm", email="dup@example.com", external_id="same-id"),
        ),
    )
    assert errors == []
    assert Message.objects.count() == 1
    assert Conversation.objects.get().message_count == 1
