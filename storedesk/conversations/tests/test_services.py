from datetime import timedelta

import pytest
from django.utils import timezone

from storedesk.contacts.models import Contact
from storedesk.conversations import services
from storedesk.conversations.enums import ConversationStatus as S
from storedesk.conversations.enums import DeliveryStatus, MessageKind
from storedesk.conversations.models import ActivityEvent, Conversation, Message
from storedesk.core.errors import InvalidTransition, ValidationError
from storedesk.core.testing import (
    AgentFactory,
    ContactFactory,
    TeamFactory,
    committed_events,
    inbound,
)

pytestmark = pytest.mark.django_db


def names(events):
    return [event.name for event in events]


def test_receive_creates_contact_conversation_and_message_with_exact_events(api_inbox):
    with committed_events() as events:
        message = services.message_receive(
            inbox=api_inbox, inbound=inbound("Where is my order FA10231?", external_id="m-1")
        )
    conversation = message.conversation
    assert names(events) == ["contact.created", "conversation.created", "message.created"]
    assert events[1].conversation_id == conversation.pk
    assert events[2].message_id == message.pk and events[2].kind == "inbound"
    assert events[2].channel == "api"
    assert conversation.subject == "Where is my order FA10231?"
    assert conversation.status == S.OPEN
    assert conversation.message_count == 1
    assert conversation.waiting_since == message.created_at
    assert conversation.last_customer_message_at == message.created_at
    assert message.delivery_status == DeliveryStatus.RECEIVED
    contact = conversation.contact
    assert contact.email == "ana@example.com" and contact.name == "Ana Horvat"
    assert list(contact.identities.values_list("kind", "external_id")) == [
        ("email", "ana@example.com")
    ]
    assert ActivityEvent.objects.filter(conversation=conversation, kind="created").count() == 1


def test_same_external_id_twice_stores_one_message_and_emits_nothing(api_inbox):
    first = services.message_receive(inbox=api_inbox, inbound=inbound(external_id="dup"))
    with committed_events() as events:
        second = services.message_receive(inbox=api_inbox, inbound=inbound(external_id="dup"))
    assert second.pk == first.pk
    assert events == []
    assert Message.objects.count() == 1
    assert Conversation.objects.get().message_count == 1


def test_a_repeat_from_another_sender_leaves_nothing_behind(api_inbox):
    # The repeat is refused by the unique (inbox, external_id) constraint after the contact
    # and conversation were made: the rollback must take them back.
    first = services.message_receive(inbox=api_inbox, inbound=inbound(external_id="dup"))
    with committed_events() as events:
        second = services.message_receive(
            inbox=api_inbox, inbound=inbound("other", email="mia@example.com", external_id="dup")
        )
    assert second.pk == first.pk
    assert events == []
    assert list(Contact.objects.values_list("email", flat=True)) == ["ana@example.com"]
    assert Conversation.objects.count() == 1
    assert ActivityEvent.objects.count() == 1


def test_same_external_id_in_another_inbox_is_another_message(api_inbox, store):
    from storedesk.core.testing import make_inbox

    other = make_inbox(store, "api", "Second API")
    services.message_receive(inbox=api_inbox, inbound=inbound(external_id="x"))
    services.message_receive(inbox=other, inbound=inbound(external_id="x"))
    assert Message.objects.count() == 2


def test_second_message_threads_into_open_conversation(api_inbox):
    first = services.message_receive(inbox=api_inbox, inbound=inbound("one"))
    with committed_events() as events:
        second = services.message_receive(inbox=api_inbox, inbound=inbound("two"))
    assert second.conversation_id == first.conversation_id
    assert names(events) == ["message.created"]
    conversation = Conversation.objects.get()
    assert conversation.message_count == 2
    # Still waiting since the first unanswered message.
    assert conversation.waiting_since == first.created_at


