"""The assistant in a real browser (Debian Chromium through Playwright) against the real
ASGI server: a Croatian visitor is answered from an article the store wrote only in English
and says it helped; a Chinese visitor asks for a person, is handed over, and the agent who
opens the conversation in the workspace reads the assistant's note; a customer who wrote
through the contact form closes the request from the link in the assistant's mail.
"""

import re

import pytest
from playwright.sync_api import expect

from storedesk.assistant.models import AssistantAnswer, AssistantSession, SessionState
from storedesk.conversations.enums import ConversationStatus, MessageKind, SenderType
from storedesk.conversations.models import Conversation, Message
from storedesk.core.testing import AgentFactory, StoreFactory, committed_events, make_inbox
from storedesk.helpcenter.models import ArticleTranslation
from storedesk.helpcenter.services import article_save

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ARTICLES = [
    # key, locale, title, body
    ("payment-methods", "en", "Payment methods",
     "We accept Visa, Mastercard, PayPal and bank transfer. Card payments are charged when "
     "the order is placed."),
    ("shipping-costs", "en", "Shipping costs",
     "Shipping within Croatia costs 3.50 EUR and is free from 50 EUR. EU countries: 7 EUR."),
    ("shipping-costs", "hr", "Troškovi dostave",
     "Dostava unutar Hrvatske stoji 3,50 EUR, a besplatna je za narudžbe od 50 EUR."),
    ("return-policy", "hr", "Povrat robe u 30 dana",
     "Većinu proizvoda možete vratiti u roku od 30 dana od dostave uz puni povrat novca."),
]  # fmt: skip
# The assistant's first answer embeds the question and searches the help center: allow more
# than Playwright's default 5 s on a busy machine.
ANSWER_TIMEOUT_MS = 15_000
# The server's replies, not the greeting the widget shows on opening.
REPLIES = ".msg.theirs:not(.greeting)"


def open_chat(page, base, inbox, lang):
    """The chat frame on its own, in ``lang``, opened and ready to write in."""
    page.goto(f"{base}/chat/{inbox.public_token}/?lang={lang}")
    page.locator("#launcher").click()
    # The composer shows once the server's welcome arrived (the assistant keeps it online).
    expect(page.locator("#composer-text")).to_be_visible()
    expect(page.locator("#prechat")).to_be_hidden()


def send(page, text):
    """Type and send ``text``; returns once the server confirmed it (stored)."""
    page.fill("#composer-text", text)
    page.press("#composer-text", "Enter")
    mine = page.locator(".msg.mine").last
    expect(mine.locator(".body")).to_have_text(text)
    expect(mine).not_to_have_attribute("data-id", "")


def sign_in(page, base):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "open")


@pytest.fixture
def croatian_shop(settings):
    # Answers link the article by its path (no public address configured): the widget then
    # shows the "Open the article" link.
    settings.PUBLIC_URL = ""
    store = StoreFactory(
        name="Jadran Fashion", slug="jadran", default_locale="en", supported_locales=["en", "hr"]
    )
    with committed_events():  # indexing runs on commit, before the browser asks anything
        for key, locale, title, body in ARTICLES:
            article_save(store=store, key=key, locale=locale, title=title, body=body, publish=True)
    inbox = make_inbox(store, "webchat", "Chat", config={"assistant": {"enabled": True}})
    return {"store": store, "inbox": inbox}


@pytest.fixture
def chinese_shop():
    store = StoreFactory(
        name="Jadran Fashion",
        slug="jadran",
        default_locale="en",
        supported_locales=["en", "zh-hans"],
    )
    inbox = make_inbox(store, "webchat", "Chat", config={"assistant": {"enabled": True}})
    AgentFactory(username="ana", display_name="Ana Kovač")
    return {"store": store, "inbox": inbox}


def test_a_croatian_question_is_answered_from_an_english_article(
    asgi_live_server, page, intent_model, croatian_shop
):
    base = asgi_live_server
    article = ArticleTranslation.objects.get(article__key="payment-methods")
    assert article.locale == "en"
    assert not ArticleTranslation.objects.filter(article__key="payment-methods", locale="hr")
    article_path = f"/help/jadran/en/a/{article.slug}/"

    open_chat(page, base, croatian_shop["inbox"], "hr")
    send(page, "Koje načine plaćanja prihvaćate?")

    # The answer arrives live, without a reload.
    expect(page.locator(REPLIES)).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    answer = page.locator(REPLIES).first  # stays this message when the next reply comes
    body = answer.locator(".body")
    expect(body).to_contain_text("Ovo bi vam moglo pomoći:")
    expect(body).to_contain_text("We accept Visa, Mastercard, PayPal and bank transfer.")
    expect(body).to_contain_text(f"Više: Payment methods {article_path}")
    expect(body).to_contain_text("Je li ovo odgovorilo na vaše pitanje?")
    expect(answer.locator(".who")).to_have_text("Asistent")
    link = answer.locator("a.article-link")
    expect(link).to_have_attribute("href", article_path)
    expect(link).to_have_text("Otvori članak: Payment methods")
    expect(answer.locator(".feedback-yes")).to_have_text("Da")
    expect(answer.locator(".feedback-no")).to_have_text("Ne")

    answer.locator(".feedback-yes").click()
    feedback = answer.locator(".feedback")
    expect(feedback).to_have_text("Hvala što ste nam rekli.")
    expect(feedback.locator("button")).to_have_count(0)
    # The assistant's closing line arrives live after the thanks and leaves it in place.
    expect(page.locator(REPLIES)).to_have_count(2)
    expect(page.locator(REPLIES).nth(1).locator(".body")).to_contain_text(
        "Drago mi je da sam pomogao!"
    )
    expect(feedback).to_have_text("Hvala što ste nam rekli.")

    conversation = Conversation.objects.get()
    assert conversation.inbox == croatian_shop["inbox"]
    assert conversation.status == ConversationStatus.RESOLVED
    session = AssistantSession.objects.get(conversation=conversation)
    assert session.state == SessionState.RESOLVED
    assert session.language == "hr"
    saved = AssistantAnswer.objects.get(session=session)
    assert saved.helpful is True
    assert saved.answered_at is not None
    assert saved.article_id == article.article_id
    assert saved.locale == "en"
    assert saved.url == article_path
    assert saved.message.sender_type == SenderType.ASSISTANT
    assert saved.message.kind == MessageKind.OUTBOUND
    assert saved.message.text.startswith("Ovo bi vam moglo pomoći:")


