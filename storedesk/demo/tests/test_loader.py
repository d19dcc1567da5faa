"""The demo loader: counts, determinism and the consistency of every fact it writes.

The demo is loaded once for the module (inside a transaction rolled back at the end), and
every test reads it.
"""

from __future__ import annotations

import collections
import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.test import Client

from storedesk.accounts.enums import Role
from storedesk.accounts.models import Agent, Team
from storedesk.accounts.services import agent_create, api_token_create
from storedesk.commerce.models import Order
from storedesk.commerce.selectors import order_list_for_contact
from storedesk.contacts.models import Contact, ContactIdentity
from storedesk.conversations.enums import ActivityKind, ConversationStatus, MessageKind
from storedesk.conversations.models import ActivityEvent, Conversation, Message, Tag
from storedesk.demo.loader import DemoSummary, demo_loaded, load_demo
from storedesk.demo.plan import build_plan
from storedesk.helpcenter.indexing import article_reindex
from storedesk.helpcenter.models import Article, ArticleQuestion
from storedesk.helpcenter.search import search_articles
from storedesk.inboxes.adapters import REGISTRY
from storedesk.inboxes.models import Inbox
from storedesk.stores.models import Store

S = ConversationStatus
NOW = datetime(2025, 6, 2, 10, tzinfo=UTC)
SEED = 7

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        loaded_before = demo_loaded()
        summary = load_demo(seed=SEED, now=NOW)
        yield {"summary": summary, "loaded_before": loaded_before}
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def plan():
    return build_plan(seed=SEED, now=NOW)


@pytest.fixture
def threads(demo):
    """Every conversation with its messages and timeline, ordered."""
    messages = collections.defaultdict(list)
    for message in Message.objects.order_by("created_at", "id"):
        messages[message.conversation_id].append(message)
    events = collections.defaultdict(list)
    for event in ActivityEvent.objects.order_by("created_at", "id"):
        events[event.conversation_id].append(event)
    return [
        (conversation, messages[conversation.pk], events[conversation.pk])
        for conversation in Conversation.objects.select_related("store").order_by("id")
    ]


# --- Loading ---------------------------------------------------------------------------------


def test_demo_loaded_flips(demo):
    assert demo["loaded_before"] is False
    assert demo_loaded() is True


def test_summary_counts(demo):
    summary = demo["summary"]
    assert (summary.stores, summary.agents, summary.teams) == (2, 10, 3)
    assert 250 <= summary.contacts <= 350
    assert 1350 <= summary.conversations <= 1650
    assert summary.messages >= 3 * summary.conversations
    assert summary.orders >= summary.contacts
    assert summary == DemoSummary(
        stores=Store.objects.count(),
        agents=Agent.objects.count(),
        teams=Team.objects.count(),
        contacts=Contact.objects.count(),
        orders=Order.objects.count(),
        conversations=Conversation.objects.count(),
        messages=Message.objects.count(),
        articles=Article.objects.count(),
    )
    assert summary.articles == 24  # 12 articles per store, each in both of its languages
    line = str(summary)
    assert "\n" not in line
    for word in ("stores", "agents", "teams", "contacts", "orders", "conversations", "articles"):
        assert word in line
    assert f"{summary.conversations} conversations" in line


def test_plan_is_deterministic(plan):
    again = build_plan(seed=SEED, now=NOW)
    assert again == plan
    other = build_plan(seed=SEED + 1, now=NOW)
    assert [c.subject for c in other.conversations] != [c.subject for c in plan.conversations]


def test_database_matches_the_plan(demo, plan):
    assert dataclasses.replace(demo["summary"], articles=0) == DemoSummary.of(plan)
    subjects = list(Conversation.objects.order_by("id").values_list("subject", flat=True))
    assert subjects == [conversation.subject for conversation in plan.conversations]
    created = list(Conversation.objects.order_by("id").values_list("created_at", flat=True))
    assert created == [conversation.created_at for conversation in plan.conversations]
    emails = sorted(Contact.objects.values_list("email", flat=True))
    assert emails == sorted(contact.email for contact in plan.contacts)


