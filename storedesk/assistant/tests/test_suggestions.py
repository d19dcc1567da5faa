"""The assistant in email and web-form inboxes: one reply to a new request with the articles
that may answer it (or the sender's order), the request still the team's, and the link
with which the customer closes it."""

import datetime as dt
import email
import email.policy
import re
import smtplib
from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller
from django.core import mail, signing
from django.test import Client
from django.utils import timezone

from storedesk.assistant import suggestion_services
from storedesk.assistant.models import AssistantAnswer, AssistantSession, Awaiting, SessionState
from storedesk.assistant.suggestion_services import (
    assistant_suggest,
    solved_token,
    suggestion_solved,
)
from storedesk.commerce.models import Order
from storedesk.conversations.enums import ConversationStatus, MessageKind, SenderType
from storedesk.conversations.models import Conversation, Message
from storedesk.conversations.services import (
    conversation_set_status,
    message_receive,
    message_send,
)
from storedesk.core.errors import NotFound
from storedesk.core.testing import SmtpSink, committed_events, free_port, make_inbox
from storedesk.inboxes.adapters import adapter_for
from storedesk.inboxes.adapters.email.smtpd import make_controller
from storedesk.inboxes.services import inbound_payload_store

pytestmark = pytest.mark.django_db
LINK = re.compile(r"/requests/solved/([^/\s]+)/")


def mail_bytes(body: str, *, sender="Ana Horvat <ana@example.hr>", message_id="<q1@example.hr>"):
    return (
        "\r\n".join(
            [
                f"From: {sender}",
                "To: support@northwind.example",
                "Subject: Pitanje",
                "Date: Mon, 07 Dec 2026 10:15:00 +0100",
                f"Message-ID: {message_id}",
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: 8bit",
            ]
        )
        + "\r\n\r\n"
        + body
    ).encode()


@pytest.fixture
def mailbox(shop):
    return make_inbox(
        shop,
        "email",
        "Support mail",
        config={"address": "support@northwind.example", "assistant": {"enabled": True}},
    )


def write(inbox, body: str, **kwargs) -> Message:
    """The customer's mail arrives (parsed as received); returns their message."""
    with committed_events():
        payload, _new = inbound_payload_store(inbox=inbox, raw=mail_bytes(body, **kwargs))
    payload.refresh_from_db()
    assert payload.status == "processed", payload.error
    return payload.message


def assistant_replies(conversation_id):
    return list(
        Message.objects.filter(
            conversation_id=conversation_id,
            kind=MessageKind.OUTBOUND,
            sender_type=SenderType.ASSISTANT,
        )
    )


def token_in(text: str) -> str:
    return LINK.search(text).group(1)


# --- The reply --------------------------------------------------------------------------------


def test_a_new_request_by_mail_gets_the_articles_in_the_customers_language(mailbox):
    message = write(mailbox, "Dobar dan, koje načine plaćanja prihvaćate?")

    (reply,) = assistant_replies(message.conversation_id)
    assert reply.text.startswith("Hvala na poruci.")
    assert "1. Payment methods\nWe accept Visa, Mastercard, PayPal" in reply.text
    assert "/help/northwind/en/a/payment-methods/" in reply.text
    assert reply.delivery_status == "sent"
    (sent,) = mail.outbox
    assert sent.to == ["Ana Horvat <ana@example.hr>"]
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"
    assert sent.extra_headers["X-Auto-Response-Suppress"] == "All"
    assert signing.loads(token_in(sent.body), salt=suggestion_services.SOLVED_SALT) == message.pk
    # Still the team's: waiting for them since the customer wrote, no first response yet.
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.status == ConversationStatus.OPEN
    assert conversation.waiting_since == message.created_at
    assert conversation.first_response_at is None
    session = AssistantSession.objects.get(conversation=conversation)
    assert (session.state, session.language, session.awaiting) == (
        SessionState.ACTIVE,
        "hr",
        Awaiting.FEEDBACK,
    )
    assert session.tried == [{"step": "suggested", "articles": ["Payment methods"]}]
    answer = AssistantAnswer.objects.get(message=reply)
    assert (answer.title, answer.locale, answer.helpful) == ("Payment methods", "en", None)


def test_a_translated_article_is_suggested_in_the_customers_language(mailbox):
    message = write(mailbox, "Koliko košta dostava unutar Hrvatske?")
    (reply,) = assistant_replies(message.conversation_id)
    assert "Troškovi dostave" in reply.text
    assert "/help/northwind/hr/a/" in reply.text
    assert "Shipping costs" not in reply.text


