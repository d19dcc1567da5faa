"""Repeat contacts and topics through the real services, the bundled embedder and the
intent model: what customers write decides them."""

import dataclasses
import datetime as dt

import pytest
from django.utils import timezone

from storedesk.accounts.enums import Role
from storedesk.analytics import issue_selectors, selectors
from storedesk.analytics.filters import ReportFilters
from storedesk.analytics.models import (
    ConversationFact,
    ConversationSignal,
    ConversationTopic,
    RepeatContact,
    Topic,
)
from storedesk.analytics.services import analytics_refresh, analytics_reset
from storedesk.conversations import services
from storedesk.conversations.models import Conversation
from storedesk.core.testing import AgentFactory, StoreFactory, inbound, make_inbox


@pytest.fixture
def shop(db, intent_model):
    store = StoreFactory(
        slug="northwind", default_locale="en", supported_locales=["en", "hr", "zh-hans"]
    )
    return {
        "store": store,
        "email": make_inbox(store, "api", "Email"),
        "form": make_inbox(store, "webform", "Form"),
        "other": make_inbox(store, "api", "Marketplace"),
        "ana": AgentFactory(username="ana"),
        "lead": AgentFactory(username="lead", role=Role.SUPERVISOR),
    }


def resolved(shop, text, email, inbox="email"):
    message = services.message_receive(inbox=shop[inbox], inbound=inbound(text, email=email))
    conversation = message.conversation
    services.message_send(conversation=conversation, author=shop["ana"], text="Done.")
    services.conversation_set_status(conversation=conversation, status="resolved", actor=None)
    return conversation


def opened(shop, text, email, inbox="form"):
    return services.message_receive(
        inbox=shop[inbox], inbound=inbound(text, email=email)
    ).conversation


def refresh():
    return analytics_refresh(signal_seconds=120)


def today(shop) -> ReportFilters:
    day = timezone.localdate()
    return ReportFilters(start=day - dt.timedelta(days=1), end=day, store_id=shop["store"].pk)


def test_signals_read_the_first_message(shop):
    conversation = opened(shop, "Where is my order 1042? It still has not arrived.", "a@x.org")
    outcome = refresh()
    assert outcome.signals == 1
    signal = ConversationSignal.objects.get(conversation=conversation)
    assert signal.intent == "track_order"
    assert signal.locale == "en"
    assert "arriv" in signal.terms.split()
    assert len(bytes(signal.vector)) == 384 * 4
    assert ConversationFact.objects.get(conversation=conversation).intent == "track_order"


def test_a_customer_back_with_the_same_issue_on_another_channel(shop):
    first = resolved(shop, "Where is my order? It has not arrived yet.", "ana@x.org")
    again = opened(shop, "Moja narudžba još nije stigla, gdje je paket?", "ana@x.org")
    # (A message in the first inbox would reopen the first conversation instead.)
    other_issue = opened(shop, "How do I reset my password?", "ana@x.org", inbox="other")
    stranger = opened(shop, "My order has not arrived yet, where is it?", "ivo@x.org")
    refresh()

    link = RepeatContact.objects.get(conversation=again)
    assert link.earlier_id == first.pk
    assert link.reason in ("intent", "text")
    assert not RepeatContact.objects.filter(conversation=other_issue).exists()
    assert not RepeatContact.objects.filter(conversation=stranger).exists()

    report = issue_selectors.report_repeat_contacts(actor=shop["lead"], filters=today(shop))
    assert (report["conversations"], report["repeats"], report["window_days"]) == (4, 1, 7)
    assert report["repeat_rate"] == 0.25
    assert [row["conversation_id"] for row in report["list"]] == [again.pk]
    assert report["list"][0]["earlier_id"] == first.pk
    ids = selectors.report_conversation_ids(
        actor=shop["lead"], filters=today(shop), metric="repeats"
    )
    assert list(ids) == [again.pk]