def test_message_after_resolution_within_window_reopens_and_counts(api_inbox, agent):
    first = services.message_receive(inbox=api_inbox, inbound=inbound("one"))
    services.conversation_set_status(
        conversation=first.conversation, status=S.RESOLVED, actor=agent
    )
    with committed_events() as events:
        again = services.message_receive(inbox=api_inbox, inbound=inbound("it broke again"))
    assert again.conversation_id == first.conversation_id
    assert names(events) == ["conversation.status_changed", "message.created"]
    assert (events[0].old_status, events[0].new_status) == ("resolved", "open")
    conversation = Conversation.objects.get()
    assert conversation.status == S.OPEN
    assert conversation.reopened_count == 1
    assert conversation.resolved_at is None


def test_message_after_window_starts_new_conversation(api_inbox, agent):
    first = services.message_receive(inbox=api_inbox, inbound=inbound("one"))
    services.conversation_set_status(
        conversation=first.conversation, status=S.RESOLVED, actor=agent
    )
    Conversation.objects.filter(pk=first.conversation_id).update(
        resolved_at=timezone.now() - timedelta(days=api_inbox.reopen_window_days + 1)
    )
    again = services.message_receive(inbox=api_inbox, inbound=inbound("new question"))
    assert again.conversation_id != first.conversation_id
    assert Conversation.objects.get(pk=first.conversation_id).reopened_count == 0


def test_zero_reopen_window_always_starts_new_conversation(api_inbox, agent):
    api_inbox.reopen_window_days = 0
    api_inbox.save()
    first = services.message_receive(inbox=api_inbox, inbound=inbound("one"))
    services.conversation_set_status(
        conversation=first.conversation, status=S.RESOLVED, actor=agent
    )
    again = services.message_receive(inbox=api_inbox, inbound=inbound("two"))
    assert again.conversation_id != first.conversation_id


def test_thread_hint_is_used_only_for_same_contact(api_inbox):
    ana = services.message_receive(inbox=api_inbox, inbound=inbound("mine"))
    # Another customer claims Ana's conversation id: must not join it.
    intruder = services.message_receive(
        inbox=api_inbox,
        inbound=inbound("let me in", email="eve@example.com", conversation_id=ana.conversation_id),
    )
    assert intruder.conversation_id != ana.conversation_id
    assert Conversation.objects.get(pk=ana.conversation_id).message_count == 1


def test_pending_conversation_goes_back_to_open_on_customer_message(api_inbox, agent):
    first = services.message_receive(inbox=api_inbox, inbound=inbound("one"))
    services.conversation_set_status(conversation=first.conversation, status=S.PENDING, actor=agent)
    services.message_receive(inbox=api_inbox, inbound=inbound("two"))
    conversation = Conversation.objects.get()
    assert conversation.status == S.OPEN
    assert conversation.reopened_count == 0


def test_empty_and_oversized_messages_are_refused_with_field(api_inbox):
    with pytest.raises(ValidationError) as empty:
        services.message_receive(inbox=api_inbox, inbound=inbound("   "))
    assert empty.value.field == "text"
    with pytest.raises(ValidationError) as big:
        services.message_receive(inbox=api_inbox, inbound=inbound("x" * 100_001))
    assert big.value.field == "text"
    assert Message.objects.count() == 0


def test_inbound_html_is_sanitised_at_storage(api_inbox):
    message = services.message_receive(
        inbox=api_inbox,
        inbound=inbound(
            "see html",
            html='<p onclick="x()">Hi<script>alert(1)</script><a href="javascript:alert(1)">l</a>'
            '<img src="data:image/svg+xml;base64,AAA"><svg onload=alert(1)></svg></p>',
        ),
    )
    assert "script" not in message.html
    assert "onclick" not in message.html and "onload" not in message.html
    assert "javascript:" not in message.html and "data:" not in message.html
    assert "Hi" in message.html


def test_new_conversation_goes_to_dedicated_agent_and_inbox_team(api_inbox, store):
    dedicated = AgentFactory()
    team = TeamFactory()
    api_inbox.default_team = team
    api_inbox.save()
    ContactFactory(store=store, email="vip@example.com", dedicated_agent=dedicated)
    message = services.message_receive(
        inbox=api_inbox, inbound=inbound("hi", email="vip@example.com")
    )
    assert message.conversation.assignee == dedicated
    assert message.conversation.team == team