def test_only_the_first_message_of_a_request_gets_suggestions(mailbox):
    first = write(mailbox, "Which payment methods do you accept?")
    (reply,) = assistant_replies(first.conversation_id)
    answer = mail_bytes("And can I pay cash on delivery?", message_id="<q2@example.hr>").replace(
        b"Subject: Pitanje", f"In-Reply-To: {reply.external_id}\r\nSubject: Re".encode()
    )
    with committed_events():
        inbound_payload_store(inbox=mailbox, raw=answer)
    assert Message.objects.filter(conversation_id=first.conversation_id).count() == 3
    assert len(assistant_replies(first.conversation_id)) == 1
    assert assistant_suggest(message_id=first.pk) == "skipped"  # a retried task


@pytest.mark.parametrize(
    "text",
    [
        "I want to talk to a real person about my order please",
        "转人工",
        "This is the worst shop ever, absolutely terrible service, I am furious!!!",
        "My card was charged twice for the same order, please fix the payment",
        "Please cancel my order 88812345, I ordered the wrong size",
    ],
)
def test_what_a_person_should_answer_gets_no_suggestions(mailbox, text):
    message = write(mailbox, text)
    assert assistant_replies(message.conversation_id) == []
    assert not AssistantSession.objects.exists()
    assert mail.outbox == []


def test_nothing_close_enough_sends_nothing(mailbox):
    message = write(mailbox, "Do you sponsor local football clubs in Split?")
    assert assistant_suggest(message_id=message.pk) in ("none", "skipped")
    assert assistant_replies(message.conversation_id) == []


def test_off_unless_the_inbox_turns_it_on(shop):
    inbox = make_inbox(shop, "email", "Mail", config={"address": "help@northwind.example"})
    message = write(inbox, "Which payment methods do you accept?")
    assert assistant_suggest(message_id=message.pk) == "off"
    assert Message.objects.filter(conversation_id=message.conversation_id).count() == 1


def test_an_agent_who_answered_first_keeps_it_silent(shop, agent):
    inbox = make_inbox(shop, "email", "Mail", config={"address": "help@northwind.example"})
    message = write(inbox, "Which payment methods do you accept?")
    message_send(conversation=message.conversation, author=agent, text="Visa and PayPal.")
    inbox.config = {**inbox.config, "assistant": {"enabled": True}}  # turned on since
    inbox.save(update_fields=["config"])
    assert assistant_suggest(message_id=message.pk) == "silent"
    assert assistant_replies(message.conversation_id) == []


def test_the_order_of_the_address_it_was_placed_with_is_answered_at_once(mailbox):
    Order.objects.create(
        store=mailbox.store,
        external_id="o-7",
        number="NW7654321",
        customer_email="ana@example.hr",
        status="shipped",
        total=Decimal("59.90"),
        currency="EUR",
        line_items=[{"sku": "K1", "name": "Kettle Aurora", "quantity": 1, "price": "59.90"}],
        placed_at=timezone.now() - dt.timedelta(days=3),
        carrier="GLS",
        tracking_number="TRK112233",
        tracking_url="https://gls.example/track/TRK112233",
    )
    message = write(mailbox, "Where is my order? It has not arrived yet.", sender="ana@example.hr")
    (reply,) = assistant_replies(message.conversation_id)
    assert "NW7654321" in reply.text and "TRK112233" in reply.text
    assert AssistantSession.objects.get().verified_order.number == "NW7654321"


def test_another_address_never_sees_the_order(mailbox):
    Order.objects.create(
        store=mailbox.store,
        external_id="o-8",
        number="NW7654322",
        customer_email="ana@example.hr",
        status="shipped",
        total=Decimal("10"),
        currency="EUR",
        placed_at=timezone.now(),
    )
    message = write(mailbox, "Where is my order NW7654322?", sender="eve@example.net")
    for reply in assistant_replies(message.conversation_id):
        assert "NW7654322" not in reply.text.replace(message.text, "")


def test_a_web_form_request_gets_suggestions_by_mail(shop):
    inbox = make_inbox(shop, "webform", "Contact form", config={"assistant": {"enabled": True}})
    adapter = adapter_for(inbox)
    with committed_events():
        message = message_receive(
            inbox=inbox,
            inbound=adapter.parse(
                {"name": "Li Wei", "email": "li@example.cn", "message": "你们接受哪些付款方式？"}
            ),
        )
    (reply,) = assistant_replies(message.conversation_id)
    assert "Payment methods" in reply.text
    (sent,) = mail.outbox
    assert sent.to == ["Li Wei <li@example.cn>"]
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"


