"""Who may call what on which store's objects: a role × operation × object matrix.

The operations come from the API's OpenAPI schema and URL patterns, so a new endpoint makes
``test_every_api_operation_is_in_the_matrix`` fail until its access rule is written down here.

Store A is the restricted agent's store; store B holds "canary" objects whose names and texts
contain :data:`CANARY`. Whatever a restricted agent calls, no response may contain the canary
or a store-B object.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver

from storedesk.accounts.enums import Role
from storedesk.accounts.services import api_token_create, api_token_revoke
from storedesk.commerce.models import Order
from storedesk.config import urls as project_urls
from storedesk.contacts.models import Contact
from storedesk.conversations import services as conversation_services
from storedesk.conversations.models import Attachment, Conversation
from storedesk.core.api import api
from storedesk.core.testing import (
    AgentFactory,
    ContactFactory,
    TeamFactory,
    bearer,
    inbound,
    make_inbox,
)
from storedesk.inboxes.adapters.base import InboundAttachment
from storedesk.stores.models import Store

pytestmark = pytest.mark.django_db

CANARY = "CANARY-7f3a"
PREFIX = "/api/v1"

ROLES = ("anonymous", "restricted", "agent", "supervisor", "admin")
# The restricted agent again, signed in to the browser session instead of using a token.
SESSION_ROLE = "restricted_session"
# Credentials that must count as none at all.
BAD_CREDENTIALS = ("invalid_token", "revoked_token", "inactive_agent", "basic_auth")
SCOPES = ("A", "B")

OBJECT = "object"  # acts on one object of the scope's store: out of scope is 404
LIST = "list"  # lists what the caller may see: out of scope is an empty result, never 404
PUBLIC = "public"  # no authentication; the path's public token identifies the object
REPORT = "report"  # administrators and supervisors only (every other role: 403)


# --- The world ---------------------------------------------------------------------------


@dataclasses.dataclass
class Objects:
    """One store's objects that the matrix operates on."""

    store: Store
    inbox: object
    webform: object
    contact: Contact
    merge_source: Contact
    conversation: Conversation
    attachment: Attachment
    order: Order
    local_agent: object  # a restricted agent of this store only


