"""Agent assist: articles and reply drafts for the conversation an agent has open, from the
help center, canned replies and similar resolved conversations; and its workspace panel."""

import pytest
from django.test import Client

from storedesk.accounts.enums import Role
from storedesk.assistant.assist import assistance_for, latest_question
from storedesk.conversations import services
from storedesk.core.testing import AgentFactory, StoreFactory, committed_events, inbound, make_inbox
from storedesk.routing.services import canned_reply_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail(shop):
    return make_inbox(shop, "api", "Mail")


def ask(inbox, text, email="ana@example.com", name="Ana Horvat"):
    with committed_events():
        return services.message_receive(
            inbox=inbox, inbound=inbound(text, email=email, name=name)
        ).conversation


def test_articles_and_an_article_draft_for_the_customers_question(mail, agent):
    conversation = ask(mail, "Which payment methods do you accept? Can I pay with PayPal?")
    assistance = assistance_for(conversation, agent=agent, base_url="https://help.example")
    assert assistance.articles[0].title == "Payment methods"
    assert assistance.articles[0].path == "/help/northwind/en/a/payment-methods/"
    (draft,) = assistance.drafts
    assert draft.source == "article"
    assert draft.text.startswith("Hi Ana,\n\nWe accept Visa, Mastercard, PayPal")
    assert draft.text.endswith(
        "Payment methods: https://help.example/help/northwind/en/a/payment-methods/"
    )


def test_the_reply_of_a_similar_resolved_conversation_comes_first(mail, agent):
    earlier = ask(
        mail, "Can I pay with PayPal or only with a card?", email="ivo@example.com", name="Ivo Ivić"
    )
    with committed_events():
        services.message_send(
            conversation=earlier, author=agent, text="Yes, PayPal works at checkout, Ivo."
        )
        services.conversation_set_status(conversation=earlier, status="resolved", actor=agent)
    unrelated = ask(mail, "My kettle broke after two days", email="eva@example.com")
    with committed_events():
        services.message_send(conversation=unrelated, author=agent, text="Sorry! Send a photo.")
        services.conversation_set_status(conversation=unrelated, status="resolved", actor=agent)

    conversation = ask(mail, "Can I pay with PayPal?")
    drafts = assistance_for(conversation, agent=agent).drafts
    assert drafts[0].source == "conversation"
    # Addressed to this customer, not the one it was written for.
    assert drafts[0].text == "Yes, PayPal works at checkout, Ana."
    assert f"#{earlier.pk}" in drafts[0].label
    assert all("Send a photo" not in draft.text for draft in drafts)


def test_an_open_conversation_is_not_a_source(mail, agent):
    earlier = ask(mail, "Can I pay with PayPal or only with a card?", email="ivo@example.com")
    with committed_events():
        services.message_send(conversation=earlier, author=agent, text="Yes, PayPal works.")
    conversation = ask(mail, "Can I pay with PayPal?")
    assert all(d.source != "conversation" for d in assistance_for(conversation, agent=agent).drafts)


def test_a_close_canned_reply_is_offered_with_its_variables_filled(mail, agent, shop):
    canned_reply_save(
        actor=agent,
        title="Payment options",
        body="Hi {{ contact.first_name }}, we accept cards, PayPal and bank transfer.",
        store=shop,
    )
    canned_reply_save(actor=agent, title="Thanks for the photo", body="Thanks, we got it.")
    conversation = ask(mail, "Which payment options do you accept?")
    drafts = assistance_for(conversation, agent=agent).drafts
    canned = [d for d in drafts if d.source == "canned"]
    assert [d.text for d in canned] == ["Hi Ana, we accept cards, PayPal and bank transfer."]
    assert drafts.index(canned[0]) < [d.source for d in drafts].index("article")


def test_the_question_is_what_the_customer_wrote_since_the_last_reply(mail, agent):
    conversation = ask(mail, "Hello, I have an order question")
    with committed_events():
        services.message_send(conversation=conversation, author=agent, text="Sure, go ahead.")
    ask(mail, "How much is shipping within Croatia?")
    assert latest_question(conversation) == "How much is shipping within Croatia?"
    assistance = assistance_for(conversation, agent=agent)
    assert assistance.articles[0].title == "Shipping costs"


