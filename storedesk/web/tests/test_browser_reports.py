"""The reports dashboard in a real browser (Debian Chromium through Playwright) against the
real ASGI server: a supervisor narrows the period and the store, then drills down from a
number to its conversations."""

import re

import pytest
from playwright.sync_api import expect

from storedesk.analytics.services import analytics_refresh

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in_as_lead(page, base):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "lead")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    expect(page.locator(".list-head h1")).to_be_visible()


def card(page, key):
    return page.locator(f'[data-metric="{key}"]')


def test_supervisor_filters_the_dashboard_and_drills_down(asgi_live_server, page, history):
    base = asgi_live_server
    analytics_refresh()
    sign_in_as_lead(page, base)
    page.click(".mainnav >> text=Reports")
    expect(page.locator(".reports-head h1")).to_have_text("Reports")
    expect(card(page, "conversations")).to_be_visible()

    # The week of the hand-worked history, every store: five conversations.
    page.fill("input[name=start]", "2026-10-23")
    page.fill("input[name=end]", "2026-10-27")
    page.click(".report-filters button[type=submit]")
    expect(card(page, "conversations")).to_have_text("5")
    expect(page).to_have_url(re.compile(r"start=2026-10-23"))

    # Choosing the store updates the numbers at once.
    page.select_option("select[name=store]", str(history.store.pk))
    expect(card(page, "conversations")).to_have_text("4")
    expect(card(page, "first_response")).to_have_text("20 min")
    expect(card(page, "resolution_rate")).to_have_text("75%")
    expect(page).to_have_url(re.compile(rf"store={history.store.pk}"))
    # The gaps of the heatmap are listed and outlined.
    expect(page.locator(".heatmap td.gap")).to_have_count(2)

    # Drill down from the reopen rate: D, the one reopened conversation.
    card(page, "reopen_rate").click()
    expect(page.locator("h1")).to_have_text("Resolved after being reopened")
    rows = page.locator(".drill-list tbody tr")
    expect(rows).to_have_count(1)
    reopened = history.conversations["D"]
    expect(rows.first).to_contain_text(f"#{reopened.pk}")
    expect(rows.first).to_contain_text(history.store.name)

    # Back to the dashboard with the same filters, then the conversations behind a cell of
    # the heatmap: Monday 09:00, conversation B.
    page.click("text=Back to the reports")
    expect(card(page, "conversations")).to_have_text("4")
    page.locator('.heatmap a[href*="weekday=0"][href*="hour=9"]').click()
    expect(page.locator(".drill-list tbody tr")).to_have_count(1)
    page.click(f'.drill-list a[href="/c/{history.conversations["B"].pk}/"]')
    expect(page).to_have_url(f"{base}/c/{history.conversations['B'].pk}/")
    expect(page.locator(".conv-head h1")).to_contain_text("Question")


def test_dashboard_fits_a_phone(asgi_live_server, chromium, history):
    base = asgi_live_server
    analytics_refresh()
    context = chromium.new_context(viewport={"width": 360, "height": 740}, locale="en-US")
    page = context.new_page()
    try:
        sign_in_as_lead(page, base)
        page.goto(f"{base}/reports/?start=2026-10-23&end=2026-10-27")
        expect(card(page, "conversations")).to_have_text("5")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, overflow
        # Wide parts scroll inside their own boxes.
        scrolls = page.evaluate(
            "getComputedStyle(document.querySelector('.heatmap-scroll')).overflowX"
        )
        assert scrolls == "auto"
        page.click("text=Last 7 days")
        expect(page.locator('.presets a[aria-current="true"]')).to_have_text("Last 7 days")
    finally:
        context.close()