def _objects(store: Store, label: str) -> Objects:
    inbox = make_inbox(store, "api", f"{label} API")
    webform = make_inbox(store, "webform", f"{label} form")
    contact = ContactFactory(
        store=store, name=f"{label} Customer", email=f"{label.lower()}-customer@example.com"
    )
    merge_source = ContactFactory(store=store, name=f"{label} Duplicate")
    message = conversation_services.message_receive(
        inbox=inbox,
        inbound=_inbound(contact, f"{label} needs help with order {label}-1", label),
    )
    conversation = message.conversation
    conversation_services.note_add(
        conversation=conversation, author=None, text=f"{label} internal note"
    )
    conversation_services.conversation_tag(
        conversation=conversation, actor=None, add=[f"{label} tag"]
    )
    local_agent = AgentFactory(
        username=f"{label.lower()}-only", display_name=f"{label} Local", role=Role.RESTRICTED
    )
    local_agent.stores.set([store])
    order = Order.objects.create(
        store=store,
        contact=contact,
        external_id=f"{label}-order",
        number=f"{label}-1",
        customer_email=contact.email,
        status="paid",
        total=Decimal("10.00"),
        currency="EUR",
        line_items=[{"sku": label, "name": f"{label} item", "quantity": 1, "price": "10.00"}],
        placed_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    return Objects(
        store=store,
        inbox=inbox,
        webform=webform,
        contact=contact,
        merge_source=merge_source,
        conversation=conversation,
        attachment=message.attachments.get(),
        order=order,
        local_agent=local_agent,
    )


def _inbound(contact: Contact, text: str, label: str):
    return dataclasses.replace(
        inbound(text, email=contact.email, name=contact.name),
        subject=f"{label} subject",
        attachments=(InboundAttachment(filename=f"{label}-receipt.txt", content=b"receipt"),),
    )


@pytest.fixture
def world(store, other_store, restricted_agent):
    """Store A (the restricted agent's) and store B, whose every text carries the canary."""
    other_store.name = f"Electronics {CANARY}"
    other_store.save()
    return {"A": _objects(store, "Fashion"), "B": _objects(other_store, CANARY)}


@pytest.fixture
def actors(restricted_agent):
    return {
        "restricted": restricted_agent,
        "agent": AgentFactory(username="in-house", role=Role.AGENT),
        "supervisor": AgentFactory(username="lead", role=Role.SUPERVISOR),
        "admin": AgentFactory(username="root", role=Role.ADMIN, is_superuser=True),
    }


def credentials(role: str, actors: dict) -> tuple[dict, object | None]:
    """Request headers for ``role`` and the agent they authenticate (None if nobody)."""
    if role == SESSION_ROLE:
        return {}, actors["restricted"]
    if role in actors:
        return bearer(actors[role]), actors[role]
    if role == "anonymous":
        return {}, None
    if role == "invalid_token":
        return {"HTTP_AUTHORIZATION": "Bearer sdk_0123456789ab_not-a-real-secret"}, None
    if role == "revoked_token":
        token, secret = api_token_create(agent=actors["admin"])
        api_token_revoke(token=token, actor=actors["admin"])
        return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}, None
    if role == "inactive_agent":
        former = AgentFactory(username="former", role=Role.ADMIN, is_superuser=True)
        headers = bearer(former)
        former.is_active = False
        former.save()
        return headers, None
    if role == "basic_auth":
        secret = base64.b64encode(b"root:pw-for-tests").decode()
        return {"HTTP_AUTHORIZATION": f"Basic {secret}"}, None
    raise AssertionError(role)


# --- The operations ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict | None = None
    params: dict | None = None


@dataclasses.dataclass(frozen=True)
class Operation:
    kind: str
    ok: int
    # (objects of the scope, the acting agent or None, whether the call is for scope A) -> Call
    build: Callable[[Objects, object, bool], Call]
    # For lists: how to find the scope's objects in a 200 answer.
    listed: Callable[[Objects], set[int]] | None = None


def _conv(o: Objects) -> str:
    return f"{PREFIX}/conversations/{o.conversation.pk}"


def _contact(o: Objects) -> str:
    return f"{PREFIX}/contacts/{o.contact.pk}"


def _me(o: Objects, actor) -> int:
    return actor.pk if actor is not None else o.local_agent.pk


OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/api/v1/conversations"): Operation(
        LIST,
        200,
        lambda o, actor, a: Call(
            "GET", f"{PREFIX}/conversations", params={} if a else {"store": o.store.pk}
        ),
        listed=lambda o: {o.conversation.pk},
    ),
    ("POST", "/api/v1/conversations"): Operation(
        OBJECT,
        201,
        lambda o, actor, a: Call(
            "POST",
            f"{PREFIX}/conversations",
            body={"inbox_id": o.inbox.pk, "contact": {"email": "new@example.com"}, "text": "Hi"},
        ),
    ),
    ("GET", "/api/v1/conversations/{conversation_id}"): Operation(
        OBJECT, 200, lambda o, actor, a: Call("GET", _conv(o))
    ),
    ("GET", "/api/v1/conversations/{conversation_id}/messages"): Operation(
        OBJECT, 200, lambda o, actor, a: Call("GET", f"{_conv(o)}/messages")
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/messages"): Operation(
        OBJECT,
        201,
        lambda o, actor, a: Call(
            "POST", f"{_conv(o)}/messages", body={"kind": "note", "text": "seen"}
        ),
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/assign"): Operation(
        OBJECT,
        200,
        lambda o, actor, a: Call("POST", f"{_conv(o)}/assign", body={"assignee_id": _me(o, actor)}),
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/status"): Operation(
        OBJECT,
        200,
        lambda o, actor, a: Call("POST", f"{_conv(o)}/status", body={"status": "pending"}),
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/tags"): Operation(
        OBJECT,
        200,
        lambda o, actor, a: Call("POST", f"{_conv(o)}/tags", body={"add": ["checked"]}),
    ),
    ("GET", "/api/v1/contacts"): Operation(
        LIST,
        200,
        lambda o, actor, a: Call(
            "GET", f"{PREFIX}/contacts", params={} if a else {"store": o.store.pk}
        ),
        listed=lambda o: {o.contact.pk, o.merge_source.pk},
    ),
    ("POST", "/api/v1/contacts"): Operation(
        OBJECT,
        201,
        lambda o, actor, a: Call(
            "POST",
            f"{PREFIX}/contacts",
            body={"store_id": o.store.pk, "name": "New", "email": "new@example.com"},
        ),
    ),
    ("GET", "/api/v1/contacts/{contact_id}"): Operation(
        OBJECT, 200, lambda o, actor, a: Call("GET", _contact(o))
    ),
    ("PATCH", "/api/v1/contacts/{contact_id}"): Operation(
        OBJECT, 200, lambda o, actor, a: Call("PATCH", _contact(o), body={"notes": "called"})
    ),
    ("POST", "/api/v1/contacts/{contact_id}/merge"): Operation(
        OBJECT,
        200,
        lambda o, actor, a: Call(
            "POST", f"{_contact(o)}/merge", body={"source_id": o.merge_source.pk}
        ),
    ),
    ("GET", "/api/v1/contacts/{contact_id}/orders"): Operation(
        OBJECT, 200, lambda o, actor, a: Call("GET", f"{_contact(o)}/orders")
    ),
    ("GET", "/api/v1/inboxes"): Operation(
        LIST,
        200,
        lambda o, actor, a: Call(
            "GET", f"{PREFIX}/inboxes", params={} if a else {"store": o.store.pk}
        ),
        listed=lambda o: {o.inbox.pk, o.webform.pk},
    ),
    ("GET", "/api/v1/inboxes/{inbox_id}"): Operation(
        OBJECT, 200, lambda o, actor, a: Call("GET", f"{PREFIX}/inboxes/{o.inbox.pk}")
    ),
    ("GET", "/api/v1/stores"): Operation(
        LIST,
        200,
        lambda o, actor, a: Call("GET", f"{PREFIX}/stores"),
        listed=lambda o: {o.store.pk},
    ),
    ("GET", "/api/v1/stores/{store_id}"): Operation(
        OBJECT, 200, lambda o, actor, a: Call("GET", f"{PREFIX}/stores/{o.store.pk}")
    ),
    ("POST", "/api/v1/public/webform/{token}"): Operation(
        PUBLIC,
        201,
        lambda o, actor, a: Call(
            "POST",
            f"{PREFIX}/public/webform/{o.webform.public_token}",
            body={"email": "visitor@example.com", "message": "Hello"},
        ),
    ),
    **{
        ("GET", f"/api/v1/reports/{name}"): Operation(
            REPORT,
            200,
            lambda o, actor, a, name=name: Call(
                "GET", f"{PREFIX}/reports/{name}", params={} if a else {"store": o.store.pk}
            ),
        )
        for name in (
            "overview",
            "response-times",
            "resolution",
            "busiest-hours",
            "agents",
            "teams",
            "repeat-contacts",
            "complaints",
        )
    },
}

