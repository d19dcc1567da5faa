"""The hosted contact form in a real browser (Debian Chromium through Playwright)."""

import pytest

from storedesk.conversations.models import Conversation
from storedesk.core.testing import StoreFactory, make_inbox


@pytest.mark.django_db(transaction=True)
def test_customer_submits_the_contact_form(live_server, page):
    store = StoreFactory(name="Moda Zagreb", slug="moda")
    inbox = make_inbox(store, "webform", "Kontakt")
    page.goto(f"{live_server.url}/forms/{inbox.public_token}/")
    assert page.title() == "Contact Moda Zagreb"

    # A bad email is refused with the error beside the field; what was typed stays.
    page.fill("input[name=name]", "Ivana Horvat")
    page.fill("input[name=email]", "ivana-at-example")
    page.fill("textarea[name=message]", "Gdje je moja narudžba FA10022?")
    page.click("button[type=submit]")
    assert page.locator(".error").inner_text() == "This is not a valid email address."
    assert page.input_value("textarea[name=message]") == "Gdje je moja narudžba FA10022?"
    assert Conversation.objects.count() == 0

    page.fill("input[name=email]", "ivana@example.hr")
    page.fill("input[name=subject]", "Dostava")
    page.click("button[type=submit]")
    assert "We have received your message" in page.locator(".notice").inner_text()

    conversation = Conversation.objects.get()
    assert conversation.subject == "Dostava"
    assert conversation.contact.email == "ivana@example.hr"
    assert conversation.messages.get().text == "Gdje je moja narudžba FA10022?"


@pytest.mark.django_db(transaction=True)
def test_contact_form_fits_a_phone(live_server, chromium):
    store = StoreFactory()
    inbox = make_inbox(store, "webform")
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{live_server.url}/forms/{inbox.public_token}/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    context.close()
    assert overflow <= 0