def test_a_second_load_adds_a_separate_copy(demo):
    with transaction.atomic():
        summary = load_demo(seed=SEED, now=NOW)
        assert Store.objects.filter(slug__in=["fashion-2", "electronics-2"]).count() == 2
        assert Agent.objects.filter(username="maja.horvat-2").exists()
        assert Team.objects.filter(name="Tier 1 (2)").exists()
        assert (summary.stores, summary.agents, summary.teams) == (2, 10, 3)
        assert Conversation.objects.count() == demo["summary"].conversations + (
            summary.conversations
        )
        transaction.set_rollback(True)


# --- Stores, agents, inboxes -----------------------------------------------------------------


def test_stores():
    fashion = Store.objects.get(slug="fashion")
    assert (fashion.default_locale, fashion.supported_locales) == ("en", ["en", "hr"])
    assert fashion.time_zone == "Europe/Zagreb"
    assert fashion.commerce_platform == "demo"
    assert fashion.commerce_config == {
        "catalogue": "fashion",
        "currency": "EUR",
        "order_prefix": "FA",
    }
    electronics = Store.objects.get(slug="electronics")
    assert (electronics.default_locale, electronics.supported_locales) == ("en", ["en", "zh-hans"])
    assert electronics.time_zone == "Asia/Shanghai"
    assert electronics.commerce_config["catalogue"] == "electronics"
    assert electronics.commerce_config["order_prefix"] == "EL"


def test_agents_teams_and_roles(demo):
    fashion = Store.objects.get(slug="fashion")
    agents = list(Agent.objects.prefetch_related("stores", "teams"))
    roles = collections.Counter(agent.role for agent in agents)
    assert roles[Role.SUPERVISOR] == 1
    assert roles[Role.AGENT] >= 5
    assert roles[Role.RESTRICTED] >= 2
    assert all(not agent.has_usable_password() for agent in agents)
    assert all(not agent.is_superuser for agent in agents)
    bpo = Team.objects.get(name="Outsourced (Zagreb BPO)")
    members = list(bpo.members.all())
    assert members
    for agent in members:
        assert agent.role == Role.RESTRICTED
        assert list(agent.stores.all()) == [fashion]
    assert {"Tier 1", "Escalations"} <= set(Team.objects.values_list("name", flat=True))


def test_inboxes_use_registered_kinds(demo):
    for store in Store.objects.all():
        kinds = sorted(Inbox.objects.filter(store=store).values_list("kind", flat=True))
        assert kinds == ["api", "email", "webchat", "webform"]
        email_inbox = Inbox.objects.get(store=store, kind="email")
        assert email_inbox.config["address"] == f"support@{store.slug}.example"
    assert set(Inbox.objects.values_list("kind", flat=True)) <= set(REGISTRY)


# --- Contacts and orders ---------------------------------------------------------------------


def test_contacts(demo):
    contacts = list(Contact.objects.select_related("store", "dedicated_agent"))
    by_store = collections.Counter(contact.store.slug for contact in contacts)
    assert by_store["fashion"] > 100 and by_store["electronics"] > 100
    locales = collections.Counter((contact.store.slug, contact.locale) for contact in contacts)
    assert set(locales) == {
        ("fashion", "en"),
        ("fashion", "hr"),
        ("electronics", "en"),
        ("electronics", "zh-hans"),
    }
    identities = collections.defaultdict(dict)
    for contact_id, kind, value in ContactIdentity.objects.values_list(
        "contact_id", "kind", "external_id"
    ):
        identities[contact_id][kind] = value
    for contact in contacts:
        assert contact.email and contact.email == contact.email.lower()
        assert contact.email.split("@")[1].startswith("example.")
        assert identities[contact.pk]["email"] == contact.email
        if contact.phone:
            assert identities[contact.pk]["phone"] == contact.phone
        assert contact.created_at <= NOW
    assert sum(1 for contact in contacts if contact.phone) > 50
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in c.name) for c in contacts)
    assert any(any(ch in "čćšžđČĆŠŽĐ" for ch in c.name) for c in contacts)
    dedicated = [contact for contact in contacts if contact.dedicated_agent]
    assert 3 <= len(dedicated) <= 20
    for contact in dedicated:
        agent = contact.dedicated_agent
        if agent.role == Role.RESTRICTED:
            assert agent.stores.filter(pk=contact.store_id).exists()