# The API's own views that are not operations of the schema.
NINJA_VIEWS = {"openapi.json", "docs", ""}
# Every top-level URL of the project and where its access rule is tested: a new one fails
# test_every_project_url_is_accounted_for until it is added here.
PROJECT_URLS = {
    "healthz": "core/tests/test_healthz_and_ws.py (public liveness probe, no data)",
    "api/v1/": "this matrix",
    "attachments/<int:attachment_id>/download": "this matrix",
    "attachments/inline/<str:token>": (
        "web/tests/test_email_views.py (a signed, expiring URL is the permission)"
    ),
    "i18n/setlang/": "Django's language switch (no data)",
    "i18n/catalog.js": "Django's JavaScript translation catalogue (no data)",
    "admin/": "Django admin (staff only)",
    "help/": (
        "the public help center (published translations of public articles only; another"
        " store's, internal and draft articles are 404): helpcenter/tests/test_public_pages.py"
    ),
    "": (
        "storedesk.web.urls: the web interface's own tests (the workspace's help center,"
        " helpcenter/...: web/tests/test_helpcenter_pages.py); the chat widget's public pages"
        " (inboxes/adapters/webchat/urls.py): inboxes/tests/test_webchat.py"
    ),
}


def send(client: Client, call: Call, headers: dict):
    if call.method == "GET":
        return client.get(call.path, call.params or {}, **headers)
    return client.generic(
        call.method,
        call.path,
        json.dumps(call.body or {}),
        content_type="application/json",
        **headers,
    )


def expected_status(operation: Operation, role: str, scope: str) -> int:
    if operation.kind == PUBLIC:
        return operation.ok
    if role not in ("restricted", SESSION_ROLE, "agent", "supervisor", "admin"):
        return 401
    if operation.kind == REPORT and role not in ("supervisor", "admin"):
        return 403
    if role in ("restricted", SESSION_ROLE) and scope == "B" and operation.kind == OBJECT:
        return 404
    return operation.ok


def store_ids_in(data) -> set[int]:
    """Every ``store_id`` anywhere in a JSON document."""
    found = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "store_id":
                found.add(value)
            found |= store_ids_in(value)
    elif isinstance(data, list):
        for item in data:
            found |= store_ids_in(item)
    return found


def list_items(data) -> list[dict]:
    return data["items"] if isinstance(data, dict) else data


def assert_no_canary(response, world) -> None:
    assert CANARY.lower() not in response.content.decode(errors="replace").lower()
    if response["Content-Type"].startswith("application/json"):
        assert store_ids_in(response.json()) <= {world["A"].store.pk}


# --- The matrix --------------------------------------------------------------------------


def test_every_api_operation_is_in_the_matrix():
    schema_operations = {
        (method.upper(), path)
        for path, methods in api.get_openapi_schema()["paths"].items()
        for method in methods
    }
    assert schema_operations == set(OPERATIONS), (
        "Describe the access rule of every API operation in OPERATIONS: "
        f"missing {sorted(schema_operations - set(OPERATIONS))}, "
        f"stale {sorted(set(OPERATIONS) - schema_operations)}"
    )


