import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from storedesk.accounts.enums import Role
from storedesk.conversations import services
from storedesk.conversations.models import Conversation, Message
from storedesk.core.testing import AgentFactory, TeamFactory, committed_events, inbound, make_inbox
from storedesk.routing.services import canned_reply_save

pytestmark = pytest.mark.django_db


def row_ids(response) -> list[int]:
    return [int(i) for i in re.findall(rb'class="row [^"]*" data-id="(\d+)"', response.content)]


def make_conversations(inbox, count, prefix="c"):
    return [
        services.message_receive(
            inbox=inbox, inbound=inbound(f"{prefix} {i}", email=f"{prefix}{i}@example.com")
        ).conversation
        for i in range(count)
    ]


def test_signed_out_is_sent_to_sign_in():
    response = Client().get("/inbox/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_views_filter_and_count(signed_in, agent, api_inbox):
    a, b, c, d = make_conversations(api_inbox, 4)
    services.conversation_assign(conversation=a, actor=agent, assignee=agent)
    services.conversation_set_status(conversation=b, status="pending", actor=agent)
    services.conversation_set_status(conversation=c, status="resolved", actor=agent)
    assert set(row_ids(signed_in.get("/inbox/?view=mine"))) == {a.pk}
    assert set(row_ids(signed_in.get("/inbox/?view=unassigned"))) == {d.pk}
    assert set(row_ids(signed_in.get("/inbox/?view=open"))) == {a.pk, d.pk}
    assert set(row_ids(signed_in.get("/inbox/?view=pending"))) == {b.pk}
    assert set(row_ids(signed_in.get("/inbox/?view=resolved"))) == {c.pk}
    assert set(row_ids(signed_in.get("/inbox/?view=all"))) == {a.pk, b.pk, c.pk, d.pk}
    page = signed_in.get("/inbox/?view=open").content.decode()
    assert re.search(r'data-view="mine">Mine\s*<span class="count">1</span>', page)
    assert re.search(r'data-view="open">All open\s*<span class="count">2</span>', page)


def test_default_sort_is_waiting_longest_first(signed_in, api_inbox):
    first, second = make_conversations(api_inbox, 2)
    Conversation.objects.filter(pk=second.pk).update(
        waiting_since=timezone.now() - timedelta(days=2)
    )
    assert row_ids(signed_in.get("/inbox/")) == [second.pk, first.pk]
    Conversation.objects.filter(pk=first.pk).update(priority=3)
    assert row_ids(signed_in.get("/inbox/?sort=priority")) == [first.pk, second.pk]


def test_filters_and_search(signed_in, agent, api_inbox, store):
    hr, zh = make_conversations(api_inbox, 2)
    Conversation.objects.filter(pk=hr.pk).update(language="hr", priority=3)
    services.conversation_tag(conversation=zh, actor=agent, add=["refund"])
    assert row_ids(signed_in.get("/inbox/?language=hr")) == [hr.pk]
    assert row_ids(signed_in.get("/inbox/?priority=3")) == [hr.pk]
    assert row_ids(signed_in.get("/inbox/?tag=Refund")) == [zh.pk]
    assert row_ids(signed_in.get("/inbox/?view=all&q=c1@example")) == [zh.pk]
    form_inbox = make_inbox(store, "webform")
    web = services.message_receive(inbox=form_inbox, inbound=inbound("form", email="w@x.com"))
    assert row_ids(signed_in.get("/inbox/?channel=webform")) == [web.conversation_id]
    # Garbage filter values are ignored, never a server error.
    assert signed_in.get("/inbox/?priority=x&team=y&cursor=%%%&sort=evil").status_code == 200


def test_load_more_pages_through_everything(signed_in, api_inbox):
    created = make_conversations(api_inbox, 53)
    first = signed_in.get("/inbox/")
    ids = row_ids(first)
    assert len(ids) == 50
    cursor = re.search(rb"cursor=([A-Za-z0-9_-]+)", first.content).group(1).decode()
    more = signed_in.get(f"/inbox/?cursor={cursor}", HTTP_HX_REQUEST="true")
    ids += row_ids(more)
    assert sorted(ids) == sorted(c.pk for c in created)


def test_inbox_query_count_does_not_grow(signed_in, api_inbox, django_assert_max_num_queries):
    make_conversations(api_inbox, 3)
    with django_assert_max_num_queries(20) as small:
        signed_in.get("/inbox/")
    make_conversations(api_inbox, 40, prefix="more")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = signed_in.get("/inbox/")
    assert len(row_ids(response)) == 43


def test_conversation_query_count_does_not_grow(
    signed_in, agent, conversation, django_assert_max_num_queries
):
    with django_assert_max_num_queries(30) as small:
        signed_in.get(f"/c/{conversation.pk}/")
    for i in range(15):
        services.note_add(conversation=conversation, author=agent, text=f"note {i}")
        services.message_receive(inbox=conversation.inbox, inbound=inbound(f"more {i}"))
    services.conversation_tag(conversation=conversation, actor=agent, add=["a", "b"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = signed_in.get(f"/c/{conversation.pk}/")
    assert response.content.count(b'class="item message') == 31


def test_conversation_page_shows_thread_notes_and_sidebar(signed_in, agent, conversation):
    services.note_add(conversation=conversation, author=agent, text="VIP <b>careful</b>")
    services.message_send(conversation=conversation, author=agent, text="On its way")
    page = signed_in.get(f"/c/{conversation.pk}/").content.decode()
    assert "Where is my order FA1234567?" in page
    assert 'class="item message kind-note"' in page
    assert "VIP &lt;b&gt;careful&lt;/b&gt;" in page  # escaped, never markup
    assert 'class="item message kind-outbound"' in page
    assert "Ana Horvat" in page and "ana@example.com" in page


def test_compose_reply_and_note(signed_in, conversation):
    url = f"/c/{conversation.pk}/compose"
    with committed_events():
        reply = signed_in.post(url, {"kind": "reply", "text": "Shipped today", "client_key": "k1"})
    assert reply.status_code == 200 and b"Shipped today" in reply.content
    assert reply["HX-Trigger"] == "composer-sent"
    again = signed_in.post(url, {"kind": "reply", "text": "Shipped today", "client_key": "k1"})
    assert again.status_code == 200
    assert Message.objects.filter(kind="outbound").count() == 1
    assert Message.objects.get(kind="outbound").delivery_status == "sent"
    signed_in.post(url, {"kind": "note", "text": "Customer is in Zagreb"})
    assert Message.objects.filter(kind="note").count() == 1
    empty = signed_in.post(url, {"kind": "reply", "text": "   "})
    assert empty.status_code == 422 and b"empty" in empty.content


def test_controls_change_assignment_status_priority_tags(signed_in, agent, conversation):
    url = f"/c/{conversation.pk}/update"
    team = TeamFactory(name="Tier 1")
    assert signed_in.post(url, {"field": "assignee", "value": agent.pk}).status_code == 200
    assert signed_in.post(url, {"field": "team", "value": team.pk}).status_code == 200
    assert signed_in.post(url, {"field": "priority", "value": "3"}).status_code == 200
    signed_in.post(url, {"field": "tags_add", "value": "Refund, damaged "})
    signed_in.post(url, {"field": "tags_remove", "value": "damaged"})
    until = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    snoozed = signed_in.post(url, {"field": "status", "value": "snoozed", "snooze_until": until})
    assert snoozed.status_code == 200 and snoozed["HX-Trigger"] == "conversation-changed"
    conversation.refresh_from_db()
    assert conversation.assignee == agent and conversation.team == team
    assert conversation.priority == 3 and conversation.status == "snoozed"
    assert list(conversation.tags.values_list("name", flat=True)) == ["refund"]
    resolved = signed_in.post(url, {"field": "status", "value": "resolved"})
    assert resolved.status_code == 200
    wrong = signed_in.post(url, {"field": "status", "value": "pending"})
    assert wrong.status_code == 422 and b"Cannot change status" in wrong.content
    assert signed_in.post(url, {"field": "nonsense", "value": "1"}).status_code == 422


def test_bulk_actions(signed_in, agent, api_inbox):
    a, b, c = make_conversations(api_inbox, 3)
    signed_in.post("/inbox/bulk", {"action": "assign", "assignee": agent.pk, "ids": [a.pk, b.pk]})
    assert set(Conversation.objects.filter(assignee=agent).values_list("pk", flat=True)) == {
        a.pk,
        b.pk,
    }
    signed_in.post("/inbox/bulk", {"action": "status", "status": "resolved", "ids": [b.pk, c.pk]})
    assert set(Conversation.objects.filter(status="resolved").values_list("pk", flat=True)) == {
        b.pk,
        c.pk,
    }
    signed_in.post("/inbox/bulk", {"action": "tag", "tag": "wave", "ids": [a.pk]})
    assert list(a.tags.values_list("name", flat=True)) == ["wave"]
    assert signed_in.post("/inbox/bulk", {"action": "drop", "ids": [a.pk]}).status_code == 400


def test_html_email_is_served_sandboxed_without_remote_content(signed_in, api_inbox):
    message = services.message_receive(
        inbox=api_inbox,
        inbound=inbound(
            "html",
            email="h@example.com",
            html='<p>Hi</p><img src="https://tracker.example/pixel.gif"><script>alert(1)</script>',
        ),
    )
    page = signed_in.get(f"/c/{message.conversation_id}/").content.decode()
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page
    body = signed_in.get(f"/c/{message.conversation_id}/m/{message.pk}/body")
    csp = body["Content-Security-Policy"]
    assert (
        "default-src 'none'" in csp
        and "img-src data: http://testserver/attachments/inline/;" in csp
        and "sandbox" in csp
    )
    assert b"<script" not in body.content and b"Hi" in body.content
    assert body["X-Frame-Options"] == "SAMEORIGIN"
    with_images = signed_in.get(f"/c/{message.conversation_id}/m/{message.pk}/body?images=1")
    assert (
        "img-src data: http://testserver/attachments/inline/ https: http:;"
        in with_images["Content-Security-Policy"]
    )


def test_canned_reply_fills_variables_and_cannot_reach_internals(
    signed_in, admin_agent, conversation
):
    reply = canned_reply_save(
        actor=admin_agent,
        title="Where",
        body="Hi {{ contact.first_name }}, order {{ order.number }} from {{ store.name }}.",
    )
    response = signed_in.get(f"/c/{conversation.pk}/canned/{reply.pk}")
    assert response.json() == {"text": "Hi Ana, order  from Fashion."}
    # Only the listed plain values exist: anything else renders empty.
    sneaky = canned_reply_save(
        actor=admin_agent, title="Sneaky", body="{{ settings.SECRET_KEY }}{{ request }}{{ user }}"
    )
    assert signed_in.get(f"/c/{conversation.pk}/canned/{sneaky.pk}").json() == {"text": ""}
    from storedesk.core.errors import ValidationError

    for body in ("{{ contact.email.__class__ }}", "{% load static %}", "{% debug %}", "{% if %}"):
        with pytest.raises(ValidationError) as error:
            canned_reply_save(actor=admin_agent, title="x", body=body)
        assert error.value.field == "body"


def test_restricted_agent_never_sees_another_store(store, other_store, api_inbox):
    other_inbox = make_inbox(other_store, "api", "Other")
    mine = services.message_receive(inbox=api_inbox, inbound=inbound("mine")).conversation
    canary = services.message_receive(
        inbox=other_inbox, inbound=inbound("CANARY-9d1c", email="canary@example.com")
    ).conversation
    outsider = AgentFactory(role=Role.RESTRICTED, stores=[store])
    client = Client()
    client.force_login(outsider)
    for path in (
        "/inbox/?view=all",
        "/inbox/?view=all&q=9d1c",
        "/inbox/counts?view=all",
        f"/inbox/?view=all&store={other_store.pk}",
        "/contacts/?q=9d1c",
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert b"CANARY" not in response.content and b"canary@" not in response.content
    assert row_ids(client.get("/inbox/?view=all")) == [mine.pk]
    page = client.get("/inbox/?view=open").content.decode()
    assert re.search(r'data-view="open">All open\s*<span class="count">1</span>', page)
    for path in (f"/c/{canary.pk}/", f"/c/{canary.pk}/thread", f"/contacts/{canary.contact_id}/"):
        assert client.get(path).status_code == 404
    for path, data in (
        (f"/c/{canary.pk}/compose", {"text": "hi"}),
        (f"/c/{canary.pk}/update", {"field": "status", "value": "resolved"}),
        (f"/contacts/{canary.contact_id}/merge", {"other": mine.contact_id}),
    ):
        assert client.post(path, data).status_code == 404
    client.post("/inbox/bulk", {"action": "status", "status": "resolved", "ids": [canary.pk]})
    canary.refresh_from_db()
    assert canary.status == "open"
    assert not Message.objects.filter(conversation=canary, kind="outbound").exists()


def test_times_are_shown_in_the_agents_time_zone(signed_in, agent, api_inbox):
    from datetime import UTC, datetime

    written = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    message = services.message_receive(inbox=api_inbox, inbound=inbound(received_at=written))
    agent.time_zone = "Asia/Shanghai"
    agent.save()
    page = signed_in.get(f"/c/{message.conversation_id}/").content.decode()
    assert 'datetime="2026-03-02T07:30:00+08:00"' in page
    agent.time_zone = "Europe/Zagreb"
    agent.save()
    page = signed_in.get(f"/c/{message.conversation_id}/").content.decode()
    assert 'datetime="2026-03-02T00:30:00+01:00"' in page


def test_status_filter_on_all_conversations(signed_in, agent, api_inbox):
    a, b = make_conversations(api_inbox, 2)
    services.conversation_set_status(conversation=b, status="pending", actor=agent)
    assert row_ids(signed_in.get("/inbox/?view=all&status=pending")) == [b.pk]
    page = signed_in.get("/inbox/?view=all&status=pending").content.decode()
    assert '<option value="pending" selected>' in page
    assert sorted(row_ids(signed_in.get("/inbox/?view=all&status=bogus"))) == sorted([a.pk, b.pk])