def test_send_queues_delivers_and_sets_first_response(api_inbox, agent):
    received = services.message_receive(inbox=api_inbox, inbound=inbound())
    conversation = received.conversation
    with committed_events() as events:
        reply = services.message_send(conversation=conversation, author=agent, text="On its way!")
    # Delivery ran in the (immediate) task after commit.
    assert names(events) == ["message.created", "message.delivery_changed"]
    assert events[1].delivery_status == "sent"
    reply.refresh_from_db()
    assert reply.kind == MessageKind.OUTBOUND
    assert reply.delivery_status == DeliveryStatus.SENT
    assert reply.sent_at is not None and reply.delivery_attempts == 1
    conversation.refresh_from_db()
    assert conversation.first_response_at == reply.created_at
    assert conversation.waiting_since is None
    assert conversation.message_count == 2


def test_first_response_is_kept_on_later_replies(api_inbox, agent):
    conversation = services.message_receive(inbox=api_inbox, inbound=inbound()).conversation
    first = services.message_send(conversation=conversation, author=agent, text="one")
    services.message_send(conversation=conversation, author=agent, text="two")
    conversation.refresh_from_db()
    assert conversation.first_response_at == first.created_at


def test_send_with_same_client_key_is_idempotent(api_inbox, agent):
    conversation = services.message_receive(inbox=api_inbox, inbound=inbound()).conversation
    a = services.message_send(conversation=conversation, author=agent, text="hi", client_key="k1")
    b = services.message_send(conversation=conversation, author=agent, text="hi", client_key="k1")
    assert a.pk == b.pk
    assert Message.objects.filter(kind="outbound").count() == 1


def test_note_is_never_delivered_and_does_not_answer(api_inbox, agent):
    conversation = services.message_receive(inbox=api_inbox, inbound=inbound()).conversation
    with committed_events() as events:
        note = services.note_add(conversation=conversation, author=agent, text="VIP, be nice")
    assert names(events) == ["message.created"]
    assert note.kind == MessageKind.NOTE
    assert note.delivery_status == DeliveryStatus.NOT_APPLICABLE
    conversation.refresh_from_db()
    assert conversation.first_response_at is None
    assert conversation.waiting_since is not None