def _routes(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def test_every_api_url_pattern_is_an_operation_of_the_schema():
    schema_paths = set(api.get_openapi_schema()["paths"])
    urls, _app, _namespace = api.urls
    for route in _routes(urls):
        if route in NINJA_VIEWS:
            continue
        path = f"{PREFIX}/{route}"
        for converter in ("int:", "str:", "path:", "slug:", "uuid:"):
            path = path.replace(f"<{converter}", "<")
        path = path.replace("<", "{").replace(">", "}")
        assert path in schema_paths, f"{route} is served but not in the schema (or the matrix)"


def test_every_project_url_is_accounted_for():
    routes = {str(pattern.pattern) for pattern in project_urls.urlpatterns}
    assert routes == set(PROJECT_URLS), (
        "A top-level URL was added or removed: say in PROJECT_URLS where its access is tested"
    )


@pytest.mark.parametrize("role", (*ROLES, SESSION_ROLE, *BAD_CREDENTIALS))
@pytest.mark.parametrize(
    "operation_key", sorted(OPERATIONS), ids=lambda key: f"{key[0]} {key[1][len(PREFIX) :]}"
)
def test_matrix(world, actors, operation_key, role):
    """One operation, one role, on the objects of store A and then of store B."""
    operation = OPERATIONS[operation_key]
    headers, actor = credentials(role, actors)
    client = Client()
    if role == SESSION_ROLE:
        client.force_login(actor)
    for scope in SCOPES:
        call = operation.build(world[scope], actor, scope == "A")
        response = send(client, call, headers)
        check(operation, role, scope, call, response, world)


def check(operation: Operation, role: str, scope: str, call: Call, response, world) -> None:
    where = f"{call.method} {call.path} {call.params or ''} as {role} on store {scope}"
    expected = expected_status(operation, role, scope)
    assert response.status_code == expected, (where, response.content)
    assert response["Content-Type"].startswith("application/json"), where
    body = response.json()
    if expected == 401:
        assert body["error"]["code"] == "unauthorized", where
    elif expected == 404:
        assert body["error"]["code"] == "not_found", where
    elif expected == 403:
        assert body["error"]["code"] == "permission_denied", where

    if role in ("restricted", SESSION_ROLE):
        assert CANARY.lower() not in response.content.decode().lower(), where
        assert store_ids_in(body) <= {world["A"].store.pk}, where
        if operation.kind == LIST:
            listed = {item["id"] for item in list_items(body)}
            assert not listed & operation.listed(world["B"]), f"{where}: store B listed"
            if call.params:
                assert listed == set(), f"{where}: a filter on store B found something"
            else:
                assert operation.listed(world["A"]) <= listed, f"{where}: store A missing"
    elif expected == operation.ok and operation.kind == LIST and not call.params:
        # Unrestricted roles see both stores: the canary is really there to be leaked.
        listed = {item["id"] for item in list_items(body)}
        assert operation.listed(world["A"]) | operation.listed(world["B"]) <= listed, where


@pytest.mark.parametrize("role", ["anonymous", "invalid_token", "restricted"])
def test_api_documentation_views(world, actors, role):
    headers, _ = credentials(role, actors)
    client = Client()
    schema = client.get(f"{PREFIX}/openapi.json", **headers)
    assert schema.status_code == 200 and "paths" in schema.json()
    assert client.get(f"{PREFIX}/docs", **headers).status_code == 200
    assert client.get(f"{PREFIX}/", **headers).status_code == 404
    assert CANARY not in schema.content.decode()


# --- Attachment download -----------------------------------------------------------------


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES + BAD_CREDENTIALS)
def test_attachment_download_with_a_token(world, actors, role, scope):
    headers, _ = credentials(role, actors)
    attachment = world[scope].attachment
    response = Client().get(f"/attachments/{attachment.pk}/download", **headers)
    if role not in actors:
        assert response.status_code == 302
        assert response["Location"].startswith(settings.LOGIN_URL)
    elif role == "restricted" and scope == "B":
        assert response.status_code == 404
        assert CANARY.lower() not in response.content.decode().lower()
    else:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"receipt"
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("scope", "status"), [("A", 200), ("B", 404)])
def test_attachment_download_with_a_session(world, restricted_agent, scope, status):
    client = Client()
    client.force_login(restricted_agent)
    response = client.get(f"/attachments/{world[scope].attachment.pk}/download")
    assert response.status_code == status


def test_attachment_download_of_an_inactive_session_redirects(world):
    former = AgentFactory(role=Role.ADMIN)
    client = Client()
    client.force_login(former)
    former.is_active = False
    former.save()
    response = client.get(f"/attachments/{world['A'].attachment.pk}/download")
    assert response.status_code == 302


