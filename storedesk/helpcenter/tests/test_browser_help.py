"""The help center in a real browser: a reader searches it in Chinese and in Croatian
(without diacritics) and gets the right article with the matches marked; a chat visitor
typing a first question is shown articles and the click is recorded."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from storedesk.core.testing import AgentFactory, make_inbox
from storedesk.helpcenter.models import HelpSearch, SearchSource

pytestmark = pytest.mark.django_db(transaction=True)


def test_searching_the_help_center_in_chinese_and_croatian(asgi_live_server, page, articles):
    base = asgi_live_server
    page.goto(f"{base}/help/northwind/zh-hans/")
    page.fill("input[name=q]", "快递单号在哪里查")
    page.press("input[name=q]", "Enter")
    first = page.locator(".hc-results li").first
    expect(first.locator("a")).to_have_text("跟踪您的订单")
    # 快递单号 is one mark: the query's pairs 快递, 递单 and 单号 meet.
    expect(first.locator("mark").first).to_have_text("快递单号")

    page.goto(f"{base}/help/northwind/hr/")
    page.fill("input[name=q]", "broj za pracenje paketa")  # typed without diacritics
    page.press("input[name=q]", "Enter")
    first = page.locator(".hc-results li").first
    expect(first.locator("a")).to_have_text("Praćenje narudžbe")
    expect(first.locator("mark").first).to_have_text("Broj")
    first.locator("a").click()
    expect(page.locator("h1")).to_have_text("Praćenje narudžbe")
    search = HelpSearch.objects.get(query="broj za pracenje paketa")
    assert search.source == SearchSource.HELP_CENTER
    assert search.clicked.key == "track-order"


def test_the_chat_widget_suggests_articles_while_the_first_question_is_typed(
    asgi_live_server, chromium, articles
):
    make_inbox(articles, "webchat", "Chat", config={"greeting": {"en": "Hello!"}})
    # An agent whose workspace checked in just now: the widget opens the chat composer.
    AgentFactory(username="ana", available=True, last_seen_at=timezone.now())
    context = chromium.new_context(locale="en-US")
    visitor = context.new_page()
    visitor.goto(f"{asgi_live_server}/demo-shop/")
    chat = visitor.frame_locator("iframe[title=Chat]")
    chat.locator("#launcher").click()
    chat.locator("#composer-text").fill("where do I find the tracking number of my parcel")
    suggestions = chat.locator("#composer-suggestions")
    expect(suggestions).to_be_visible()
    link = suggestions.locator("a").first
    expect(link).to_have_text("Track your order")
    with context.expect_page() as opened:
        link.click()
    article_page = opened.value
    article_page.wait_for_load_state()
    expect(article_page.locator("h1")).to_have_text("Track your order")
    # The click is sent as a beacon while the article opens: give it a moment.
    for _ in range(50):
        search = HelpSearch.objects.filter(source=SearchSource.WIDGET).latest("id")
        if search.clicked_id:
            break
        visitor.wait_for_timeout(100)
    assert search.clicked is not None and search.clicked.key == "track-order"
    # Once the visitor has sent a message, typing no longer brings suggestions.
    chat.locator("#composer-text").press("Enter")
    expect(chat.locator(".msg.mine")).to_have_count(1)
    expect(suggestions).to_be_hidden()
    chat.locator("#composer-text").fill("and can I pay by PayPal")
    visitor.wait_for_timeout(900)
    expect(suggestions).to_be_hidden()
    context.close()
