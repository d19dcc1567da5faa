"""The refresh through the real services: what they write is what the reports count, a
second refresh changes nothing, and a later change is folded in."""

import datetime as dt

import pytest
from django.utils import timezone

from storedesk.accounts.enums import Role
from storedesk.analytics import selectors
from storedesk.analytics.filters import ReportFilters
from storedesk.analytics.models import (
    AgentHourRollup,
    ConversationFact,
    DailyRollup,
    IssueDailyRollup,
    RefreshState,
    TagDailyRollup,
)
from storedesk.analytics.services import analytics_refresh, analytics_reset
from storedesk.conversations import services
from storedesk.conversations.models import Conversation
from storedesk.core.testing import AgentFactory, StoreFactory, inbound, make_inbox


@pytest.fixture
def desk(db):
    store = StoreFactory()
    return {
        "store": store,
        "inbox": make_inbox(store, "api"),
        "ana": AgentFactory(username="ana"),
        "lead": AgentFactory(username="lead", role=Role.SUPERVISOR),
    }


def today_filters(store) -> ReportFilters:
    today = timezone.localdate()
    return ReportFilters(start=today - dt.timedelta(days=1), end=today, store_id=store.pk)


def rollup_snapshot():
    rows = []
    for model in (DailyRollup, TagDailyRollup, IssueDailyRollup, AgentHourRollup):
        fields = [f.name for f in model._meta.fields if f.name != "id"]
        rows.append(
            sorted(
                repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row))
                for row in model.objects.values_list(*fields)
            )
        )
    return rows


def test_services_feed_the_reports(desk):
    message = services.message_receive(inbox=desk["inbox"], inbound=inbound("Where is it?"))
    conversation = message.conversation
    services.message_send(conversation=conversation, author=desk["ana"], text="On its way.")
    services.conversation_assign(conversation=conversation, actor=None, assignee=desk["ana"])
    services.conversation_set_status(conversation=conversation, status="resolved", actor=None)

    outcome = analytics_refresh()

    assert outcome.conversations == 1 and not outcome.skipped
    report = selectors.report_overview(actor=desk["lead"], filters=today_filters(desk["store"]))
    now = report["current"]
    assert (now["conversations"], now["messages_in"], now["messages_out"]) == (1, 1, 1)
    assert (now["first_response"]["count"], now["resolved"], now["one_touch"]) == (1, 1, 1)
    agents = selectors.report_agents(actor=desk["lead"], filters=today_filters(desk["store"]))
    assert [(r["name"], r["conversations"], r["replies"]) for r in agents["agents"]] == [
        (desk["ana"].name, 1, 1)
    ]


def test_a_second_refresh_changes_nothing(desk):
    services.message_receive(inbox=desk["inbox"], inbound=inbound("Hello"))
    analytics_refresh()
    facts = list(ConversationFact.objects.values_list("conversation_id", "created_day"))
    before = rollup_snapshot()

    analytics_refresh()

    assert list(ConversationFact.objects.values_list("conversation_id", "created_day")) == facts
    assert rollup_snapshot() == before


def test_a_later_reopen_and_reassignment_are_folded_in(desk):
    message = services.message_receive(inbox=desk["inbox"], inbound=inbound("Broken zipper"))
    conversation = message.conversation
    services.message_send(conversation=conversation, author=desk["ana"], text="Sorry!")
    services.conversation_set_status(conversation=conversation, status="resolved", actor=None)
    analytics_refresh()
    filters = today_filters(desk["store"])
    assert selectors.report_overview(actor=desk["lead"], filters=filters)["current"]["resolved"]

    services.message_receive(inbox=desk["inbox"], inbound=inbound("Still broken"))
    bob = AgentFactory(username="bob")
    services.conversation_assign(conversation=conversation, actor=None, assignee=bob)
    analytics_refresh()

    fact = ConversationFact.objects.get(conversation=conversation)
    assert (fact.reopened_count, fact.resolved_day, fact.messages_in) == (1, None, 2)
    now = selectors.report_overview(actor=desk["lead"], filters=filters)["current"]
    assert (now["resolved"], now["messages_in"]) == (0, 2)
    # Every message now counts under the new assignee, none under the old one.
    per_agent = DailyRollup.objects.values_list("agent_id", "messages_in")
    assert sorted((a, n) for a, n in per_agent if n) == [(bob.pk, 2)]