# --- Restricted agents: filters and references into another store ------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/conversations", {"store": "B.store"}),
        ("/conversations", {"inbox": "B.inbox"}),
        ("/conversations", {"contact": "B.contact"}),
        ("/conversations", {"assignee": "B.local_agent"}),
        ("/conversations", {"tag": f"{CANARY} tag"}),
        ("/conversations", {"q": CANARY}),
        ("/contacts", {"store": "B.store"}),
        ("/contacts", {"q": CANARY}),
        ("/contacts", {"email": "B.contact.email"}),
        ("/inboxes", {"store": "B.store"}),
    ],
)
def test_restricted_filters_never_reach_another_store(world, restricted_agent, path, params):
    b = world["B"]
    conversation_services.conversation_assign(
        conversation=b.conversation, actor=None, assignee=b.local_agent
    )
    refs = {
        "B.store": b.store.pk,
        "B.inbox": b.inbox.pk,
        "B.contact": b.contact.pk,
        "B.local_agent": b.local_agent.pk,
        "B.contact.email": b.contact.email,
    }
    params = {key: refs.get(value, value) for key, value in params.items()}
    response = Client().get(f"{PREFIX}{path}", params, **bearer(restricted_agent))
    assert response.status_code == 200
    assert list_items(response.json()) == []
    # The same filter finds the object for an agent who may see store B.
    unrestricted = Client().get(f"{PREFIX}{path}", params, **bearer(AgentFactory()))
    assert len(list_items(unrestricted.json())) >= 1