def test_a_shared_tag_makes_a_repeat_when_the_messages_are_alike(shop):
    # Both read as complaints, which says nothing about what is wrong; the tag and the
    # similar words (0.89) do.
    first = resolved(shop, "The jacket's zipper came off.", "mia@x.org")
    again = opened(shop, "I have a problem with the jacket from my last order.", "mia@x.org")
    # A tag that names the customer, on two different requests (0.82): no repeat.
    order = resolved(shop, "Where is my order? It has not arrived yet.", "vip@x.org", "other")
    discount = opened(shop, "I am a VIP customer, can I get a discount?", "vip@x.org")
    for conversation, tag in (
        (first, "zipper"),
        (again, "zipper"),
        (order, "vip"),
        (discount, "vip"),
    ):
        services.conversation_tag(conversation=conversation, actor=None, add=[tag])
    refresh()
    link = RepeatContact.objects.get(conversation=again)
    assert (link.reason, link.detail) == ("tag", "zipper")
    assert 0.85 <= link.similarity < 0.90
    assert not RepeatContact.objects.filter(conversation=discount).exists()


def test_the_window_counts_from_the_resolution(shop):
    first = resolved(shop, "My parcel has not arrived.", "ana@x.org")
    again = opened(shop, "My parcel still has not arrived!", "ana@x.org")
    refresh()
    assert RepeatContact.objects.filter(conversation=again).exists()
    # Resolved ten days before the customer wrote again: a repeat within 30 days, not 7.
    Conversation.objects.filter(pk=first.pk).update(
        resolved_at=again.created_at - dt.timedelta(days=10)
    )
    analytics_reset()
    refresh()
    seven = issue_selectors.report_repeat_contacts(actor=shop["lead"], filters=today(shop))
    thirty = issue_selectors.report_repeat_contacts(
        actor=shop["lead"], filters=today(shop), window_days=30
    )
    assert (seven["repeats"], thirty["repeats"]) == (0, 1)
    assert thirty["list"][0]["days_after"] == 10.0


THEMES = {
    "delivery": [
        "Where is my parcel? It has not arrived after two weeks.",
        "My order still hasn't been delivered, can you check the tracking?",
        "The package is late, the courier never came.",
        "Delivery is delayed again, where is my order?",
        "Tracking has shown the same status for 5 days, where is my package?",
        "Gdje je moj paket? Još nije stigao.",
        "Narudžba kasni već tjedan dana, kada će stići?",
        "我的包裹还没到，物流一直不更新",
        "快递怎么还没送到？已经等了十天",
        "Order not delivered yet, the courier says the address is wrong?",
    ],
    "refund": [
        "I returned the broken headphones, when do I get my refund?",
        "Please refund me, the item arrived damaged.",
        "I want my money back for the faulty charger.",
        "Still waiting for the refund of my return from last month.",
        "The blender was broken on arrival, I want a refund.",
        "Želim povrat novca, proizvod je stigao oštećen.",
        "Kada ću dobiti povrat novca za vraćenu robu?",
        "商品坏了，我要退款",
        "退货已经寄回，退款什么时候到账？",
        "Refund for the cracked phone case please.",
    ],
    "password": [
        "I forgot my password and cannot log in.",
        "How do I reset my password?",
        "The password reset email never arrives.",
        "I can't sign in to my account, the password is not accepted.",
        "Login keeps failing, please help me reset my password.",
        "Zaboravio sam lozinku, kako je mogu promijeniti?",
        "Ne mogu se prijaviti u svoj račun, lozinka ne radi.",
        "忘记密码了，怎么重置？",
        "登录不了账户，密码错误",
        "Reset link for my password has expired.",
    ],
}