def test_only_one_refresh_runs_at_a_time(desk):
    services.message_receive(inbox=desk["inbox"], inbound=inbound("Hello"))
    RefreshState.objects.create(pk=1, lease_until=timezone.now() + dt.timedelta(minutes=5))
    assert analytics_refresh().skipped
    assert not ConversationFact.objects.exists()
    # A lease left by a crashed refresh runs out.
    RefreshState.objects.filter(pk=1).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert analytics_refresh().conversations == 1


def test_reset_rebuilds_everything(desk):
    services.message_receive(inbox=desk["inbox"], inbound=inbound("Hello"))
    analytics_refresh()
    before = rollup_snapshot()
    analytics_reset()
    assert not DailyRollup.objects.exists()
    analytics_refresh()
    assert rollup_snapshot() == before


def test_refresh_sees_only_conversations_changed_since_its_watermark(desk):
    services.message_receive(inbox=desk["inbox"], inbound=inbound("Hello"))
    analytics_refresh()
    # Changed well before the last refresh (beyond the overlap read again): not read.
    Conversation.objects.update(updated_at=timezone.now() - dt.timedelta(minutes=10))
    assert analytics_refresh().conversations == 0
    services.message_receive(inbox=desk["inbox"], inbound=inbound("Hello again", email="b@x.org"))
    assert analytics_refresh().conversations == 1


def test_assistant_handoffs_deflection_and_rated_answers(desk):
    from storedesk.assistant.models import AssistantAnswer, AssistantSession
    from storedesk.conversations.enums import SenderType

    helped = services.message_receive(inbox=desk["inbox"], inbound=inbound("Return policy?"))
    passed = services.message_receive(
        inbox=desk["inbox"], inbound=inbound("I want a person", email="b@x.org")
    )
    for message, state, reason, helpful in (
        (helped, "resolved", "", True),
        (passed, "handed_off", "not_helpful", False),
    ):
        conversation = message.conversation
        reply = services.message_send(
            conversation=conversation,
            author=None,
            text="Here is our article.",
            sender_type=SenderType.ASSISTANT,
        )
        session = AssistantSession.objects.create(
            conversation=conversation,
            store=desk["store"],
            state=state,
            handoff_reason=reason,
            pending_intent="check_refund_policy",
        )
        AssistantAnswer.objects.create(session=session, message=reply, helpful=helpful)
    analytics_refresh()

    now = selectors.report_overview(actor=desk["lead"], filters=today_filters(desk["store"]))
    current = now["current"]
    assert current["assistant"] == {
        "handled": 2,
        "handled_share": 1.0,
        "resolved": 1,
        "deflection_rate": 0.5,
        "handoffs": 1,
        "handoff_reasons": {"not_helpful": 1},
    }
    assert current["assistant_replies"] == 2
    # The assistant's replies are not first responses.
    assert current["first_response"]["count"] == 0
    assert current["feedback"]["answers_rated"] == 2
    assert current["feedback"]["answers_helpful_rate"] == 0.5
    assert current["feedback"]["csat"] is None


def test_help_center_votes_count_in_the_store(desk):
    from storedesk.helpcenter.models import Article, ArticleFeedback

    article = Article.objects.create(store=desk["store"], key="returns")
    for reader, helpful in (("r1", True), ("r2", True), ("r3", False)):
        ArticleFeedback.objects.create(
            article=article, store=desk["store"], locale="en", helpful=helpful, reader=reader
        )
    other = StoreFactory()
    ArticleFeedback.objects.create(
        article=Article.objects.create(store=other, key="x"),
        store=other,
        locale="en",
        helpful=False,
        reader="r4",
    )
    report = selectors.report_overview(actor=desk["lead"], filters=today_filters(desk["store"]))
    assert report["current"]["feedback"]["articles"] == {"votes": 3, "helpful_rate": 0.6667}


def test_a_complaint_tag_counts_as_a_complaint(desk):
    message = services.message_receive(inbox=desk["inbox"], inbound=inbound("Not happy."))
    services.conversation_tag(conversation=message.conversation, actor=None, add=["Pritužba"])
    services.message_receive(inbox=desk["inbox"], inbound=inbound("Hi", email="b@x.org"))
    analytics_refresh()
    now = selectors.report_overview(actor=desk["lead"], filters=today_filters(desk["store"]))
    assert (now["current"]["complaints"], now["current"]["complaint_share"]) == (1, 0.5)