def test_failed_webhook_delivery_retries_then_fails_with_reason(api_inbox, agent, monkeypatch):
    from storedesk.core import webhooks

    api_inbox.config = {**api_inbox.config, "webhook_url": "http://127.0.0.1:9/hook"}
    api_inbox.save()
    conversation = services.message_receive(inbox=api_inbox, inbound=inbound()).conversation
    calls = []

    def refuse(url, secret, payload, **kwargs):
        calls.append(payload["message_id"])
        raise webhooks.WebhookError("connection refused")

    monkeypatch.setattr(webhooks, "post_signed", refuse)
    # Immediate mode would run scheduled retries at once; drive attempts through the service.
    monkeypatch.setattr("storedesk.conversations.tasks.deliver_message.schedule", lambda **k: None)
    with committed_events():
        reply = services.message_send(conversation=conversation, author=agent, text="hello")
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.QUEUED
    assert reply.delivery_error == "connection refused"
    for _ in range(services.MAX_DELIVERY_ATTEMPTS - 1):
        services.message_deliver(message_id=reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert reply.delivery_attempts == services.MAX_DELIVERY_ATTEMPTS
    assert len(calls) == services.MAX_DELIVERY_ATTEMPTS
    assert ActivityEvent.objects.filter(kind="delivery_failed").count() == 1
    # A failed message is never sent again.
    assert services.message_deliver(message_id=reply.pk) == DeliveryStatus.FAILED
    assert len(calls) == services.MAX_DELIVERY_ATTEMPTS


def test_permanent_failure_is_not_retried(api_inbox, agent, monkeypatch):
    from storedesk.core import webhooks

    api_inbox.config = {**api_inbox.config, "webhook_url": "http://127.0.0.1:9/hook"}
    api_inbox.save()
    conversation = services.message_receive(inbox=api_inbox, inbound=inbound()).conversation

    def gone(url, secret, payload, **kwargs):
        raise webhooks.WebhookError("HTTP 410", permanent=True)

    monkeypatch.setattr(webhooks, "post_signed", gone)
    with committed_events():
        reply = services.message_send(conversation=conversation, author=agent, text="hello")
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert reply.delivery_attempts == 1


def test_claimed_message_is_not_delivered_twice(api_inbox, agent, monkeypatch):
    monkeypatch.setattr("storedesk.conversations.handlers.enqueue_delivery", lambda event: None)
    from storedesk.core.events import _handlers_for

    _handlers_for.cache_clear()
    try:
        conversation = services.message_receive(inbox=api_inbox, inbound=inbound()).conversation
        reply = services.message_send(conversation=conversation, author=agent, text="hello")
        Message.objects.filter(pk=reply.pk).update(delivery_claimed_at=timezone.now())
        # Held by another worker: nothing happens.
        assert services.message_deliver(message_id=reply.pk) == DeliveryStatus.QUEUED
        assert Message.objects.get(pk=reply.pk).delivery_attempts == 0
        # An abandoned lease is taken over.
        Message.objects.filter(pk=reply.pk).update(
            delivery_claimed_at=timezone.now() - services.DELIVERY_LEASE - timedelta(seconds=1)
        )
        assert services.message_deliver(message_id=reply.pk) == DeliveryStatus.SENT
    finally:
        _handlers_for.cache_clear()


def test_sweep_finds_stuck_queued_messages(api_inbox, agent):
    conversation = services.message_receive(inbox=api_inbox, inbound=inbound()).conversation
    stuck = Message.objects.create(
        conversation=conversation,
        store_id=conversation.store_id,
        inbox=api_inbox,
        kind=MessageKind.OUTBOUND,
        sender_type="agent",
        sender_agent=agent,
        text="lost task",
        delivery_status=DeliveryStatus.QUEUED,
        created_at=timezone.now() - timedelta(minutes=5),
    )
    fresh = Message.objects.create(
        conversation=conversation,
        store_id=conversation.store_id,
        inbox=api_inbox,
        kind=MessageKind.OUTBOUND,
        sender_type="agent",
        text="just queued",
        delivery_status=DeliveryStatus.QUEUED,
        created_at=timezone.now(),
    )
    assert services.messages_due_for_delivery() == [stuck.pk]
    from storedesk.conversations.tasks import sweep_outbound

    sweep_outbound.call_local()
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.delivery_status == DeliveryStatus.SENT
    assert fresh.delivery_status == DeliveryStatus.QUEUED


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        (S.OPEN, S.PENDING, True),
        (S.OPEN, S.RESOLVED, True),
        (S.PENDING, S.OPEN, True),
        (S.PENDING, S.RESOLVED, True),
        (S.RESOLVED, S.OPEN, True),
        (S.RESOLVED, S.PENDING, False),
        (S.RESOLVED, S.SNOOZED, False),
        (S.SNOOZED, S.RESOLVED, True),
    ],
)
def test_transition_table(api_inbox, agent, start, target, allowed):
    conversation = services.message_receive(inbox=api_inbox, inbound=inbound()).conversation
    Conversation.objects.filter(pk=conversation.pk).update(status=start)
    if allowed:
        result = services.conversation_set_status(
            conversation=conversation, status=target, actor=agent
        )
        assert result.status == target
    else:
        with pytest.raises(InvalidTransition):
            services.conversation_set_status(conversation=conversation, status=target, actor=agent)
        assert Conversation.objects.get(pk=conversation.pk).status == start