def test_nothing_to_suggest_before_the_customer_asks(mail, agent, shop):
    contact_conversation = ask(mail, "x")
    services.Message.objects.filter(conversation=contact_conversation).update(text="")
    assistance = assistance_for(contact_conversation, agent=agent)
    assert (assistance.question, assistance.articles, assistance.drafts) == ("", [], [])


def test_the_panel_in_the_workspace(mail, agent):
    conversation = ask(mail, "Which payment methods do you accept?")
    client = Client()
    client.force_login(agent)
    page = client.get(f"/c/{conversation.pk}/").content.decode()
    assert f'hx-get="/c/{conversation.pk}/assist"' in page
    panel = client.get(f"/c/{conversation.pk}/assist").content.decode()
    assert "Use this draft" in panel and "Payment methods" in panel
    assert 'data-url="http://testserver/help/northwind/en/a/payment-methods/"' in panel
    assert 'data-text="Hi Ana,' in panel


def test_the_panel_is_store_scoped(mail):
    conversation = ask(mail, "Which payment methods do you accept?")
    outsider = AgentFactory(
        username="vendor", role=Role.RESTRICTED, stores=[StoreFactory(slug="elsewhere")]
    )
    client = Client()
    client.force_login(outsider)
    assert client.get(f"/c/{conversation.pk}/assist").status_code == 404
    anonymous = Client().get(f"/c/{conversation.pk}/assist")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


def test_customer_text_in_a_draft_is_escaped_in_the_panel(mail, agent):
    earlier = ask(mail, "Can I pay with PayPal or only with a card?", email="ivo@example.com")
    with committed_events():
        services.message_send(
            conversation=earlier, author=agent, text='PayPal works <img src=x onerror="alert(1)">'
        )
        services.conversation_set_status(conversation=earlier, status="resolved", actor=agent)
    conversation = ask(mail, "Can I pay with PayPal?")
    client = Client()
    client.force_login(agent)
    panel = client.get(f"/c/{conversation.pk}/assist").content.decode()
    assert "<img src=x" not in panel and "&lt;img src=x" in panel


def test_a_past_reply_holding_that_customers_data_is_not_offered(mail, agent):
    earlier = ask(mail, "Can I pay with PayPal or only with a card?", email="ivo@example.com")
    with committed_events():
        services.message_send(
            conversation=earlier,
            author=agent,
            text="Yes, PayPal works. Your order NW4455667 ships to Ilica 5 tomorrow.",
        )
        services.conversation_set_status(conversation=earlier, status="resolved", actor=agent)
    conversation = ask(mail, "Can I pay with PayPal?")
    drafts = assistance_for(conversation, agent=agent).drafts
    assert all("NW4455667" not in draft.text for draft in drafts)
    assert all(draft.source != "conversation" for draft in drafts)


def test_canned_order_variables_only_for_an_order_the_customer_proved(shop, agent):
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from storedesk.commerce.models import Order
    from storedesk.inboxes.adapters.webchat.service import (
        visitor_message,
        visitor_set_details,
        visitor_start,
    )

    Order.objects.create(
        store=shop,
        external_id="o-9",
        number="NW5550001",
        customer_email="victim@example.com",
        status="shipped",
        total=Decimal("10.00"),
        currency="EUR",
        placed_at=timezone.now() - dt.timedelta(days=1),
        tracking_url="https://gls.example/track/VICTIM",
    )
    canned_reply_save(
        actor=agent,
        title="Where is my order",
        body="Your order {{ order.number }} is {{ order.status }}: {{ order.tracking_url }}",
        store=shop,
    )
    chat = make_inbox(shop, "webchat", "Chat")
    visitor, _token = visitor_start(inbox=chat)
    visitor_set_details(visitor=visitor, fields={"email": "victim@example.com"})
    with committed_events():
        message, _new = visitor_message(visitor=visitor, text="Where is my order?", client_key="1")
    drafts = assistance_for(message.conversation, agent=agent).drafts
    canned = [d for d in drafts if d.source == "canned"]
    assert canned, "the canned reply is close enough to be offered"
    assert all("NW5550001" not in d.text and "VICTIM" not in d.text for d in canned)
