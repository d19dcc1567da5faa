"""The assistant in a chat conversation: answers from the help center in the customer's
language, order status behind identity checks, handoff rules with routing and the agent's
note, business hours, feedback, and silence once a person has the conversation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from storedesk.accounts.models import Team
from storedesk.assistant.models import (
    AssistantAnswer,
    AssistantSession,
    Awaiting,
    HandoffReason,
    SessionState,
)
from storedesk.assistant.services import assistant_feedback, assistant_respond
from storedesk.commerce.models import Order
from storedesk.conversations.enums import ConversationStatus, MessageKind, SenderType
from storedesk.conversations.models import Conversation, Message
from storedesk.conversations.services import message_send
from storedesk.core.errors import NotFound
from storedesk.core.testing import AgentFactory, committed_events, make_inbox
from storedesk.inboxes.adapters.webchat.service import (
    chat_item,
    visitor_message,
    visitor_set_details,
    visitor_start,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(shop):
    return Team.objects.create(name="Support")


@pytest.fixture
def chat(shop, team):
    return make_inbox(
        shop, "webchat", "Chat", default_team=team, config={"assistant": {"enabled": True}}
    )


@pytest.fixture
def order(shop):
    return Order.objects.create(
        store=shop,
        external_id="o-1",
        number="NW1234567",
        customer_email="ana@example.com",
        status="shipped",
        total=Decimal("59.90"),
        currency="EUR",
        line_items=[{"sku": "K1", "name": "Kettle Aurora", "quantity": 1, "price": "59.90"}],
        placed_at=timezone.now() - dt.timedelta(days=3),
        carrier="GLS",
        tracking_number="TRK998877",
        tracking_url="https://gls.example/track/TRK998877",
    )


def visitor_of(inbox, locale="en", email=""):
    visitor, _token = visitor_start(inbox=inbox, locale=locale)
    if email:
        visitor_set_details(visitor=visitor, fields={"email": email})
    return visitor


def say(visitor, text: str) -> list[Message]:
    """The visitor writes; returns what the assistant added after it (replies and notes)."""
    say.count = getattr(say, "count", 0) + 1
    with committed_events():
        message, _new = visitor_message(visitor=visitor, text=text, client_key=f"k{say.count}")
    return list(
        Message.objects.filter(conversation_id=message.conversation_id, id__gt=message.pk)
        .exclude(kind=MessageKind.INBOUND)
        .order_by("id")
    )


def replies(messages):
    return [m for m in messages if m.kind == MessageKind.OUTBOUND]


def session_of(visitor) -> AssistantSession:
    return AssistantSession.objects.get(conversation_id=visitor.conversation_id)


# --- Answers from the help center -------------------------------------------------------------


def test_a_croatian_question_is_answered_from_the_english_article(chat):
    visitor = visitor_of(chat, "hr")
    added = say(visitor, "Koje načine plaćanja prihvaćate?")

    (reply,) = added
    assert reply.kind == MessageKind.OUTBOUND and reply.sender_type == SenderType.ASSISTANT
    assert reply.text.startswith("Ovo bi vam moglo pomoći:")
    assert "We accept Visa, Mastercard, PayPal" in reply.text
    assert "/help/northwind/en/a/payment-methods/" in reply.text
    assert reply.text.endswith("Je li ovo odgovorilo na vaše pitanje?")
    answer = AssistantAnswer.objects.get(message=reply)
    assert (answer.title, answer.locale, answer.helpful) == ("Payment methods", "en", None)
    session = session_of(visitor)
    assert (session.state, session.language, session.awaiting) == (
        SessionState.ACTIVE,
        "hr",
        Awaiting.FEEDBACK,
    )
    item = chat_item(reply)
    assert (item["sender"], item["sender_name"]) == ("assistant", "")
    assert item["answer"] == {
        "title": "Payment methods",
        "url": "/help/northwind/en/a/payment-methods/",
        "helpful": None,
    }


def test_the_answer_is_in_the_customers_language_when_a_translation_exists(chat):
    visitor = visitor_of(chat, "hr")
    (reply,) = say(visitor, "Kako mogu vratiti proizvod koji mi ne odgovara?")
    answer = AssistantAnswer.objects.get(message=reply)
    assert (answer.locale, answer.title) == ("hr", "Povrat robe u 30 dana")
    assert "Većinu proizvoda možete vratiti u roku od 30 dana" in reply.text


def test_a_chinese_question_is_answered_in_chinese_from_the_english_article(chat):
    visitor = visitor_of(chat, "zh-hans")
    (reply,) = say(visitor, "你们支持哪些付款方式？")
    answer = AssistantAnswer.objects.get(message=reply)
    # The Chinese tracking article is the embedding's near-tie; the intent decides.
    assert (answer.locale, answer.title) == ("en", "Payment methods")
    assert reply.text.startswith("以下内容或许能帮到您：")
    assert reply.text.endswith("这是否解答了您的问题？")


def test_yes_resolves_the_conversation_without_a_person(chat):
    visitor = visitor_of(chat)
    (answer_message,) = say(visitor, "Which payment methods do you accept?")
    with committed_events():
        outcome = assistant_feedback(
            conversation_id=visitor.conversation_id, message_id=answer_message.pk, helpful=True
        )
    assert outcome == "resolved"
    conversation = Conversation.objects.get(pk=visitor.conversation_id)
    assert conversation.status == ConversationStatus.RESOLVED
    assert conversation.first_response_at is None  # no person answered
    assert AssistantAnswer.objects.get(message=answer_message).helpful is True
    session = session_of(visitor)
    assert session.state == SessionState.RESOLVED and session.resolved_at is not None
    last = Message.objects.filter(conversation=conversation).last()
    assert last.sender_type == SenderType.ASSISTANT and last.text.startswith("Glad I could help")
    # A second click changes nothing.
    assert (
        assistant_feedback(
            conversation_id=visitor.conversation_id, message_id=answer_message.pk, helpful=False
        )
        == "ignored"
    )


def test_a_typed_yes_counts_as_feedback(chat):
    visitor = visitor_of(chat, "hr")
    say(visitor, "Koliko košta dostava unutar Hrvatske?")
    (thanks,) = say(visitor, "Da, hvala!")
    assert thanks.text.startswith("Drago mi je da sam pomogao")
    assert session_of(visitor).state == SessionState.RESOLVED


def test_no_hands_off_with_a_note_saying_what_was_tried(chat, team):
    member = AgentFactory(username="mia", last_seen_at=timezone.now())
    team.members.add(member)
    visitor = visitor_of(chat)
    (answer_message,) = say(visitor, "Which payment methods do you accept?")
    with committed_events():
        outcome = assistant_feedback(
            conversation_id=visitor.conversation_id, message_id=answer_message.pk, helpful=False
        )
    assert outcome == "handed_off"
    conversation = Conversation.objects.get(pk=visitor.conversation_id)
    assert (conversation.assignee, conversation.team) == (member, team)
    assert conversation.waiting_since is not None
    note = Message.objects.get(conversation=conversation, kind=MessageKind.NOTE)
    assert note.sender_type == SenderType.ASSISTANT
    assert "Reason: The answer did not help." in note.text
    assert "answered from the article “Payment methods”" in note.text
    assert "the customer said the answer did not help" in note.text
    assert session_of(visitor).handoff_reason == HandoffReason.NOT_HELPFUL
    assert AssistantAnswer.objects.get(message=answer_message).helpful is False


def test_feedback_for_another_conversation_is_refused(chat):
    visitor, stranger = visitor_of(chat), visitor_of(chat)
    (answer_message,) = say(visitor, "Which payment methods do you accept?")
    say(stranger, "hello")
    with pytest.raises(NotFound):
        assistant_feedback(
            conversation_id=stranger.conversation_id, message_id=answer_message.pk, helpful=True
        )
    assert AssistantAnswer.objects.get(message=answer_message).helpful is None


# --- Handoff rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason", "language", "reply_start"),
    [
        ("转人工", HandoffReason.ASKED_FOR_PERSON, "zh-hans", "正在为您转接人工客服"),
        (
            "I want to talk to a real person please",
            HandoffReason.ASKED_FOR_PERSON,
            "en",
            "I'm passing you",
        ),
        (
            "Ovo je prevara, lopovi ste, zvat ću odvjetnika!!!",
            HandoffReason.NEGATIVE,
            "hr",
            "Prosljeđujem vas kolegi",
        ),
        (
            "My card was charged twice for the same order",
            HandoffReason.HUMAN_ONLY,
            "en",
            "I'm passing you",
        ),
        (
            "I want to file a complaint about the rude courier who threw my parcel",
            HandoffReason.COMPLAINT,
            "en",
            "I'm passing you",
        ),
    ],
)
def test_handoff_rules(chat, text, reason, language, reply_start):
    visitor = visitor_of(chat, language)
    added = say(visitor, text)
    (reply,) = replies(added)
    assert reply.text.startswith(reply_start)
    session = session_of(visitor)
    assert (session.state, session.handoff_reason) == (SessionState.HANDED_OFF, reason)
    note = next(m for m in added if m.kind == MessageKind.NOTE)
    assert f"Reason: {HandoffReason(reason).label}." in note.text


def test_the_note_names_language_intent_and_order(chat, order):
    visitor = visitor_of(chat, "zh-hans", email="ana@example.com")
    say(visitor, "我的订单 NW1234567 到哪里了？")
    added = say(visitor, "转人工")
    note = next(m for m in added if m.kind == MessageKind.NOTE)
    assert "Language: Simplified Chinese (zh-hans)" in note.text
    assert "Intent: contact_human_agent" in note.text
    assert "gave the status of order NW1234567" in note.text
    assert "Order: NW1234567 (Shipped), verified" in note.text


def test_two_messages_it_cannot_answer_hand_off(chat):
    visitor = visitor_of(chat)
    (first,) = say(visitor, "What will the weather be like tomorrow in Oslo?")
    assert first.text.startswith("I'm not sure I understood")
    assert session_of(visitor).unsure_count == 1
    added = say(visitor, "Who won the football match yesterday?")
    assert session_of(visitor).handoff_reason == HandoffReason.UNSURE
    note = next(m for m in added if m.kind == MessageKind.NOTE)
    assert note.text.count("found no article that answers it") == 2


def test_a_greeting_is_answered_without_counting_as_not_understood(chat):
    visitor = visitor_of(chat, "hr")
    (reply,) = say(visitor, "Bok!")
    assert reply.text.startswith("Bok! Kako vam mogu pomoći?")
    assert session_of(visitor).unsure_count == 0


def test_the_dedicated_agent_gets_the_handoff_first(chat, team):
    dedicated = AgentFactory(username="dedicated")
    team.members.add(AgentFactory(username="other", last_seen_at=timezone.now()))
    visitor = visitor_of(chat)
    say(visitor, "hello")
    conversation = Conversation.objects.get(pk=visitor.conversation_id)
    conversation.contact.dedicated_agent = dedicated
    conversation.contact.save()
    say(visitor, "Can I speak to a human agent?")
    conversation.refresh_from_db()
    assert conversation.assignee == dedicated


def test_with_nobody_available_the_conversation_waits_in_the_team_queue(chat, team):
    team.members.add(AgentFactory(username="away", available=False, last_seen_at=timezone.now()))
    team.members.add(
        AgentFactory(username="gone", last_seen_at=timezone.now() - dt.timedelta(hours=1))
    )
    visitor = visitor_of(chat)
    say(visitor, "Can I speak to a human agent?")
    conversation = Conversation.objects.get(pk=visitor.conversation_id)
    assert (conversation.team, conversation.assignee) == (team, None)
    assert conversation.status == ConversationStatus.OPEN


def test_the_least_busy_available_member_is_assigned(chat, team, shop):
    busy, free = (AgentFactory(username=name, last_seen_at=timezone.now()) for name in "bf")
    team.members.add(busy, free)
    other = make_inbox(shop, "api", "API")
    from storedesk.core.testing import inbound

    with committed_events():
        from storedesk.conversations.services import conversation_assign, message_receive

        taken = message_receive(inbox=other, inbound=inbound("Old question"))
        conversation_assign(conversation=taken.conversation, actor=None, assignee=busy)
    visitor = visitor_of(chat)
    say(visitor, "I need a human")
    assert Conversation.objects.get(pk=visitor.conversation_id).assignee == free


def test_outside_business_hours_it_says_when_a_person_will_answer(chat, shop):
    now = timezone.now().astimezone(dt.UTC)
    closed_day = (now.weekday() + 2) % 7  # open only on a day two days from now
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    shop.business_hours = {"week": {days[closed_day]: [["09:00", "17:00"]]}}
    shop.time_zone = "UTC"
    shop.save()
    visitor = visitor_of(chat)
    (reply,) = replies(say(visitor, "Can I talk to a person?"))
    assert "Our team is away right now and will answer from" in reply.text
    opening = (now + dt.timedelta(days=2)).date()
    weekday = opening.strftime("%A")
    assert weekday in reply.text and "(UTC)" in reply.text


def test_within_business_hours_it_does_not_say_away(chat):
    visitor = visitor_of(chat)
    (reply,) = replies(say(visitor, "Can I talk to a person?"))
    assert "away" not in reply.text


# --- Orders -------------------------------------------------------------------------------


def test_order_status_with_the_matching_number_and_email(chat, order):
    visitor = visitor_of(chat, email="ana@example.com")
    (reply,) = say(visitor, "Where is my order NW1234567?")
    assert "Order NW1234567" in reply.text and "It has been shipped." in reply.text
    assert "Kettle Aurora × 1" in reply.text
    assert "GLS TRK998877" in reply.text and order.tracking_url in reply.text
    assert session_of(visitor).verified_order == order


def test_the_assistant_asks_for_what_is_missing_then_answers(chat, order):
    visitor = visitor_of(chat, "hr")
    (ask,) = say(visitor, "Gdje je moja narudžba?")
    assert "broj narudžbe i adresu e-pošte" in ask.text
    assert session_of(visitor).awaiting == Awaiting.ORDER
    (ask_email,) = say(visitor, "NW1234567")
    assert "adresu e-pošte" in ask_email.text and "NW1234567" not in ask_email.text
    (status,) = say(visitor, "ana@example.com")
    assert "Narudžba NW1234567" in status.text and "Poslana je." in status.text


def test_a_wrong_email_never_reveals_the_order(chat, order):
    visitor = visitor_of(chat, email="mallory@example.com")
    (wrong,) = say(visitor, "Where is my order NW1234567?")
    for secret in ("Kettle", "TRK998877", "Shipped", "shipped", "59.90"):
        assert secret not in wrong.text
    # The same words as for a number that does not exist at all.
    other = visitor_of(chat, email="mallory@example.com")
    (unknown,) = say(other, "Where is my order NW7654321?")
    assert wrong.text == unknown.text
    assert session_of(visitor).identity_failures == 1


def test_two_wrong_pairs_hand_off(chat, order):
    visitor = visitor_of(chat, email="mallory@example.com")
    say(visitor, "Where is my order NW1234567?")
    added = say(visitor, "NW1234567 mallory@example.com")
    (reply,) = replies(added)
    assert "Kettle" not in reply.text
    assert session_of(visitor).handoff_reason == HandoffReason.IDENTITY
    note = next(m for m in added if m.kind == MessageKind.NOTE)
    assert "Order: none verified" in note.text


def test_an_order_the_shop_linked_to_the_contact_needs_no_details(chat, order):
    visitor = visitor_of(chat)
    say(visitor, "hello")
    conversation = Conversation.objects.get(pk=visitor.conversation_id)
    order.contact = conversation.contact
    order.save()
    (reply,) = say(visitor, "Where is my order?")
    assert "Order NW1234567" in reply.text


def test_a_cancellation_is_collected_and_handed_to_a_person(chat, order):
    visitor = visitor_of(chat, email="ana@example.com")
    added = say(visitor, "Please cancel my order NW1234567, I ordered the wrong kettle")
    (reply,) = replies(added)
    assert reply.text.startswith("Thanks, I have noted your request for order NW1234567.")
    session = session_of(visitor)
    assert (session.handoff_reason, session.verified_order) == (HandoffReason.ORDER_CHANGE, order)
    note = next(m for m in added if m.kind == MessageKind.NOTE)
    assert "Request: Please cancel my order NW1234567" in note.text
    assert "Order: NW1234567 (Shipped), verified" in note.text


# --- When the assistant stays silent --------------------------------------------------------


def test_after_a_handoff_the_assistant_stays_silent(chat):
    visitor = visitor_of(chat)
    say(visitor, "I need a human")
    assert say(visitor, "Which payment methods do you accept?") == []


def test_an_agent_who_replies_takes_over(chat, agent):
    visitor = visitor_of(chat)
    say(visitor, "hello")
    conversation = Conversation.objects.get(pk=visitor.conversation_id)
    with committed_events():
        message_send(conversation=conversation, author=agent, text="Hi, Ana here!")
    assert say(visitor, "Which payment methods do you accept?") == []
    assert session_of(visitor).state == SessionState.TAKEN_OVER


def test_without_the_assistant_nobody_answers_automatically(shop):
    inbox = make_inbox(shop, "webchat", "Plain chat")
    visitor = visitor_of(inbox)
    assert say(visitor, "Which payment methods do you accept?") == []
    assert not AssistantSession.objects.exists()


def test_a_turn_runs_once_per_message(chat):
    visitor = visitor_of(chat)
    (reply,) = say(visitor, "Which payment methods do you accept?")
    message = Message.objects.get(conversation_id=visitor.conversation_id, kind="inbound")
    with committed_events():
        assert assistant_respond(message_id=message.pk) == "skipped"
    assert Message.objects.filter(conversation_id=visitor.conversation_id).count() == 2


def test_human_only_intents_are_the_shops_choice(shop):
    inbox = make_inbox(
        shop,
        "webchat",
        "Chat",
        config={"assistant": {"enabled": True, "human_only_intents": []}},
    )
    visitor = visitor_of(inbox)
    added = say(visitor, "My card was charged twice for the same order")
    assert session_of(visitor).handoff_reason != HandoffReason.HUMAN_ONLY
    assert replies(added)


def test_the_assistant_config_is_validated(shop):
    from storedesk.core.errors import ValidationError

    with pytest.raises(ValidationError):
        make_inbox(shop, "webchat", "Chat", config={"assistant": {"human_only_intents": ["bogus"]}})


def test_if_the_assistant_fails_a_person_takes_over(chat, monkeypatch):
    from storedesk.assistant import services

    def broken(context):
        raise RuntimeError("search index unavailable")

    monkeypatch.setattr(services, "decide", broken)
    visitor = visitor_of(chat)
    added = say(visitor, "Which payment methods do you accept?")
    (reply,) = replies(added)
    assert reply.text.startswith("I'm passing you to a colleague")
    assert session_of(visitor).handoff_reason == HandoffReason.UNSURE
    note = next(m for m in added if m.kind == MessageKind.NOTE)
    assert "the assistant failed to process the message" in note.text


def test_an_agent_reply_while_the_assistant_thinks_keeps_it_silent(chat, agent, monkeypatch):
    from storedesk.assistant import services

    visitor = visitor_of(chat)
    say(visitor, "hello")
    conversation = Conversation.objects.get(pk=visitor.conversation_id)
    decide = services.decide

    def slow_decide(context):
        turn = decide(context)
        message_send(conversation=conversation, author=agent, text="Ana here, I've got this.")
        return turn

    monkeypatch.setattr(services, "decide", slow_decide)
    added = say(visitor, "Which payment methods do you accept?")
    assert [m.sender_type for m in added] == [SenderType.AGENT]
    assert session_of(visitor).state == SessionState.TAKEN_OVER


def test_a_message_written_while_the_assistant_answers_the_previous_one_is_answered(
    chat, monkeypatch
):
    from storedesk.assistant import services

    visitor = visitor_of(chat)
    decide = services.decide
    sent = []

    def decide_while_the_customer_writes(context):
        turn = decide(context)
        if not sent:
            sent.append(say(visitor, "Which payment methods do you accept?"))
        return turn

    monkeypatch.setattr(services, "decide", decide_while_the_customer_writes)
    say(visitor, "hello")
    replies_ = Message.objects.filter(
        conversation_id=visitor.conversation_id, kind=MessageKind.OUTBOUND
    )
    # The first turn gives way to the newer message, whose turn answers it.
    assert [r.text.startswith("This may help:") for r in replies_] == [True]


def test_feedback_after_a_person_closed_the_conversation_changes_nothing(chat, agent):
    from storedesk.conversations.services import conversation_set_status

    visitor = visitor_of(chat)
    (answer_message,) = say(visitor, "Which payment methods do you accept?")
    conversation = Conversation.objects.get(pk=visitor.conversation_id)
    with committed_events():
        conversation_set_status(conversation=conversation, status="resolved", actor=agent)
        outcome = assistant_feedback(
            conversation_id=conversation.pk, message_id=answer_message.pk, helpful=False
        )
    assert outcome == "ignored"
    assert not Message.objects.filter(conversation=conversation, id__gt=answer_message.pk)


def test_a_message_listing_many_numbers_is_one_guess(chat, order):
    visitor = visitor_of(chat, email="ana@example.com")
    (reply,) = say(visitor, "my parcel hasn't arrived, order NW1111111 NW2222222 NW1234567")
    assert "Kettle" not in reply.text and "TRK998877" not in reply.text
    assert session_of(visitor).identity_failures == 1


def test_a_deactivated_assignee_does_not_keep_the_handoff(chat, team):
    gone = AgentFactory(username="left-the-company")
    member = AgentFactory(username="mia", last_seen_at=timezone.now())
    team.members.add(member)
    visitor = visitor_of(chat)
    say(visitor, "hello")
    Conversation.objects.filter(pk=visitor.conversation_id).update(assignee=gone)
    gone.is_active = False
    gone.save()
    say(visitor, "Can I speak to a human agent?")
    assert Conversation.objects.get(pk=visitor.conversation_id).assignee == member