def test_topics_group_what_customers_write_about(shop):
    members = {theme: [] for theme in THEMES}
    for theme, texts in THEMES.items():
        for i, text in enumerate(texts):
            members[theme].append(opened(shop, text, f"{theme}{i}@x.org"))
    refresh()

    assert Topic.objects.filter(store=shop["store"]).count() >= 3
    majority = {}
    for theme, conversations in members.items():
        topics = [
            ConversationTopic.objects.filter(conversation=c)
            .values_list("topic_id", flat=True)
            .first()
            for c in conversations
        ]
        best = max(set(topics) - {None}, key=topics.count)
        assert topics.count(best) >= 7, (theme, topics)
        majority[theme] = best
    assert len(set(majority.values())) == 3

    report = issue_selectors.report_complaints(actor=shop["lead"], filters=today(shop))
    assert report["conversations"] == 30
    by_id = {row["topic_id"]: row for row in report["topics"]}
    delivery = by_id[majority["delivery"]]
    assert delivery["conversations"] >= 7
    assert {
        "arrived",
        "delivered",
        "order",
        "package",
        "parcel",
        "tracking",
        "courier",
        "delivery",
    } & {word.lower() for word in delivery["terms"]}
    assert len(delivery["examples"]) == 3
    assert sum(delivery["series"]) == delivery["conversations"]
    assert {row["intent"] for row in report["intents"]} & {
        "track_order",
        "get_refund",
        "recover_password",
    }
    ids = selectors.report_conversation_ids(
        actor=shop["lead"], filters=today(shop), metric="topic", topic_id=majority["refund"]
    )
    assert set(ids) <= {c.pk for c in Conversation.objects.all()}
    assert len(ids) == by_id[majority["refund"]]["conversations"]


def test_complaint_and_negative_share(shop):
    opened(shop, "I want to make a formal complaint about your service.", "a@x.org")
    opened(shop, "THIS IS A DISGRACE!!! Worst shop ever, absolutely terrible!!!", "b@x.org")
    opened(shop, "Do you ship to Austria?", "c@x.org")
    opened(shop, "Kada stiže moja narudžba?", "d@x.org")
    refresh()
    report = issue_selectors.report_complaints(actor=shop["lead"], filters=today(shop))
    assert report["conversations"] == 4
    assert report["complaints"] >= 1
    assert report["negative"] >= 1
    overview = selectors.report_overview(actor=shop["lead"], filters=today(shop))["current"]
    assert overview["complaints"] == report["complaints"]
    assert overview["negative"] == report["negative"]


def test_topics_are_clustered_again_when_old_or_outgrown(db):
    import numpy as np

    from storedesk.analytics.topic_services import topics_due
    from storedesk.core.testing import ContactFactory

    store = StoreFactory()
    inbox = make_inbox(store, "api")
    now = timezone.now()
    vector = np.ones(384, "<f4").tobytes()

    def signals(n):
        for _ in range(n):
            conversation = Conversation.objects.create(
                store=store, inbox=inbox, contact=ContactFactory(store=store), created_at=now
            )
            ConversationSignal.objects.create(
                conversation=conversation,
                store=store,
                created_at=now,
                vector=vector,
                computed_at=now,
            )

    signals(19)
    assert topics_due(now=now) == []  # too few to cluster
    signals(1)
    assert topics_due(now=now) == [store.pk]
    Topic.objects.create(
        store=store, label="x", centroid=vector, size=20, clustered_from=20, created_at=now
    )
    assert topics_due(now=now) == []
    signals(10)  # 30 now: not yet half as many again
    assert topics_due(now=now) == []
    assert topics_due(now=now + dt.timedelta(hours=7)) == [store.pk]
    signals(1)  # 31 > 20 × 3/2
    assert topics_due(now=now) == [store.pk]


def _issue_reports(lead, filters, window_days=None) -> dict:
    return {
        "repeats": issue_selectors.report_repeat_contacts(
            actor=lead, filters=filters, window_days=window_days
        ),
        "complaints": issue_selectors.report_complaints(actor=lead, filters=filters),
    }


