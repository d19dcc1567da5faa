"""``/api/v1/conversations``: every endpoint, filter, sort and error through HTTP."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from storedesk.accounts.enums import Role
from storedesk.conversations import services
from storedesk.conversations.enums import ConversationStatus as S
from storedesk.conversations.models import ActivityEvent, Attachment, Conversation, Message
from storedesk.core.testing import (
    AgentFactory,
    JsonApi,
    TeamFactory,
    assert_api_error,
    bearer,
    committed_events,
    inbound,
    make_inbox,
)

pytestmark = pytest.mark.django_db

BASE = "/api/v1/conversations"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


assert_error = assert_api_error


def receive(inbox, text="Hello, where is my order?", *, email="ana@example.com", **fields):
    return services.message_receive(
        inbox=inbox, inbound=inbound(text, email=email, name=fields.pop("name", "Ana"), **fields)
    ).conversation


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


@pytest.fixture
def api(agent):
    return JsonApi(agent, BASE)


@pytest.fixture
def b64():
    return lambda content: base64.b64encode(content).decode()


# --- List: filters -----------------------------------------------------------------------


@pytest.fixture
def dataset(store, other_store, api_inbox, other_api_inbox, agent):
    """Four conversations that differ in every filterable field (three in ``store``)."""
    second_inbox = make_inbox(store, "api", "API 2")
    team = TeamFactory(name="Returns")
    colleague = AgentFactory(username="colleague", role=Role.AGENT)
    future = timezone.now() + timedelta(days=2)

    zipper = receive(
        api_inbox, "Broken zipper", email="alice@example.com", name="Alice Adams", language="hr"
    )
    services.conversation_assign(conversation=zipper, actor=None, assignee=agent, team=team)
    services.conversation_tag(conversation=zipper, actor=None, add=["VIP"])
    services.conversation_set_priority(conversation=zipper, actor=None, priority=3)

    refund = receive(
        second_inbox, "Refund question", email="bob@example.com", name="Bob Brown", language="en"
    )
    services.conversation_set_status(conversation=refund, status=S.PENDING, actor=None)
    services.conversation_tag(conversation=refund, actor=None, add=["refund"])

    exchange = receive(
        api_inbox, "Size exchange", email="carol@example.com", name="Carol Clark", language="de"
    )
    services.conversation_assign(conversation=exchange, actor=None, assignee=colleague)
    services.conversation_set_status(
        conversation=exchange, status=S.SNOOZED, actor=None, snooze_until=future
    )
    services.conversation_set_priority(conversation=exchange, actor=None, priority=0)

    parcel = receive(
        other_api_inbox, "Where is my parcel", email="dan@example.com", name="Dan", language="hr"
    )
    services.conversation_assign(conversation=parcel, actor=None, assignee=agent, team=team)
    services.conversation_tag(conversation=parcel, actor=None, add=["vip"])
    services.conversation_set_status(conversation=parcel, status=S.RESOLVED, actor=None)
    services.conversation_set_priority(conversation=parcel, actor=None, priority=2)

    return {
        "zipper": zipper,
        "refund": refund,
        "exchange": exchange,
        "parcel": parcel,
        "second_inbox": second_inbox,
        "team": team,
        "colleague": colleague,
    }


FILTER_CASES = [
    ({}, {"zipper", "refund", "exchange", "parcel"}),
    ({"status": "open"}, {"zipper"}),
    ({"status": ["pending", "snoozed"]}, {"refund", "exchange"}),
    ({"status": "resolved"}, {"parcel"}),
    ({"assignee": "me"}, {"zipper", "parcel"}),
    ({"assignee": "none"}, {"refund"}),
    ({"assignee": "<colleague>"}, {"exchange"}),
    ({"team": "<team>"}, {"zipper", "parcel"}),
    ({"inbox": "<api_inbox>"}, {"zipper", "exchange"}),
    ({"inbox": "<second_inbox>"}, {"refund"}),
    ({"store": "<store>"}, {"zipper", "refund", "exchange"}),
    ({"store": "<other_store>"}, {"parcel"}),
    ({"contact": "<zipper.contact>"}, {"zipper"}),
    ({"tag": "vip"}, {"zipper", "parcel"}),
    ({"tag": "VIP"}, {"zipper", "parcel"}),
    ({"tag": "refund"}, {"refund"}),
    ({"tag": "unknown"}, set()),
    ({"language": "hr"}, {"zipper", "parcel"}),
    ({"language": "de"}, {"exchange"}),
    ({"priority": 3}, {"zipper"}),
    ({"priority": 0}, {"exchange"}),
    ({"priority": 1}, {"refund"}),
    ({"q": "zipper"}, {"zipper"}),
    ({"q": "ZIPPER"}, {"zipper"}),
    ({"q": "bob brown"}, {"refund"}),
    ({"q": "carol@example"}, {"exchange"}),
    ({"q": "no such thing"}, set()),
    ({"status": "open", "assignee": "me"}, {"zipper"}),
    ({"store": "<store>", "tag": "vip"}, {"zipper"}),
    ({"assignee": "me", "status": ["resolved"], "language": "hr"}, {"parcel"}),
]


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES)
def test_list_filters(api, dataset, store, other_store, api_inbox, query, expected):
    refs = {
        "<colleague>": dataset["colleague"].pk,
        "<team>": dataset["team"].pk,
        "<api_inbox>": api_inbox.pk,
        "<second_inbox>": dataset["second_inbox"].pk,
        "<store>": store.pk,
        "<other_store>": other_store.pk,
        "<zipper.contact>": dataset["zipper"].contact_id,
    }
    params = {
        key: refs.get(value, value) if isinstance(value, str) else value
        for key, value in query.items()
    }
    by_id = {dataset[name].pk: name for name in ("zipper", "refund", "exchange", "parcel")}
    assert {by_id[i] for i in ids(api.get("", params))} == expected


def test_list_item_shape(api, dataset, agent):
    item = next(i for i in api.get().json()["items"] if i["id"] == dataset["zipper"].pk)
    zipper = dataset["zipper"]
    assert item["store_id"] == zipper.store_id
    assert item["inbox"] == {"id": zipper.inbox_id, "name": "API", "kind": "api"}
    assert item["contact"] == {
        "id": zipper.contact_id,
        "name": "Alice Adams",
        "email": "alice@example.com",
    }
    assert item["assignee"] == {"id": agent.pk, "name": str(agent)}
    assert item["team"] == {"id": dataset["team"].pk, "name": "Returns"}
    assert item["tags"] == ["vip"]
    assert (item["status"], item["priority"], item["language"]) == ("open", 3, "hr")
    assert item["subject"] == "Broken zipper"
    assert item["message_count"] == 1
    assert item["waiting_since"] is not None and item["snoozed_until"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "bogus"}, "query.status.0"),
        ({"assignee": "someone"}, "query.assignee"),
        ({"assignee": "-3"}, "query.assignee"),
        ({"assignee": "²"}, "query.assignee"),
        ({"assignee": str(2**64)}, "query.assignee"),
        ({"priority": 7}, "query.priority"),
        ({"team": 0}, "query.team"),
        ({"store": 2**64}, "query.store"),
        ({"inbox": "x"}, "query.inbox"),
        ({"contact": 2**70}, "query.contact"),
        ({"sort": "random"}, "query.sort"),
        ({"limit": 0}, "query.limit"),
        ({"limit": 201}, "query.limit"),
        ({"cursor": "not-a-cursor"}, "query.cursor"),
        ({"q": "a\x00b"}, "query.q"),
    ],
)
def test_list_rejects_bad_parameters_naming_them(api, params, field):
    assert_error(api.get("", params), 422, "validation_error", field)


# --- List: sorts and cursor pagination ---------------------------------------------------


def _at(minutes: int) -> datetime:
    return datetime(2024, 5, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes)


@pytest.fixture
def sortable(api_inbox):
    """Five conversations with controlled times and priorities, keyed by name."""
    layout = {
        # name: (created, updated, waiting_since, priority)
        "a": (_at(0), _at(50), _at(30), 1),
        "b": (_at(10), _at(20), None, 3),
        "c": (_at(20), _at(40), _at(10), 1),
        "d": (_at(30), _at(10), _at(20), 3),
        "e": (_at(40), _at(30), None, 0),
    }
    rows = {}
    for name, (created, updated, waiting, priority) in layout.items():
        conversation = receive(api_inbox, f"conversation {name}", email=f"{name}@example.com")
        Conversation.objects.filter(pk=conversation.pk).update(
            created_at=created, updated_at=updated, waiting_since=waiting, priority=priority
        )
        rows[name] = conversation.pk
    return rows


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, "cdabe"),  # the default: waiting longest first, not waiting last
        ("waiting", "cdabe"),
        ("newest", "edcba"),
        ("oldest", "abcde"),
        ("updated", "acebd"),
        ("priority", "dbcae"),
    ],
)
def test_list_sorts(api, sortable, sort, expected):
    params = {} if sort is None else {"sort": sort}
    names = {pk: name for name, pk in sortable.items()}
    assert "".join(names[i] for i in ids(api.get("", params))) == expected


@pytest.fixture
def crowd(api_inbox, other_api_inbox):
    """23 conversations whose sort keys collide often, so pages split inside ties."""
    base = _at(0)
    pks = []
    for index in range(23):
        inbox = other_api_inbox if index % 5 == 0 else api_inbox
        conversation = receive(inbox, f"crowd {index}", email=f"crowd{index}@example.com")
        Conversation.objects.filter(pk=conversation.pk).update(
            created_at=base + timedelta(minutes=index // 4),
            updated_at=base + timedelta(minutes=index % 3),
            waiting_since=None if index % 4 == 0 else base + timedelta(minutes=index % 3),
            priority=index % 4,
            status=S.PENDING if index % 2 else S.OPEN,
        )
        pks.append(conversation.pk)
    return pks


def _walk(api, params: dict, limit: int) -> tuple[list[int], int]:
    seen, pages, cursor = [], 0, None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = api.get("", query)
        body = response.json()
        assert response.status_code == 200, body
        assert len(body["items"]) <= limit
        seen.extend(item["id"] for item in body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages
        assert len(body["items"]) == limit  # only the last page may be short
        assert pages < 100


@pytest.mark.parametrize("sort", ["waiting", "newest", "oldest", "updated", "priority"])
@pytest.mark.parametrize("limit", [1, 4, 7])
def test_cursor_pages_cover_everything_once_in_order(api, crowd, sort, limit):
    single_page = ids(api.get("", {"sort": sort, "limit": 200}))
    assert sorted(single_page) == sorted(crowd)
    walked, pages = _walk(api, {"sort": sort}, limit)
    assert len(walked) == len(set(walked)), "a conversation appeared twice"
    assert walked == single_page, "pages skipped or reordered conversations"
    assert pages == -(-len(crowd) // limit)


def test_cursor_pages_respect_filters(api, crowd, store):
    walked, _ = _walk(api, {"status": "pending", "store": store.pk, "sort": "priority"}, 3)
    expected = set(
        Conversation.objects.filter(status=S.PENDING, store=store).values_list("id", flat=True)
    )
    assert len(walked) == len(set(walked))
    assert set(walked) == expected


def test_a_full_last_page_has_no_cursor(api, crowd):
    # 23 rows, limit 23: one full page and no cursor (no empty trailing page).
    body = api.get("", {"limit": 23}).json()
    assert len(body["items"]) == 23 and body["next_cursor"] is None


def test_cursor_of_another_sort_is_refused(api, crowd):
    cursor = api.get("", {"sort": "priority", "limit": 2}).json()["next_cursor"]
    assert cursor
    response = api.get("", {"sort": "newest", "cursor": cursor})
    assert_error(response, 422, "validation_error", "query.cursor")


def _cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "values",
    [[None, 2**70], [-(2**70), 1], ["2020-01-01T00:00:00+00:00", 2**64], [None, "1"], [1]],
)
def test_tampered_cursors_never_crash(api, crowd, values):
    response = api.get("", {"cursor": _cursor(values)})
    assert response.status_code in (200, 422), response.content
    if response.status_code == 422:
        assert response.json()["error"]["field"] == "query.cursor"


@pytest.mark.parametrize(
    "moment",
    ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+05:00", "2024-05-01T09:00:00"],
    ids=["year-9999", "year-1", "naive"],
)
def test_cursor_with_an_impossible_time_is_refused(api, crowd, moment):
    response = api.get("", {"sort": "waiting", "cursor": _cursor([moment, 1])})
    assert_error(response, 422, "validation_error", "query.cursor")


# --- Get ---------------------------------------------------------------------------------


def test_get_conversation(api, api_inbox):
    conversation = receive(api_inbox, "Where is my order?")
    response = api.get(f"/{conversation.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == conversation.pk
    assert body["subject"] == "Where is my order?"
    assert body["status"] == "open" and body["message_count"] == 1
    assert body["contact"]["email"] == "ana@example.com"


def test_get_unknown_conversation_is_404(api):
    assert_error(api.get("/987654"), 404, "not_found")


def test_get_with_a_non_numeric_id_is_a_json_422(api):
    assert_error(api.get("/abc"), 422, "validation_error", "path.conversation_id")


# --- Create through the api inbox --------------------------------------------------------


def test_create_posts_a_customer_message_into_a_new_conversation(api, api_inbox):
    body = {
        "inbox_id": api_inbox.pk,
        "contact": {"email": "Mia@Example.com", "name": "Mia"},
        "subject": "Order FA-1",
        "text": "Where is my order?",
        "external_id": "shop-msg-1",
    }
    response = api.post("", body)
    assert response.status_code == 201, response.content
    message = response.json()
    assert message["kind"] == "inbound" and message["sender_type"] == "contact"
    assert message["text"] == "Where is my order?"
    assert message["external_id"] == "shop-msg-1"
    assert message["delivery_status"] == "received"
    conversation = Conversation.objects.get(pk=message["conversation_id"])
    assert conversation.subject == "Order FA-1"
    assert conversation.contact.email == "mia@example.com"
    assert message["sender"] == {"id": conversation.contact_id, "name": "Mia"}


def test_create_is_idempotent_on_external_id(api, api_inbox):
    body = {
        "inbox_id": api_inbox.pk,
        "contact": {"external_id": "customer-7"},
        "text": "Hello",
        "external_id": "ext-42",
    }
    first = api.post("", body)
    second = api.post("", body)
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert Message.objects.filter(inbox=api_inbox).count() == 1
    assert Conversation.objects.get().message_count == 1


def test_create_without_external_id_threads_into_the_open_conversation(api, api_inbox):
    body = {"inbox_id": api_inbox.pk, "contact": {"phone": "+385 91 000"}, "text": "One"}
    first = api.post("", body)
    second = api.post("", {**body, "text": "Two"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["conversation_id"] == second.json()["conversation_id"]
    assert Conversation.objects.get().message_count == 2


def test_create_with_base64_attachments(api, api_inbox, b64, agent):
    body = {
        "inbox_id": api_inbox.pk,
        "contact": {"email": "ana@example.com"},
        "text": "The invoice and a photo",
        "attachments": [
            {"filename": "invoice.pdf", "content_base64": b64(PDF)},
            {
                "filename": "notes.txt",
                "content_base64": b64(b"size M"),
                "content_type": "text/plain",
            },
        ],
    }
    response = api.post("", body)
    assert response.status_code == 201, response.content
    attachments = response.json()["attachments"]
    assert [a["filename"] for a in attachments] == ["invoice.pdf", "notes.txt"]
    assert attachments[0]["content_type"] == "application/pdf"
    assert attachments[0]["size"] == len(PDF)
    assert attachments[1]["content_type"] == "text/plain"
    download = api.client.get(attachments[0]["download_url"], **bearer(agent))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF


@pytest.mark.parametrize("bad_index", [0, 1])
def test_create_with_invalid_base64_names_the_attachment(api, api_inbox, b64, bad_index):
    attachments = [
        {"filename": "a.txt", "content_base64": b64(b"fine")},
        {"filename": "b.txt", "content_base64": b64(b"fine")},
    ]
    attachments[bad_index]["content_base64"] = "not base64!"
    body = {
        "inbox_id": api_inbox.pk,
        "contact": {"email": "ana@example.com"},
        "text": "x",
        "attachments": attachments,
    }
    assert_error(
        api.post("", body),
        422,
        "validation_error",
        f"body.attachments.{bad_index}.content_base64",
    )
    assert not Message.objects.exists() and not Attachment.objects.exists()


def test_create_with_an_oversized_attachment_names_it(api, api_inbox, b64, settings):
    settings.ATTACHMENT_MAX_BYTES = 4
    body = {
        "inbox_id": api_inbox.pk,
        "contact": {"email": "ana@example.com"},
        "text": "x",
        "attachments": [
            {"filename": "small.txt", "content_base64": b64(b"ok")},
            {"filename": "big.txt", "content_base64": b64(b"too large")},
        ],
    }
    assert_error(api.post("", body), 422, "validation_error", "body.attachments.1")
    assert not Message.objects.exists()


def test_create_into_a_webform_inbox_is_refused(api, store):
    webform = make_inbox(store, "webform", "Contact form")
    body = {"inbox_id": webform.pk, "contact": {"email": "ana@example.com"}, "text": "x"}
    assert_error(api.post("", body), 422, "validation_error", "body.inbox_id")
    assert not Message.objects.exists()


def test_create_into_a_disabled_inbox_is_refused(api, api_inbox):
    api_inbox.is_active = False
    api_inbox.save()
    body = {"inbox_id": api_inbox.pk, "contact": {"email": "ana@example.com"}, "text": "x"}
    assert_error(api.post("", body), 422, "validation_error", "body.inbox_id")


def test_create_into_an_unknown_inbox_is_404(api):
    body = {"inbox_id": 424242, "contact": {"email": "ana@example.com"}, "text": "x"}
    assert_error(api.post("", body), 404, "not_found")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"contact": {"name": "Nobody"}}, "body.contact"),
        ({"text": ""}, "body.text"),
        ({"text": None}, "body.text"),
        ({"text": "x" * 100_001}, "body.text"),
        ({"text": "a\x00b"}, "body.text"),
        ({"contact": {"email": "ana@example.com", "name": "A\x00"}}, "body.contact.name"),
        ({"inbox_id": "first"}, "body.inbox_id"),
        ({"attachments": [{"filename": "", "content_base64": ""}]}, "body.attachments.0.filename"),
    ],
)
def test_create_validation_errors_name_the_field(api, api_inbox, change, field):
    body = {"inbox_id": api_inbox.pk, "contact": {"email": "ana@example.com"}, "text": "x"}
    body.update(change)
    if body["text"] is None:
        del body["text"]
    assert_error(api.post("", body), 422, "validation_error", field)
    assert not Message.objects.exists()


# --- Messages ----------------------------------------------------------------------------


@pytest.fixture
def thread(api_inbox, agent):
    """A conversation with an inbound message, a note and a reply (oldest first)."""
    conversation = receive(api_inbox, "First question", external_id="in-1")
    services.note_add(conversation=conversation, author=agent, text="Check the warehouse")
    services.message_send(conversation=conversation, author=agent, text="On its way")
    return conversation


def test_messages_oldest_first(api, thread, agent):
    response = api.get(f"/{thread.pk}/messages")
    assert response.status_code == 200
    body = response.json()
    assert [(m["kind"], m["text"]) for m in body["items"]] == [
        ("inbound", "First question"),
        ("note", "Check the warehouse"),
        ("outbound", "On its way"),
    ]
    assert body["next_after_id"] is None
    assert body["items"][1]["sender"] == {"id": agent.pk, "name": str(agent)}
    assert body["items"][0]["external_id"] == "in-1"


def test_messages_after_id_and_paging(api, thread):
    all_ids = [m["id"] for m in api.get(f"/{thread.pk}/messages").json()["items"]]
    newer = api.get(f"/{thread.pk}/messages", {"after_id": all_ids[0]}).json()
    assert [m["id"] for m in newer["items"]] == all_ids[1:]
    assert api.get(f"/{thread.pk}/messages", {"after_id": all_ids[-1]}).json() == {
        "items": [],
        "next_after_id": None,
    }
    first_page = api.get(f"/{thread.pk}/messages", {"limit": 2}).json()
    assert [m["id"] for m in first_page["items"]] == all_ids[:2]
    assert first_page["next_after_id"] == all_ids[1]
    rest = api.get(f"/{thread.pk}/messages", {"limit": 2, "after_id": all_ids[1]}).json()
    assert [m["id"] for m in rest["items"]] == all_ids[2:]
    assert rest["next_after_id"] is None


def test_messages_of_an_unknown_conversation_is_404(api):
    assert_error(api.get("/555555/messages"), 404, "not_found")


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "query.limit"), ({"limit": 501}, "query.limit"), ({"after_id": "x"}, None)],
)
def test_messages_bad_parameters(api, thread, params, field):
    field = field or "query.after_id"
    assert_error(api.get(f"/{thread.pk}/messages", params), 422, "validation_error", field)


def test_reply_is_queued_then_delivered_and_stops_the_wait(api, api_inbox, agent):
    conversation = receive(api_inbox)
    assert conversation.waiting_since is not None
    with committed_events() as events:
        response = api.post(f"/{conversation.pk}/messages", {"text": "We are on it"})
    assert response.status_code == 201, response.content
    reply = response.json()
    assert reply["kind"] == "outbound" and reply["sender_type"] == "agent"
    assert reply["sender"] == {"id": agent.pk, "name": str(agent)}
    assert reply["delivery_status"] == "queued"
    assert [e.name for e in events if e.name.startswith("message.")] == [
        "message.created",
        "message.delivery_changed",
    ]
    assert Message.objects.get(pk=reply["id"]).delivery_status == "sent"
    conversation.refresh_from_db()
    assert conversation.waiting_since is None and conversation.first_response_at is not None
    assert conversation.message_count == 2


def test_note_is_internal_and_does_not_answer_the_customer(api, api_inbox, agent):
    conversation = receive(api_inbox)
    with committed_events():
        response = api.post(f"/{conversation.pk}/messages", {"kind": "note", "text": "VIP"})
    assert response.status_code == 201, response.content
    note = response.json()
    assert note["kind"] == "note" and note["delivery_status"] == "n/a"
    assert Message.objects.get(pk=note["id"]).delivery_status == "n/a"
    conversation.refresh_from_db()
    assert conversation.waiting_since is not None and conversation.first_response_at is None


def test_note_with_attachment(api, api_inbox, b64):
    conversation = receive(api_inbox)
    body = {
        "kind": "note",
        "text": "label",
        "attachments": [{"filename": "label.pdf", "content_base64": b64(PDF)}],
    }
    response = api.post(f"/{conversation.pk}/messages", body)
    assert response.status_code == 201, response.content
    assert [a["filename"] for a in response.json()["attachments"]] == ["label.pdf"]


def test_client_key_makes_retries_safe(api, api_inbox):
    conversation = receive(api_inbox)
    body = {"text": "Refund issued", "client_key": "ui-123"}
    first = api.post(f"/{conversation.pk}/messages", body)
    second = api.post(f"/{conversation.pk}/messages", body)
    assert first.status_code == second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert Message.objects.filter(conversation=conversation, kind="outbound").count() == 1
    conversation.refresh_from_db()
    assert conversation.message_count == 2
    # The same key in another conversation is another message.
    other = receive(api_inbox, email="someone@example.com")
    third = api.post(f"/{other.pk}/messages", body)
    assert third.status_code == 201 and third.json()["id"] != first.json()["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "body.text"),
        ({"text": "   "}, "body.text"),
        ({}, "body.text"),
        ({"text": "x", "kind": "system"}, "body.kind"),
        ({"text": "x", "client_key": ""}, "body.client_key"),
        ({"text": "x", "attachments": [{"filename": "a", "content_base64": "%%"}]}, None),
    ],
)
def test_message_validation_errors(api, api_inbox, body, field):
    conversation = receive(api_inbox)
    field = field or "body.attachments.0.content_base64"
    assert_error(api.post(f"/{conversation.pk}/messages", body), 422, "validation_error", field)
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_message_to_an_unknown_conversation_is_404(api):
    assert_error(api.post("/123456/messages", {"text": "x"}), 404, "not_found")


# --- Assignment --------------------------------------------------------------------------


def test_assign_and_unassign(api, api_inbox, agent):
    conversation = receive(api_inbox)
    colleague = AgentFactory(display_name="Iva Kovač")
    team = TeamFactory(name="Billing")
    response = api.post(
        f"/{conversation.pk}/assign", {"assignee_id": colleague.pk, "team_id": team.pk}
    )
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == {"id": colleague.pk, "name": "Iva Kovač"}
    assert response.json()["team"] == {"id": team.pk, "name": "Billing"}
    activity = ActivityEvent.objects.get(conversation=conversation, kind="assigned")
    assert activity.actor == agent

    # Omitted fields stay; null clears.
    response = api.post(f"/{conversation.pk}/assign", {"assignee_id": None})
    assert response.json()["assignee"] is None
    assert response.json()["team"] == {"id": team.pk, "name": "Billing"}
    response = api.post(f"/{conversation.pk}/assign", {"team_id": None})
    assert response.json()["team"] is None
    conversation.refresh_from_db()
    assert conversation.assignee_id is None and conversation.team_id is None


def test_assign_to_me_shows_in_the_me_filter(api, api_inbox, agent):
    conversation = receive(api_inbox)
    assert ids(api.get("", {"assignee": "me"})) == []
    api.post(f"/{conversation.pk}/assign", {"assignee_id": agent.pk})
    assert ids(api.get("", {"assignee": "me"})) == [conversation.pk]
    assert ids(api.get("", {"assignee": "none"})) == []


def test_assignee_who_may_not_see_the_store_is_refused(api, api_inbox, other_store):
    conversation = receive(api_inbox)
    outsider = AgentFactory(role=Role.RESTRICTED, stores=[other_store])
    response = api.post(f"/{conversation.pk}/assign", {"assignee_id": outsider.pk})
    assert_error(response, 422, "validation_error", "body.assignee_id")
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"assignee_id": 999_999}, "body.assignee_id"),
        ({"assignee_id": "<inactive>"}, "body.assignee_id"),
        ({"team_id": 999_999}, "body.team_id"),
        ({"assignee_id": "me"}, "body.assignee_id"),
    ],
)
def test_assign_validation_errors(api, api_inbox, body, field):
    conversation = receive(api_inbox)
    inactive = AgentFactory(is_active=False)
    body = {k: inactive.pk if v == "<inactive>" else v for k, v in body.items()}
    assert_error(api.post(f"/{conversation.pk}/assign", body), 422, "validation_error", field)


# --- Status ------------------------------------------------------------------------------


def test_status_lifecycle(api, api_inbox):
    conversation = receive(api_inbox)
    path = f"/{conversation.pk}/status"
    assert api.post(path, {"status": "pending"}).json()["status"] == "pending"
    resolved = api.post(path, {"status": "resolved"}).json()
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"] is not None and resolved["waiting_since"] is None
    reopened = api.post(path, {"status": "open"}).json()
    assert reopened["status"] == "open"
    assert reopened["reopened_count"] == 1 and reopened["resolved_at"] is None
    # Setting the current status again changes nothing.
    again = api.post(path, {"status": "open"})
    assert again.status_code == 200 and again.json()["reopened_count"] == 1


def test_invalid_transition_is_409(api, api_inbox):
    conversation = receive(api_inbox)
    services.conversation_set_status(conversation=conversation, status=S.RESOLVED, actor=None)
    response = api.post(f"/{conversation.pk}/status", {"status": "pending"})
    assert_error(response, 409, "invalid_transition", "body.status")
    conversation.refresh_from_db()
    assert conversation.status == S.RESOLVED


def test_snooze_and_move_the_wake_up_time(api, api_inbox):
    conversation = receive(api_inbox)
    path = f"/{conversation.pk}/status"
    later = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    response = api.post(path, {"status": "snoozed", "snooze_until": later.isoformat()})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "snoozed"
    assert datetime.fromisoformat(response.json()["snoozed_until"]) == later
    # A naive time is read as UTC; snoozing a snoozed conversation moves the wake-up time.
    naive = (later + timedelta(hours=5)).astimezone(UTC).replace(tzinfo=None)
    response = api.post(path, {"status": "snoozed", "snooze_until": naive.isoformat()})
    assert datetime.fromisoformat(response.json()["snoozed_until"]) == later + timedelta(hours=5)
    opened = api.post(path, {"status": "open"}).json()
    assert opened["status"] == "open" and opened["snoozed_until"] is None


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"status": "snoozed"}, 422, "validation_error", "body.snooze_until"),
        (
            {"status": "snoozed", "snooze_until": "2001-01-01T00:00:00Z"},
            422,
            "validation_error",
            "body.snooze_until",
        ),
        (
            {"status": "snoozed", "snooze_until": "9999-12-31T23:00:00-12:00"},
            422,
            "validation_error",
            "body.snooze_until",
        ),
        (
            {"status": "snoozed", "snooze_until": "0001-01-01T00:00:00+05:00"},
            422,
            "validation_error",
            "body.snooze_until",
        ),
        ({"status": "snoozed", "snooze_until": "tomorrow"}, 422, "validation_error", None),
        ({"status": "closed"}, 422, "validation_error", "body.status"),
        ({}, 422, "validation_error", "body.status"),
    ],
)
def test_status_errors(api, api_inbox, body, status, code, field):
    conversation = receive(api_inbox)
    field = field or "body.snooze_until"
    assert_error(api.post(f"/{conversation.pk}/status", body), status, code, field)
    conversation.refresh_from_db()
    assert conversation.status == S.OPEN and conversation.snoozed_until is None


# --- Tags --------------------------------------------------------------------------------


def test_tags_add_and_remove(api, api_inbox):
    conversation = receive(api_inbox)
    path = f"/{conversation.pk}/tags"
    response = api.post(path, {"add": ["VIP", "  Needs   Reply ", ""]})
    assert response.status_code == 200
    assert response.json() == {"tags": ["needs reply", "vip"]}
    assert api.post(path, {"remove": ["Vip", "not-there"]}).json() == {"tags": ["needs reply"]}
    # Adding and removing the same tag keeps it.
    assert api.post(path, {"add": ["x"], "remove": ["x"]}).json() == {"tags": ["needs reply", "x"]}
    assert api.get(f"/{conversation.pk}").json()["tags"] == ["needs reply", "x"]
    assert ids(api.get("", {"tag": "needs reply"})) == [conversation.pk]


def test_tags_are_per_store(api, api_inbox, other_api_inbox):
    here = receive(api_inbox)
    there = receive(other_api_inbox)
    api.post(f"/{here.pk}/tags", {"add": ["vip"]})
    api.post(f"/{there.pk}/tags", {"add": ["vip"]})
    assert set(ids(api.get("", {"tag": "vip"}))) == {here.pk, there.pk}
    assert ids(api.get("", {"tag": "vip", "store": here.store_id})) == [here.pk]


def test_tag_filter_matches_the_name_tags_were_added_with(api, api_inbox):
    conversation = receive(api_inbox)
    api.post(f"/{conversation.pk}/tags", {"add": ["Needs  Reply"]})
    assert ids(api.get("", {"tag": "Needs  Reply"})) == [conversation.pk]


@pytest.mark.parametrize("raw", [b"false", b"[null]", b'["vip"]'])
def test_tags_body_must_be_an_object(api, api_inbox, raw):
    conversation = receive(api_inbox)
    response = api.client.generic(
        "POST",
        f"{BASE}/{conversation.pk}/tags",
        raw,
        content_type="application/json",
        **api.headers,
    )
    assert_error(response, 422, "validation_error", "body")


def test_tags_validation(api, api_inbox):
    conversation = receive(api_inbox)
    response = api.post(f"/{conversation.pk}/tags", {"add": "vip"})
    assert_error(response, 422, "validation_error", "body.add")
    response = api.post(f"/{conversation.pk}/tags", {"add": [str(i) for i in range(51)]})
    assert_error(response, 422, "validation_error", "body.add")
    assert conversation.tags.count() == 0