# --- The closing link -------------------------------------------------------------------------


def test_the_link_asks_first_and_the_button_closes_the_request(mailbox):
    message = write(mailbox, "Koje načine plaćanja prihvaćate?")
    url = f"/requests/solved/{token_in(mail.outbox[0].body)}/"
    client = Client()

    page = client.get(url)  # what a mail scanner opening the link does
    assert page.status_code == 200
    assert 'id="close-request">Da, zatvori moj zahtjev<' in page.content.decode()
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.status == ConversationStatus.OPEN

    done = client.post(url)
    assert done.status_code == 200 and 'id="request-closed"' in done.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.RESOLVED
    session = AssistantSession.objects.get(conversation=conversation)
    assert session.state == SessionState.RESOLVED and session.resolved_at is not None
    assert AssistantAnswer.objects.get(session=session).helpful is True
    note = Message.objects.get(conversation=conversation, kind=MessageKind.NOTE)
    assert "Payment methods" in note.text and note.sender_type == SenderType.ASSISTANT

    again = client.post(url)
    assert 'id="request-not-closable"' in again.content.decode()
    assert Message.objects.filter(conversation=conversation, kind=MessageKind.NOTE).count() == 1


def test_a_request_a_person_closed_stays_as_it_is(mailbox, agent):
    message = write(mailbox, "Which payment methods do you accept?")
    token = token_in(mail.outbox[0].body)
    conversation_set_status(
        conversation=message.conversation, status=ConversationStatus.RESOLVED, actor=agent
    )
    assert suggestion_solved(token=token) == "ignored"
    assert AssistantSession.objects.get().state == SessionState.ACTIVE


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        signing.dumps(1, salt="another purpose"),
        signing.dumps(999999, salt=suggestion_services.SOLVED_SALT),
    ],
)
def test_a_link_that_does_not_work_is_not_found(mailbox, token):
    write(mailbox, "Which payment methods do you accept?")
    with pytest.raises(NotFound):
        suggestion_solved(token=token)
    assert Client().post(f"/requests/solved/{token}/").status_code == 404
    assert Conversation.objects.get().status == ConversationStatus.OPEN


def test_a_tampered_link_is_not_found(mailbox):
    message = write(mailbox, "Which payment methods do you accept?")
    token = solved_token(message.pk)
    forged = signing.dumps(message.pk + 1, salt=suggestion_services.SOLVED_SALT)[:-3] + token[-3:]
    with pytest.raises(NotFound):
        suggestion_solved(token=forged)


def test_an_old_link_has_expired(mailbox, monkeypatch):
    message = write(mailbox, "Which payment methods do you accept?")
    monkeypatch.setattr(suggestion_services, "SOLVED_MAX_AGE", -1)
    with pytest.raises(NotFound):
        suggestion_solved(token=solved_token(message.pk))


# --- SMTP on loopback, end to end -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_by_smtp_the_customer_gets_the_articles_and_closes_the_request(shop, settings):
    make_inbox(
        shop,
        "email",
        "Support mail",
        config={"address": "support@northwind.example", "assistant": {"enabled": True}},
    )
    receiver = make_controller("127.0.0.1", free_port())
    sink = SmtpSink()
    outgoing = Controller(sink, hostname="127.0.0.1", port=free_port())
    receiver.start()
    outgoing.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", outgoing.port
    try:
        with smtplib.SMTP("127.0.0.1", receiver.port, timeout=10) as client:
            client.sendmail(
                "ana@example.hr",
                ["support@northwind.example"],
                mail_bytes("Which payment methods do you accept?"),
            )
        (delivered,) = (
            email.message_from_bytes(raw, policy=email.policy.default) for raw in sink.messages
        )
        assert delivered["Auto-Submitted"] == "auto-replied"
        assert delivered["In-Reply-To"] == "<q1@example.hr>"
        body = delivered.get_body(("plain",)).get_content()
        assert "Payment methods" in body
        page = Client().post(f"/requests/solved/{token_in(body)}/")
        assert page.status_code == 200
        conversation = Conversation.objects.get()
        assert conversation.status == ConversationStatus.RESOLVED
        assert conversation.first_response_at is None
    finally:
        receiver.stop()
        outgoing.stop()