def test_issue_rollups_count_what_the_facts_count(shop):
    from storedesk.analytics.models import IssueDailyRollup, RefreshState

    # Repeats in two languages (one ten days after, one the same day), topics, intents,
    # tags shared by conversations of two inboxes.
    first = resolved(shop, "My parcel has not arrived.", "ana@x.org")
    again = opened(shop, "Moj paket još nije stigao!", "ana@x.org")
    resolved(shop, "I want my money back for the faulty charger.", "ivo@x.org")
    back = opened(shop, "商品坏了，我要退款", "ivo@x.org")
    for theme, texts in THEMES.items():
        for i, text in enumerate(texts):
            conversation = opened(
                shop, text, f"{theme}{i}@x.org", inbox="form" if i % 2 else "other"
            )
            if i % 3 == 0:
                services.conversation_tag(conversation=conversation, actor=None, add=[theme])
    services.conversation_tag(conversation=again, actor=None, add=["delivery"])
    services.conversation_assign(conversation=again, assignee=shop["ana"], actor=None)
    refresh()
    Conversation.objects.filter(pk=first.pk).update(
        resolved_at=again.created_at - dt.timedelta(days=10)
    )
    analytics_reset()
    refresh()
    assert RepeatContact.objects.filter(conversation__in=[again, back]).count() == 2
    assert IssueDailyRollup.objects.filter(kind="topic").exists()
    assert IssueDailyRollup.objects.filter(kind="repeat", repeat_days=10).exists()

    lead = shop["lead"]
    views = [
        (today(shop), None),
        (today(shop), 30),
        (dataclasses.replace(today(shop), language="hr"), 30),
        (dataclasses.replace(today(shop), inbox_id=shop["other"].pk), None),
        (dataclasses.replace(today(shop), channel="webform"), None),
        (dataclasses.replace(today(shop), tag="Delivery"), 30),
        (dataclasses.replace(today(shop), tag="refund", language="en"), None),
    ]
    from_rollups = [_issue_reports(lead, f, w) for f, w in views]
    RefreshState.objects.update(rollup_format=0)  # as during an upgrade: facts are counted
    from_facts = [_issue_reports(lead, f, w) for f, w in views]
    assert from_rollups == from_facts

    every = from_rollups[1]
    assert (every["repeats"]["repeats"], from_rollups[0]["repeats"]["repeats"]) == (2, 1)
    assert every["repeats"]["by_reason"]
    complaints = every["complaints"]
    assert sum(t["conversations"] for t in complaints["topics"]) >= 21
    assert {row["tag"]: row["conversations"] for row in complaints["tags"]} == {
        "delivery": 5,
        "refund": 4,
        "password": 4,
    }
    assert complaints["intents"][0]["conversations"] >= 5
    by_tag = from_rollups[5]
    assert by_tag["repeats"]["repeats"] == 1  # the tagged one, ten days after
    assert by_tag["complaints"]["tags"] == [{"tag": "delivery", "conversations": 5}]
    # A team or agent filter is counted from the facts (the issue rollups lack them).
    by_agent = _issue_reports(lead, dataclasses.replace(today(shop), agent_id=shop["ana"].pk))
    assert (by_agent["repeats"]["conversations"], by_agent["repeats"]["repeats"]) == (1, 0)
    by_agent = _issue_reports(
        lead, dataclasses.replace(today(shop), agent_id=shop["ana"].pk), window_days=30
    )
    assert by_agent["repeats"]["list"][0]["conversation_id"] == again.pk
    assert by_agent["complaints"]["tags"] == [{"tag": "delivery", "conversations": 1}]


def test_clustering_again_recounts_the_topics_of_every_day(shop):
    from storedesk.analytics.models import IssueDailyRollup

    for theme, texts in THEMES.items():
        for i, text in enumerate(texts):
            opened(shop, text, f"{theme}{i}@x.org")
    refresh()
    before = set(Topic.objects.values_list("pk", flat=True))
    counted = set(IssueDailyRollup.objects.filter(kind="topic").values_list("key", flat=True))
    assert counted == {str(pk) for pk in before}

    Topic.objects.update(created_at=timezone.now() - dt.timedelta(days=1))  # due again
    outcome = refresh()
    assert outcome.clustered == 1
    after = set(Topic.objects.values_list("pk", flat=True))
    assert after and not after & before
    counted = set(IssueDailyRollup.objects.filter(kind="topic").values_list("key", flat=True))
    assert counted == {str(pk) for pk in after}
    report = issue_selectors.report_complaints(actor=shop["lead"], filters=today(shop))
    linked = ConversationTopic.objects.count()
    assert sum(t["conversations"] for t in report["topics"]) == linked
