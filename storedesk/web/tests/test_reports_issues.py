"""The dashboard's repeat-contact and topic sections, their drill-downs and exports, on the
hand-worked history with a repeat and two topics written in."""

import csv
import io

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone

from storedesk.analytics.models import ConversationFact, ConversationTopic, RepeatContact, Topic
from storedesk.analytics.rollup_services import issue_rollups_refresh
from storedesk.analytics.services import analytics_refresh

pytestmark = pytest.mark.django_db

WEEK = {"start": "2026-10-23", "end": "2026-10-27"}


@pytest.fixture
def issues(history):
    analytics_refresh()
    c = history.conversations
    fact = ConversationFact.objects.get(pk=c["D"].pk)
    RepeatContact.objects.create(
        conversation=c["D"],
        earlier=c["B"],
        store=history.store,
        created_at=fact.created_at,
        created_day=fact.created_day,
        seconds_after=86400 + 3600,
        reason="intent",
        detail="get_refund",
        detected_at=timezone.now(),
    )
    centre = np.ones(384, "<f4").tobytes()
    now = timezone.now()
    delivery = Topic.objects.create(
        store=history.store,
        label="parcel · late · courier",
        terms=["parcel", "late"],
        centroid=centre,
        size=3,
        intent="track_order",
        created_at=now,
    )
    hostile = Topic.objects.create(
        store=history.store,
        label='=HYPERLINK("http://x")',
        terms=["@x"],
        centroid=centre,
        size=1,
        created_at=now,
    )
    for name, topic in (("A", delivery), ("C", delivery), ("D", hostile)):
        ConversationTopic.objects.create(
            conversation=c[name], topic=topic, store=history.store, similarity=0.9
        )
    # The links were made by hand here: count them into the issue rollups as the refresh
    # does after it links conversations.
    issue_rollups_refresh(
        days=ConversationFact.objects.filter(store=history.store).values_list(
            "store_id", "created_day"
        )
    )
    client = Client()
    client.force_login(history.supervisor)
    return history, client, delivery


def test_the_sections_show_repeats_and_topics(issues):
    history, client, delivery = issues
    text = client.get("/reports/", {**WEEK, "store": history.store.pk}).content.decode()
    d, b = history.conversations["D"].pk, history.conversations["B"].pk
    assert "Customers back with the same issue" in text
    assert f'<a href="/c/{d}/">#{d}</a>' in text and f'<a href="/c/{b}/">#{b}</a>' in text
    assert "The same request: get_refund" in text
    assert "parcel · late · courier" in text
    # The label is shown as text, never as markup.
    assert "=HYPERLINK(&quot;http://x&quot;)" in text


def test_repeat_and_topic_drill_downs(issues):
    history, client, delivery = issues
    c = history.conversations
    repeats = client.get(
        "/reports/conversations", {**WEEK, "metric": "repeats", "window": "7"}
    ).content.decode()
    assert f'href="/c/{c["D"].pk}/"' in repeats and f'href="/c/{c["B"].pk}/"' not in repeats
    topic = client.get(
        "/reports/conversations", {**WEEK, "metric": "topic", "topic": str(delivery.pk)}
    ).content.decode()
    assert f'href="/c/{c["A"].pk}/"' in topic and f'href="/c/{c["C"].pk}/"' in topic
    assert f'href="/c/{c["D"].pk}/"' not in topic
    bad = client.get("/reports/conversations", {**WEEK, "metric": "repeats", "window": "99"})
    assert bad.status_code == 200 and "/c/" not in bad.content.decode()


def test_exports_are_formula_safe(issues):
    history, client, delivery = issues
    topics = client.get("/reports/export/topics.csv", {**WEEK, "store": history.store.pk})
    rows = list(csv.reader(io.StringIO(topics.content.decode()[1:])))
    labels = {row[0] for row in rows[1:]}
    assert "parcel · late · courier" in labels
    assert '\'=HYPERLINK("http://x")' in labels
    assert any(row[1] == "'@x" for row in rows[1:])
    repeats = client.get("/reports/export/repeat-contacts.csv", WEEK)
    rows = list(csv.reader(io.StringIO(repeats.content.decode()[1:])))
    assert rows[1][0] == str(history.conversations["D"].pk)
    assert rows[1][7] == "1.0"