def test_restricted_agent_cannot_assign_an_agent_of_another_store(world, restricted_agent):
    conversation = world["A"].conversation
    response = Client().post(
        f"{_conv(world['A'])}/assign",
        {"assignee_id": world["B"].local_agent.pk},
        content_type="application/json",
        **bearer(restricted_agent),
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "body.assignee_id"
    assert_no_canary(response, world)
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def test_nobody_can_assign_a_store_b_agent_to_a_store_a_conversation(world, actors):
    response = Client().post(
        f"{_conv(world['A'])}/assign",
        {"assignee_id": world["B"].local_agent.pk},
        content_type="application/json",
        **bearer(actors["admin"]),
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "body.assignee_id"


def test_restricted_agent_cannot_make_a_store_b_agent_dedicated(world, restricted_agent):
    headers = bearer(restricted_agent)
    create = Client().post(
        f"{PREFIX}/contacts",
        {"store_id": world["A"].store.pk, "dedicated_agent_id": world["B"].local_agent.pk},
        content_type="application/json",
        **headers,
    )
    assert create.status_code == 422
    assert create.json()["error"]["field"] == "body.dedicated_agent_id"
    patch = Client().patch(
        _contact(world["A"]),
        {"dedicated_agent_id": world["B"].local_agent.pk},
        content_type="application/json",
        **headers,
    )
    assert patch.status_code == 422
    assert patch.json()["error"]["field"] == "body.dedicated_agent_id"
    assert_no_canary(patch, world)


def test_restricted_agent_cannot_merge_across_stores_in_either_direction(world, restricted_agent):
    headers = bearer(restricted_agent)
    a, b = world["A"], world["B"]
    pull = Client().post(
        f"{_contact(a)}/merge",
        {"source_id": b.contact.pk},
        content_type="application/json",
        **headers,
    )
    push = Client().post(
        f"{_contact(b)}/merge",
        {"source_id": a.contact.pk},
        content_type="application/json",
        **headers,
    )
    assert (pull.status_code, push.status_code) == (404, 404)
    assert Contact.objects.filter(pk__in=[a.contact.pk, b.contact.pk]).count() == 2


def test_restricted_agent_cannot_post_into_another_stores_inbox(world, restricted_agent):
    before = Conversation.objects.filter(store=world["B"].store).count()
    response = Client().post(
        f"{PREFIX}/conversations",
        {"inbox_id": world["B"].inbox.pk, "contact": {"email": "x@example.com"}, "text": "x"},
        content_type="application/json",
        **bearer(restricted_agent),
    )
    assert response.status_code == 404
    assert Conversation.objects.filter(store=world["B"].store).count() == before


def test_restricted_agent_sees_a_store_once_it_is_granted(world, restricted_agent):
    headers = bearer(restricted_agent)
    path = _conv(world["B"])
    assert Client().get(path, **headers).status_code == 404
    restricted_agent.stores.add(world["B"].store)
    assert Client().get(path, **headers).status_code == 200
    restricted_agent.stores.remove(world["B"].store)
    assert Client().get(path, **headers).status_code == 404


# --- Authentication ----------------------------------------------------------------------


@pytest.fixture
def strict():
    """A browser-like client: Django enforces CSRF as it does for real requests."""
    return Client(enforce_csrf_checks=True)


def test_session_authenticates_reads(world, strict, agent):
    strict.force_login(agent)
    response = strict.get(f"{PREFIX}/conversations")
    assert response.status_code == 200
    assert len(response.json()["items"]) == 2


def test_session_writes_need_the_csrf_token(world, strict, agent):
    strict.force_login(agent)
    path = f"{_conv(world['A'])}/status"
    refused = strict.post(path, {"status": "pending"}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "http_error"
    world["A"].conversation.refresh_from_db()
    assert world["A"].conversation.status == "open"

    token = "a" * 32
    strict.cookies[settings.CSRF_COOKIE_NAME] = token
    wrong = strict.post(
        path, {"status": "pending"}, content_type="application/json", HTTP_X_CSRFTOKEN="b" * 32
    )
    assert wrong.status_code == 403
    accepted = strict.post(
        path, {"status": "pending"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "pending"


def test_bearer_token_needs_no_csrf_token(world, strict, agent):
    path = f"{_conv(world['A'])}/status"
    response = strict.post(
        path, {"status": "pending"}, content_type="application/json", **bearer(agent)
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer sdk_0123456789ab_not-a-real-secret"},
        {"HTTP_AUTHORIZATION": "Bearer "},
        {"HTTP_AUTHORIZATION": "Bearer sdk_ab\x01cd_x"},
        {"HTTP_AUTHORIZATION": "Token abc"},
    ],
    ids=["none", "invalid", "empty", "control-character", "other-scheme"],
)
def test_writes_without_valid_credentials_are_401_not_a_csrf_failure(world, strict, headers):
    response = strict.post(
        f"{_conv(world['A'])}/status",
        {"status": "pending"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_inactive_agents_session_is_401(world, strict):
    former = AgentFactory(role=Role.ADMIN)
    strict.force_login(former)
    former.is_active = False
    former.save()
    assert strict.get(f"{PREFIX}/conversations").status_code == 401
    assert strict.get(_conv(world["A"])).status_code == 401


def test_a_session_still_works_next_to_a_bad_token(world, strict, agent):
    strict.force_login(agent)
    response = strict.get(
        f"{PREFIX}/conversations", HTTP_AUTHORIZATION="Bearer sdk_0123456789ab_wrong"
    )
    assert response.status_code == 200


def test_token_stops_working_when_revoked_or_the_agent_is_deactivated(world):
    owner = AgentFactory(role=Role.AGENT)
    token, secret = api_token_create(agent=owner)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    path = f"{PREFIX}/conversations"
    assert Client().get(path, **headers).status_code == 200
    owner.is_active = False
    owner.save()
    assert Client().get(path, **headers).status_code == 401
    owner.is_active = True
    owner.save()
    assert Client().get(path, **headers).status_code == 200
    api_token_revoke(token=token, actor=owner)
    assert Client().get(path, **headers).status_code == 401


def test_team_changes_are_open_to_every_role_that_may_see_the_store(world, actors):
    # Teams are global; any agent who may see the conversation may set its team.
    team = TeamFactory(name="Escalations")
    for role in ("restricted", "agent", "supervisor", "admin"):
        response = Client().post(
            f"{_conv(world['A'])}/assign",
            {"team_id": team.pk},
            content_type="application/json",
            **bearer(actors[role]),
        )
        assert response.status_code == 200, (role, response.content)
        assert response.json()["team"] == {"id": team.pk, "name": "Escalations"}