def test_every_contact_has_orders(demo):
    for contact in Contact.objects.select_related("store"):
        orders = order_list_for_contact(contact=contact)
        assert orders, contact
        prefix = contact.store.commerce_config["order_prefix"]
        assert all(order.number.startswith(prefix) for order in orders)
        assert all(order.placed_at <= NOW for order in orders)


def test_orders_through_the_api(demo):
    admin = agent_create(username="api-admin", password=None, role=Role.ADMIN)
    _, secret = api_token_create(agent=admin)
    contact = Contact.objects.order_by("id").first()
    response = Client().get(
        f"/api/v1/contacts/{contact.pk}/orders", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 200
    numbers = [order["number"] for order in response.json()]
    assert numbers
    assert set(numbers) == set(contact.orders.values_list("number", flat=True))


def test_order_topics_quote_the_contacts_real_order_numbers(demo):
    numbers = collections.defaultdict(set)
    for contact_id, number in Order.objects.values_list("contact_id", "number"):
        numbers[contact_id].add(number)
    quoted = 0
    for conversation in Conversation.objects.filter(subject__regex=r"(FA|EL)[0-9]{5}"):
        found = [n for n in numbers[conversation.contact_id] if n in conversation.subject]
        assert found, conversation.subject
        quoted += 1
    assert quoted > 200


# --- Conversations ---------------------------------------------------------------------------


def test_conversation_facts_are_consistent(threads):
    for conversation, messages, events in threads:
        c = conversation
        assert c.message_count == len(messages), c.pk
        assert messages[0].kind == MessageKind.INBOUND
        assert messages[0].created_at == c.created_at
        inbound = [m for m in messages if m.kind == MessageKind.INBOUND]
        outbound = [m for m in messages if m.kind == MessageKind.OUTBOUND]
        visible = [m for m in messages if m.kind != MessageKind.NOTE]
        assert c.last_customer_message_at == inbound[-1].created_at
        assert c.last_message_at == visible[-1].created_at
        assert c.first_response_at == (outbound[0].created_at if outbound else None)
        if c.first_response_at:
            assert c.first_response_at >= c.created_at
        if c.status == S.RESOLVED:
            assert c.resolved_at is not None and c.resolved_at >= c.created_at
            assert c.waiting_since is None
        else:
            assert c.resolved_at is None
        if c.status == S.SNOOZED:
            assert c.snoozed_until is not None and c.snoozed_until > NOW
        else:
            assert c.snoozed_until is None
        # Waiting: the customer wrote last and nobody answered yet.
        if c.status == S.OPEN and visible[-1].kind == MessageKind.INBOUND:
            answered = [m for m in visible if m.kind == MessageKind.OUTBOUND]
            last_answer = answered[-1].created_at if answered else None
            unanswered = [m for m in inbound if last_answer is None or m.created_at > last_answer]
            assert c.waiting_since == unanswered[0].created_at, c.pk
        else:
            assert c.waiting_since is None, c.pk
        assert max(m.created_at for m in messages) <= NOW
        assert c.updated_at >= c.last_message_at
        assert c.updated_at <= NOW
        # The timeline agrees with the facts.
        assert events[0].kind == ActivityKind.CREATED
        assert events[0].data == {"inbox_id": c.inbox_id}
        assert events[0].created_at == c.created_at
        changes = [e for e in events if e.kind == ActivityKind.STATUS]
        assert (changes[-1].data["to"] if changes else S.OPEN) == c.status
        reopened = [e for e in changes if e.data["from"] == S.RESOLVED and e.data["to"] == S.OPEN]
        assert c.reopened_count == len(reopened)
        previous = S.OPEN
        for change in changes:
            assert change.data["from"] == previous
            previous = change.data["to"]
        if c.status == S.RESOLVED:
            assert c.resolved_at == changes[-1].created_at
        assert max(e.created_at for e in events) <= NOW


def test_messages(threads):
    external_ids = collections.Counter()
    for conversation, messages, _ in threads:
        for message in messages:
            if message.kind == MessageKind.INBOUND:
                assert message.sender_type == "contact"
                assert message.sender_contact_id == conversation.contact_id
                assert message.delivery_status == "received"
                assert message.external_id.startswith("demo-")
                external_ids[(message.inbox_id, message.external_id)] += 1
            elif message.kind == MessageKind.OUTBOUND:
                assert message.sender_type == "agent" and message.sender_agent_id
                assert message.delivery_status == "sent"
                assert conversation.created_at <= message.created_at <= message.sent_at <= NOW
            else:
                assert message.kind == MessageKind.NOTE
                assert message.sender_agent_id and message.delivery_status == "n/a"
            assert message.store_id == conversation.store_id
            assert message.inbox_id == conversation.inbox_id
            assert message.text.strip()
    assert max(external_ids.values()) == 1
    kinds = collections.Counter(m.kind for _, messages, _ in threads for m in messages)
    assert kinds[MessageKind.NOTE] > 50
    assert set(kinds) == {MessageKind.INBOUND, MessageKind.OUTBOUND, MessageKind.NOTE}


def test_three_languages(threads):
    texts = collections.defaultdict(list)
    for conversation, messages, _ in threads:
        assert conversation.language in {"en", "hr", "zh-hans"}
        assert conversation.language == conversation.contact.locale
        if conversation.store.slug == "fashion":
            assert conversation.language in {"en", "hr"}
        else:
            assert conversation.language in {"en", "zh-hans"}
        texts[conversation.language].extend(m.text for m in messages)
    assert set(texts) == {"en", "hr", "zh-hans"}
    assert all(len(values) > 500 for values in texts.values())
    assert any("Ispričavamo" in text or "narudžb" in text for text in texts["hr"])
    assert any("订单" in text for text in texts["zh-hans"])
    assert any("order" in text for text in texts["en"])


def test_statuses_and_history_are_mixed(demo):
    statuses = collections.Counter(Conversation.objects.values_list("status", flat=True))
    total = sum(statuses.values())
    assert statuses[S.RESOLVED] > 0.7 * total
    for status in (S.OPEN, S.PENDING, S.SNOOZED):
        assert statuses[status] >= 5, statuses
    assert Conversation.objects.filter(reopened_count__gt=0).count() >= 30
    priorities = set(Conversation.objects.values_list("priority", flat=True))
    assert priorities == {0, 1, 2, 3}
    assert Conversation.objects.filter(status=S.OPEN, waiting_since__isnull=False).exists()
    assert Conversation.objects.filter(assignee__isnull=True).exists()
    assert Conversation.objects.filter(first_response_at__isnull=True).exists()
    created = Conversation.objects.order_by("created_at").values_list("created_at", flat=True)
    assert created.first() >= NOW - timedelta(days=60)
    assert created.last() <= NOW


def test_repeat_contacts(demo):
    """Some customers write again about the same thing within a week of a resolution."""
    conversations = collections.defaultdict(list)
    for c in Conversation.objects.order_by("created_at"):
        conversations[c.contact_id].append(c)
    repeats = 0
    for items in conversations.values():
        for earlier in items:
            for later in items:
                if earlier.resolved_at and earlier.inbox_id != later.inbox_id:
                    gap = later.created_at - earlier.resolved_at
                    repeats += timedelta(0) < gap <= timedelta(days=7)
    assert repeats >= 20


def test_threading_rules_hold(demo):
    """As message_receive would: one unresolved conversation per contact and inbox, and a
    new one only after the reopen window of the previous one."""
    by_pair = collections.defaultdict(list)
    for c in Conversation.objects.order_by("created_at", "id"):
        by_pair[(c.contact_id, c.inbox_id)].append(c)
    for items in by_pair.values():
        for earlier, later in zip(items, items[1:], strict=False):
            assert earlier.status == S.RESOLVED
            assert earlier.resolved_at + timedelta(days=7) < later.created_at


def test_assignment(demo):
    restricted = {
        agent.pk: set(agent.stores.values_list("id", flat=True))
        for agent in Agent.objects.filter(role=Role.RESTRICTED)
    }
    fashion = Store.objects.get(slug="fashion")
    assigned = Conversation.objects.filter(assignee__isnull=False)
    assert assigned.count() > 0.8 * Conversation.objects.count()
    on_restricted = 0
    for conversation in assigned:
        if conversation.assignee_id in restricted:
            assert conversation.store_id in restricted[conversation.assignee_id]
            assert conversation.store_id == fashion.pk
            on_restricted += 1
    assert on_restricted > 100
    for event in ActivityEvent.objects.filter(kind=ActivityKind.ASSIGNED).select_related(
        "conversation"
    ):
        assignee = event.data.get("assignee_id")
        if assignee in restricted:
            assert event.conversation.store_id in restricted[assignee]
    assert Conversation.objects.filter(team__name="Escalations").exists()
    assert Conversation.objects.filter(team__name="Outsourced (Zagreb BPO)").exists()


def test_tags(demo):
    links = Conversation.tags.through.objects.select_related("conversation", "tag")
    names = collections.Counter()
    for link in links:
        assert link.tag.store_id == link.conversation.store_id
        names[link.tag.name] += 1
    for name in ("complaint", "refund", "shipping", "payment"):
        assert names[name] > 10, names
    assert Tag.objects.filter(name="vip").exists()
    tagged = ActivityEvent.objects.filter(kind=ActivityKind.TAGGED).count()
    assert tagged >= Conversation.objects.filter(tags__isnull=False).distinct().count()


def test_busy_hours(demo):
    """More customers write in the morning and evening (local time) than at night."""
    zones = {store.pk: ZoneInfo(store.time_zone) for store in Store.objects.all()}
    hours = collections.Counter()
    weekdays = collections.Counter()
    for store_id, created_at in Conversation.objects.values_list("store_id", "created_at"):
        local = created_at.astimezone(zones[store_id])
        hours[local.hour] += 1
        weekdays[local.weekday()] += 1
    busy = sum(hours[h] for h in (9, 10, 11, 19, 20, 21)) / 6
    night = sum(hours[h] for h in (1, 2, 3, 4)) / 4
    assert busy > 4 * night
    assert weekdays[1] > weekdays[6]


def test_response_times_vary(demo):
    delays = [
        (c.first_response_at - c.created_at).total_seconds() / 60
        for c in Conversation.objects.filter(first_response_at__isnull=False)
    ]
    assert min(delays) < 15
    assert max(delays) > 8 * 60
    assert max(delays) < 3 * 24 * 60


def test_each_store_has_a_searchable_help_center_in_its_languages(demo, settings):
    settings.SEARCH_EMBEDDER = "off"  # lexical is enough here; embedding 48 texts is slow
    fashion = Store.objects.get(slug="fashion")
    electronics = Store.objects.get(slug="electronics")
    for store in (fashion, electronics):
        articles = Article.objects.filter(store=store)
        assert articles.count() == 12
        for article in articles:
            assert {t.locale for t in article.translations.all()} == set(store.locales)
            assert all(t.is_published for t in article.translations.all())
    # The worker indexes after commit; this module's data is never committed.
    for article_id in Article.objects.values_list("id", flat=True):
        article_reindex(article_id=article_id)
    hits = search_articles(fashion, "kako vratiti artikl", mode="lexical")
    assert hits and hits[0].article.key == "returns"
    hits = search_articles(electronics, "发票怎么开", mode="lexical")
    assert hits and hits[0].article.key == "fapiao-invoices"
    # The fixtures' questions are imported as agents' questions, and their words are found.
    questions = ArticleQuestion.objects.filter(store=electronics, active=True)
    assert {q.locale for q in questions} == {"en", "zh-hans"}
    assert questions.filter(article__key="refund-timing", text="退款怎么还没到").exists()
    hits = search_articles(fashion, "stornirati", mode="lexical")
    assert hits and hits[0].article.key == "change-or-cancel-an-order"


def test_the_bulk_written_history_is_indexed_for_search(demo, settings):
    from storedesk.demo.loader import _index_history
    from storedesk.search.models import DocumentKind, SearchDocument

    settings.SEARCH_EMBEDDER = "off"
    _index_history()  # what the worker runs after the demo's commit (tasks run inline here)
    documents = SearchDocument.objects.filter(kind=DocumentKind.MESSAGE)
    assert documents.count() == Message.objects.exclude(text="").count()
    assert SearchDocument.objects.filter(kind=DocumentKind.CONTACT).count() == (
        Contact.objects.count()
    )
