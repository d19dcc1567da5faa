"""The chat widget in a real browser: a visitor on the demo shop writes, an agent in another
browser context sees the chat live and replies, the visitor sees the reply without a reload
and keeps the thread after one; outside business hours the offline form opens an email
conversation."""

import pytest
from playwright.sync_api import expect

from storedesk.conversations.models import Conversation, Message
from storedesk.core.testing import AgentFactory, StoreFactory, make_inbox
from storedesk.stores.services import store_update

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop():
    store = StoreFactory(name="Jadran Fashion", slug="jadran", brand_color="#0b6e4f")
    inbox = make_inbox(
        store,
        "webchat",
        "Chat",
        config={"greeting": {"en": "Hi! How can Jadran help?"}},
    )
    AgentFactory(username="ana", display_name="Ana Kovač")
    return {"store": store, "inbox": inbox}


def sign_in_agent(page, base):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "open")


def test_visitor_and_agent_chat_live(asgi_live_server, chromium, shop):
    base = asgi_live_server
    agent_context = chromium.new_context(locale="en-US")
    agent = agent_context.new_page()
    sign_in_agent(agent, base)  # the agent's workspace checks in: the chat is online

    visitor_context = chromium.new_context(locale="en-US")
    visitor = visitor_context.new_page()
    visitor.goto(f"{base}/demo-shop/")
    chat = visitor.frame_locator("iframe[title=Chat]")
    chat.locator("#launcher").click()
    expect(chat.locator(".greeting")).to_contain_text("Hi! How can Jadran help?")
    expect(chat.locator("#status")).to_have_text("We are online")
    chat.locator("#composer-text").fill("Do you have the linen shirt in XL?")
    chat.locator("#composer-text").press("Enter")
    expect(chat.locator(".msg.mine .meta").last).not_to_have_text("Sending…")

    # The agent sees the new chat appear live and opens it.
    row = agent.locator(".rows .row").first
    expect(row).to_contain_text("linen shirt in XL")
    row.locator(".row-main").click()
    expect(agent.locator(".kind-inbound")).to_contain_text("linen shirt in XL")
    agent.fill("#composer-text", "Yes, we do: https://shop.example/linen-xl")
    agent.press("#composer-text", "Control+Enter")

    # The visitor sees the reply without reloading, with the link made safe.
    reply = chat.locator(".msg.theirs").last
    expect(reply).to_contain_text("Yes, we do")
    expect(reply.locator(".who")).to_have_text("Ana Kovač")
    link = reply.locator("a")
    expect(link).to_have_attribute("href", "https://shop.example/linen-xl")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")

    # After a reload (and on another page of the shop) the thread is still there.
    visitor.reload()
    chat = visitor.frame_locator("iframe[title=Chat]")
    chat.locator("#launcher").click()
    expect(chat.locator(".msg.mine")).to_have_count(1)
    expect(chat.locator(".msg.theirs").last).to_contain_text("Yes, we do")
    conversation = Conversation.objects.get()
    assert conversation.inbox == shop["inbox"]
    assert Message.objects.filter(conversation=conversation).count() == 2

    # The widget is isolated: the shop page's styles do not reach into it.
    font = chat.locator("#composer-text").evaluate("e => getComputedStyle(e).fontFamily")
    assert "Comic Sans" not in font
    agent_context.close()
    visitor_context.close()


def test_outside_business_hours_the_offline_form_opens_an_email_conversation(
    asgi_live_server, chromium, shop
):
    # Business hours with no opening at all: nobody is ever there.
    store_update(
        store=shop["store"],
        actor=None,
        business_hours={"week": {"mon": []}},
    )
    context = chromium.new_context(locale="hr-HR")
    page = context.new_page()
    page.goto(f"{asgi_live_server}/demo-shop/")
    chat = page.frame_locator("iframe[title=Chat]")
    chat.locator("#launcher").click()
    form = chat.locator("#offline")
    expect(form).to_be_visible()
    form.locator("input[name=name]").fill("Marija")
    form.locator("input[name=email]").fill("marija@example.hr")
    form.locator("textarea[name=text]").fill("Imate li sandale u broju 38?")
    form.locator("button[type=submit]").click()
    expect(chat.locator("#offline-done")).to_be_visible()
    conversation = Conversation.objects.get()
    assert conversation.contact.email == "marija@example.hr"
    assert conversation.messages.get().text == "Imate li sandale u broju 38?"
    context.close()
