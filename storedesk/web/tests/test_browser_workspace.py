"""The agent workspace in a real browser (Debian Chromium through Playwright) against the
real ASGI server, websockets included."""

import httpx
import pytest
from django.utils import translation
from playwright.sync_api import expect

from storedesk.accounts.services import api_token_create
from storedesk.conversations import services
from storedesk.conversations.models import Conversation, Message
from storedesk.core.testing import AgentFactory, StoreFactory, TeamFactory, inbound, make_inbox

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def desk():
    store = StoreFactory(name="Jadran Fashion", slug="jadran")
    inbox = make_inbox(store, "api", "Shop app")
    agent = AgentFactory(username="ana", display_name="Ana Kovač")
    TeamFactory(name="Tier 1").members.add(agent)
    conversation = services.message_receive(
        inbox=inbox,
        inbound=inbound(
            "Where is my parcel? Order FA1002003", name="Ivana Horvat", email="ivana@example.hr"
        ),
    ).conversation
    _, token = api_token_create(agent=agent)
    return {
        "store": store,
        "inbox": inbox,
        "agent": agent,
        "conversation": conversation,
        "token": token,
    }


def sign_in(page, base):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    expect(page.locator(".list-head h1")).to_have_text("All open")
    # The workspace script has run once the live connection is up.
    expect(page.locator("#live-status")).to_have_attribute("data-state", "open")


def post_customer_message(base, desk, text, email):
    response = httpx.post(
        f"{base}/api/v1/conversations",
        headers={"Authorization": f"Bearer {desk['token']}"},
        json={
            "inbox_id": desk["inbox"].pk,
            "contact": {"email": email, "name": "Live Customer"},
            "text": text,
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_agent_works_a_conversation_end_to_end(asgi_live_server, page, desk):
    base = asgi_live_server
    sign_in(page, base)
    row = page.locator(".rows .row").first
    expect(row).to_contain_text("Ivana Horvat")
    row.locator(".row-main").click()
    expect(page.locator(".conv-head h1")).to_contain_text("Where is my parcel?")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "open")

    # Reply with Ctrl+Enter: it appears in the thread without a reload.
    page.fill("#composer-text", "Your parcel left our warehouse today.")
    page.press("#composer-text", "Control+Enter")
    expect(page.locator(".kind-outbound")).to_contain_text("left our warehouse today")
    expect(page.locator("#composer-text")).to_have_value("")

    # A note through the keyboard shortcut.
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("n")
    page.fill("#composer-text", "Customer asked twice; keep an eye on it.")
    page.click("#composer button[type=submit]")
    expect(page.locator(".kind-note")).to_contain_text("keep an eye on it")

    # Assign to myself, then resolve.
    page.select_option("#assignee", label="Ana Kovač")
    expect(page.locator("#assignee")).to_have_value(str(desk["agent"].pk))
    # The assignment swaps the controls; clicking Resolve before the swap lands races it.
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.click("#resolve")
    expect(page.locator(".status-pill").first).to_have_text("Resolved")

    conversation = Conversation.objects.get(pk=desk["conversation"].pk)
    assert conversation.status == "resolved" and conversation.assignee == desk["agent"]
    assert Message.objects.filter(conversation=conversation, kind="note").count() == 1
    assert conversation.first_response_at is not None

    # The customer writes again through the API: the message appears live and reopens it.
    post_customer_message(base, desk, "Thanks, but it still has not arrived.", "ivana@example.hr")
    expect(page.locator(".kind-inbound").last).to_contain_text("still has not arrived")
    expect(page.locator(".status-pill").first).to_have_text("Open")


def test_new_conversation_appears_live_in_the_inbox(asgi_live_server, page, desk):
    base = asgi_live_server
    sign_in(page, base)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "open")
    expect(page.locator(".rows .row")).to_have_count(1)
    post_customer_message(base, desk, "Do you ship to Split?", "marko@example.hr")
    expect(page.locator(".rows .row")).to_have_count(2)
    expect(page.locator(".rows")).to_contain_text("Do you ship to Split?")
    expect(page.locator('[data-view="open"] .count')).to_have_text("2")


def test_keyboard_navigation_opens_the_selected_conversation(asgi_live_server, page, desk):
    base = asgi_live_server
    sign_in(page, base)
    page.keyboard.press("j")
    expect(page.locator(".rows .row.selected")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/c/{desk['conversation'].pk}/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "open")
    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()


@pytest.mark.parametrize(("language", "button"), [("zh-hans", "简体中文"), ("hr", "Hrvatski")])
def test_interface_language_switch(asgi_live_server, page, desk, language, button):
    base = asgi_live_server
    page.goto(f"{base}/login/")
    page.click(f"button[value='{language}']")
    with translation.override(language):
        sign_in_label = translation.gettext("Sign in")
        inbox_label = translation.gettext("Inbox")
        contacts_label = translation.gettext("Contacts")
    assert inbox_label != "Inbox" and contacts_label != "Contacts"
    expect(page.locator("button[type=submit]").first).to_have_text(sign_in_label)
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("form.form button[type=submit]")
    expect(page.locator(".mainnav a").first).to_have_text(inbox_label)
    expect(page.locator(".mainnav a").nth(1)).to_have_text(contacts_label)
    assert page.locator("html").get_attribute("lang") == language


def test_phone_width_has_no_horizontal_overflow(asgi_live_server, chromium, desk):
    base = asgi_live_server
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        sign_in(page, base)
        for path in ("/inbox/", f"/c/{desk['conversation'].pk}/", "/contacts/", "/preferences/"):
            page.goto(base + path)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
    finally:
        context.close()


def test_resolve_and_assign_from_the_inbox_keyboard(asgi_live_server, page, desk):
    base = asgi_live_server
    sign_in(page, base)
    page.keyboard.press("j")
    page.keyboard.press("a")
    expect(page.locator(".rows .row .assignee").first).to_have_text("Ana Kovač")
    page.keyboard.press("j")
    page.keyboard.press("e")
    expect(page.locator(".rows .row")).to_have_count(0)
    conversation = Conversation.objects.get(pk=desk["conversation"].pk)
    assert conversation.status == "resolved" and conversation.assignee == desk["agent"]