def test_resolve_and_reopen_facts_and_events(api_inbox, agent):
    conversation = services.message_receive(inbox=api_inbox, inbound=inbound()).conversation
    with committed_events() as events:
        resolved = services.conversation_set_status(
            conversation=conversation, status=S.RESOLVED, actor=agent
        )
    assert names(events) == ["conversation.status_changed"]
    assert resolved.resolved_at is not None and resolved.waiting_since is None
    reopened = services.conversation_set_status(
        conversation=conversation, status=S.OPEN, actor=agent
    )
    assert reopened.reopened_count == 1 and reopened.resolved_at is None
    timeline = list(
        ActivityEvent.objects.filter(conversation=conversation, kind="status").values_list(
            "data", flat=True
        )
    )
    assert [(d["from"], d["to"]) for d in timeline] == [("open", "resolved"), ("resolved", "open")]


def test_same_status_is_a_no_op(api_inbox, agent):
    conversation = services.message_receive(inbox=api_inbox, inbound=inbound()).conversation
    with committed_events() as events:
        services.conversation_set_status(conversation=conversation, status=S.OPEN, actor=agent)
    assert events == []


def test_snooze_needs_future_time_and_wakes_up(api_inbox, agent):
    conversation = services.message_receive(inbox=api_inbox, inbound=inbound()).conversation
    with pytest.raises(ValidationError) as missing:
        services.conversation_set_status(conversation=conversation, status=S.SNOOZED, actor=agent)
    assert missing.value.field == "snooze_until"
    with pytest.raises(ValidationError):
        services.conversation_set_status(
            conversation=conversation,
            status=S.SNOOZED,
            actor=agent,
            snooze_until=timezone.now() - timedelta(minutes=1),
        )
    until = timezone.now() + timedelta(hours=2)
    snoozed = services.conversation_set_status(
        conversation=conversation, status=S.SNOOZED, actor=agent, snooze_until=until
    )
    assert snoozed.snoozed_until == until
    assert services.conversations_wake_snoozed() == 0
    assert services.conversations_wake_snoozed(now=until + timedelta(seconds=1)) == 1
    woken = Conversation.objects.get(pk=conversation.pk)
    assert woken.status == S.OPEN and woken.snoozed_until is None


def test_unknown_status_is_a_validation_error(api_inbox, agent):
    conversation = services.message_receive(inbox=api_inbox, inbound=inbound()).conversation
    with pytest.raises(ValidationError) as error:
        services.conversation_set_status(conversation=conversation, status="closed", actor=agent)
    assert error.value.field == "status"


def test_assign_emits_and_records_timeline(api_inbox, agent):
    team = TeamFactory()
    conversation = services.message_receive(inbox=api_inbox, inbound=inbound()).conversation
    with committed_events() as events:
        services.conversation_assign(
            conversation=conversation, actor=agent, assignee=agent, team=team
        )
    assert names(events) == ["conversation.assigned"]
    assert (events[0].assignee_id, events[0].team_id) == (agent.pk, team.pk)
    with committed_events() as again:
        services.conversation_assign(conversation=conversation, actor=agent, assignee=agent)
    assert again == []
    services.conversation_assign(conversation=conversation, actor=agent, assignee=None)
    conversation.refresh_from_db()
    assert conversation.assignee is None and conversation.team == team
    assert ActivityEvent.objects.filter(conversation=conversation, kind="assigned").count() == 2


def test_cannot_assign_restricted_agent_of_another_store(api_inbox, other_store, agent):
    from storedesk.accounts.enums import Role

    outsider = AgentFactory(role=Role.RESTRICTED, stores=[other_store])
    inactive = AgentFactory(is_active=False)
    conversation = services.message_receive(inbox=api_inbox, inbound=inbound()).conversation
    for candidate in (outsider, inactive):
        with pytest.raises(ValidationError) as error:
            services.conversation_assign(conversation=conversation, actor=agent, assignee=candidate)
        assert error.value.field == "assignee_id"