def test_a_chinese_request_for_a_person_is_handed_off_with_a_note_for_the_agent(
    asgi_live_server, chromium, intent_model, chinese_shop
):
    base = asgi_live_server
    visitor_context = chromium.new_context(locale="zh-CN")
    agent_context = chromium.new_context(locale="en-US")
    try:
        visitor = visitor_context.new_page()
        open_chat(visitor, base, chinese_shop["inbox"], "zh-hans")
        send(visitor, "转人工")
        expect(visitor.locator(REPLIES)).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
        reply = visitor.locator(REPLIES).last
        expect(reply.locator(".body")).to_contain_text("正在为您转接人工客服")
        expect(reply.locator(".who")).to_have_text("助手")
        expect(reply.locator(".feedback")).to_have_count(0)  # a handoff asks nothing

        conversation = Conversation.objects.get()
        session = AssistantSession.objects.get(conversation=conversation)
        assert session.state == SessionState.HANDED_OFF
        assert session.language == "zh-hans"
        # Back in the team's queue, still waiting since the customer's message.
        assert conversation.status == ConversationStatus.OPEN
        assert conversation.waiting_since is not None
        note = Message.objects.get(conversation=conversation, kind=MessageKind.NOTE)
        assert note.sender_type == SenderType.ASSISTANT
        # Written for the store's team, in the store's default language (English).
        lines = note.text.splitlines()
        assert lines[0] == "Handed over by the assistant. Reason: The customer asked for a person."
        assert any(line.startswith("Language: ") and "zh-hans" in line for line in lines)
        assert any(line.startswith("Intent: contact_human_agent") for line in lines)

        agent = agent_context.new_page()
        sign_in(agent, base)
        row = agent.locator(".rows .row").filter(has_text="转人工")
        expect(row).to_have_count(1)
        row.locator(".row-main").click()
        expect(agent).to_have_url(f"{base}/c/{conversation.pk}/")
        expect(agent.locator(".kind-inbound")).to_contain_text("转人工")
        shown_note = agent.locator(".kind-note")
        expect(shown_note).to_have_count(1)
        expect(shown_note).to_contain_text(
            "Handed over by the assistant. Reason: The customer asked for a person."
        )
        expect(shown_note).to_contain_text("Intent: contact_human_agent")
        expect(shown_note.locator(".sender")).to_have_text("Assistant")
        # The customer-visible handoff reply is in the thread too.
        expect(agent.locator(".kind-outbound")).to_contain_text("正在为您转接人工客服")
    finally:
        agent_context.close()
        visitor_context.close()


def test_a_web_form_request_is_closed_from_the_link_in_the_suggestions_mail(
    asgi_live_server, page, intent_model, croatian_shop, mailoutbox
):
    base = asgi_live_server
    form = make_inbox(
        croatian_shop["store"], "webform", "Contact form", config={"assistant": {"enabled": True}}
    )
    page.goto(f"{base}/forms/{form.public_token}/")
    page.fill("input[name=name]", "Ivana Horvat")
    page.fill("input[name=email]", "ivana@example.hr")
    page.fill("textarea[name=message]", "Koliko košta dostava unutar Hrvatske?")
    page.click("button[type=submit]")
    expect(page.locator(".notice")).to_be_visible()

    (sent,) = mailoutbox
    assert sent.to == ["Ivana Horvat <ivana@example.hr>"]
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"
    assert "Troškovi dostave" in sent.body
    path = re.search(r"/requests/solved/[^/\s]+/", sent.body).group(0)
    conversation = Conversation.objects.get(inbox=form)
    assert conversation.status == ConversationStatus.OPEN

    page.goto(f"{base}{path}")  # the customer follows the link in the mail
    expect(page.locator("main")).to_contain_text("Je li ovo odgovorilo na vaše pitanje?")
    expect(page.locator("main a")).to_have_text("Troškovi dostave")
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN  # opening the link closes nothing
    page.locator("#close-request").click()
    expect(page.locator("#request-closed")).to_contain_text("Vaš je zahtjev zatvoren.")

    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.RESOLVED
    assert AssistantSession.objects.get(conversation=conversation).state == SessionState.RESOLVED
    note = Message.objects.get(conversation=conversation, kind=MessageKind.NOTE)
    assert "Troškovi dostave" in note.text
