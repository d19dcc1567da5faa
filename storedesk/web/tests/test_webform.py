import pytest
from django.core import mail
from django.test import Client

from storedesk.conversations import services
from storedesk.conversations.models import Conversation, Message
from storedesk.core.testing import committed_events, make_inbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def form_inbox(store):
    return make_inbox(store, "webform", "Contact form")


def test_form_page_renders_and_submission_creates_conversation(form_inbox):
    client = Client()
    page = client.get(f"/forms/{form_inbox.public_token}/")
    assert page.status_code == 200 and b"Contact Fashion" in page.content
    with committed_events():
        done = client.post(
            f"/forms/{form_inbox.public_token}/",
            {
                "name": "Ivana Horvat",
                "email": "Ivana@Example.hr",
                "subject": "Pogrešna veličina",
                "message": "Dobila sam krivu veličinu.",
                "order_number": "FA10022",
            },
        )
    assert done.status_code == 201
    conversation = Conversation.objects.get()
    assert conversation.subject == "Pogrešna veličina"
    assert conversation.contact.email == "ivana@example.hr"
    text = Message.objects.get().text
    assert "Dobila sam krivu veličinu." in text and "Order number: FA10022" in text


def test_invalid_submission_keeps_input_and_names_field(form_inbox):
    response = Client().post(
        f"/forms/{form_inbox.public_token}/",
        {"name": "Ana", "email": "not-an-email", "message": "<script>alert(1)</script>"},
    )
    assert response.status_code == 422
    assert b"This is not a valid email address." in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content
    assert b"<script>alert(1)</script>" not in response.content
    assert Conversation.objects.count() == 0


def test_unknown_or_inactive_form_is_404(form_inbox):
    assert Client().get("/forms/nope/").status_code == 404
    form_inbox.is_active = False
    form_inbox.save()
    assert Client().get(f"/forms/{form_inbox.public_token}/").status_code == 404


def test_reply_to_form_conversation_is_emailed(form_inbox, agent):
    Client().post(
        f"/forms/{form_inbox.public_token}/",
        {"name": "Li Wei", "email": "li@example.cn", "subject": "发票", "message": "请开发票"},
    )
    conversation = Conversation.objects.get()
    with committed_events():
        reply = services.message_send(
            conversation=conversation,
            author=agent,
            text="好的，发票已发送。",
            html="<p>好的<script>x</script></p>",
        )
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["Li Wei <li@example.cn>"]
    assert sent.subject == "Re: 发票"
    assert sent.body == "好的，发票已发送。\n"
    assert sent.alternatives[0][0] == "<p>好的</p>"