def test_tags_are_normalised_and_emitted(api_inbox, agent):
    conversation = services.message_receive(inbox=api_inbox, inbound=inbound()).conversation
    with committed_events() as events:
        tags = services.conversation_tag(
            conversation=conversation, actor=agent, add=["Refund", "  shipping  delay "]
        )
    assert tags == ["refund", "shipping delay"]
    assert names(events) == ["conversation.tagged"]
    assert events[0].added == ("refund", "shipping delay")
    tags = services.conversation_tag(
        conversation=conversation, actor=agent, add=["REFUND"], remove=["shipping delay"]
    )
    assert tags == ["refund"]
    with committed_events() as none:
        services.conversation_tag(conversation=conversation, actor=agent, remove=["absent"])
    assert none == []


def test_merge_moves_conversations_and_deletes_source(api_inbox, agent):
    from storedesk.contacts.services import contact_merge

    a = services.message_receive(inbox=api_inbox, inbound=inbound(email="a@example.com"))
    b = services.message_receive(inbox=api_inbox, inbound=inbound(email="b@example.com"))
    target, source = a.conversation.contact, b.conversation.contact
    with committed_events() as events:
        contact_merge(target=target, source=source, actor=agent)
    assert names(events) == ["conversation.contact_changed", "contact.merged"]
    assert not Contact.objects.filter(pk=source.pk).exists()
    assert set(Conversation.objects.values_list("contact_id", flat=True)) == {target.pk}
    assert Message.objects.get(pk=b.pk).sender_contact_id == target.pk
    # The merged identity now finds the target contact.
    later = services.message_receive(inbox=api_inbox, inbound=inbound(email="b@example.com"))
    assert later.conversation.contact_id == target.pk


def test_conversation_is_dated_by_the_message_and_future_dates_are_clamped(api_inbox):
    written = timezone.now() - timedelta(hours=3)
    message = services.message_receive(inbox=api_inbox, inbound=inbound(received_at=written))
    assert message.created_at == written
    assert message.conversation.created_at == written
    future = services.message_receive(
        inbox=api_inbox,
        inbound=inbound(
            "from a bad clock",
            email="x@example.com",
            received_at=timezone.now() + timedelta(days=2),
        ),
    )
    assert future.created_at <= timezone.now()


def test_preview_follows_customer_visible_messages(api_inbox, agent):
    conversation = services.message_receive(
        inbox=api_inbox, inbound=inbound("Where   is\nmy order?")
    ).conversation
    conversation.refresh_from_db()
    assert conversation.preview == "Where is my order?"
    services.note_add(conversation=conversation, author=agent, text="internal only")
    conversation.refresh_from_db()
    assert conversation.preview == "Where is my order?"
    services.message_send(conversation=conversation, author=agent, text="Shipped " + "x" * 300)
    conversation.refresh_from_db()
    assert conversation.preview.startswith("Shipped") and len(conversation.preview) == 200


def test_priority_change_is_recorded_and_emitted(api_inbox, agent):
    conversation = services.message_receive(inbox=api_inbox, inbound=inbound()).conversation
    with committed_events() as events:
        services.conversation_set_priority(conversation=conversation, actor=agent, priority=3)
    assert names(events) == ["conversation.priority_changed"]
    assert events[0].priority == 3
    with committed_events() as none:
        services.conversation_set_priority(conversation=conversation, actor=agent, priority=3)
    assert none == []
    with pytest.raises(ValidationError) as error:
        services.conversation_set_priority(conversation=conversation, actor=agent, priority=9)
    assert error.value.field == "priority"
    data = ActivityEvent.objects.get(conversation=conversation, kind="priority").data
    assert data == {"from": 1, "to": 3}


def test_nul_characters_are_kept_as_replacement_characters(api_inbox, agent):
    message = services.message_receive(
        inbox=api_inbox,
        inbound=inbound("bad\x00byte", name="A\x00na", html="<p>x\x00y</p>", subject="s\x00"),
    )
    message.refresh_from_db()
    assert message.text == "bad\ufffdbyte" and "\x00" not in message.html
    assert message.conversation.contact.name == "A\ufffdna"
    reply = services.message_send(conversation=message.conversation, author=agent, text="o\x00k")
    reply.refresh_from_db()
    assert reply.text == "o\ufffdk"
