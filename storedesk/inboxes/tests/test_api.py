"""``/api/v1/inboxes`` and the public contact-form endpoint
``/api/v1/public/webform/{token}``."""

from __future__ import annotations

import pytest
from django.test import Client

from storedesk.contacts.models import Contact
from storedesk.conversations.models import Conversation, Message
from storedesk.core.testing import assert_api_error, bearer, make_inbox
from storedesk.inboxes.services import inbox_rotate_public_token, inbox_update

pytestmark = pytest.mark.django_db


assert_error = assert_api_error


@pytest.fixture
def get(agent):
    client, headers = Client(), bearer(agent)
    return lambda path, params=None: client.get(f"/api/v1/inboxes{path}", params or {}, **headers)


# --- Inboxes -----------------------------------------------------------------------------


@pytest.fixture
def inboxes(store, other_store, api_inbox, other_api_inbox):
    webform = make_inbox(store, "webform", "Contact form")
    return {"api": api_inbox, "webform": webform, "other": other_api_inbox}


def test_list_inboxes_by_store_then_name(get, inboxes, store, other_store):
    response = get("")
    assert response.status_code == 200
    assert [(i["store_id"], i["name"]) for i in response.json()] == [
        (store.pk, "API"),
        (store.pk, "Contact form"),
        (other_store.pk, "Other API"),
    ]
    assert [i["id"] for i in get("", {"store": other_store.pk}).json()] == [inboxes["other"].pk]
    assert get("", {"store": 987654}).json() == []


@pytest.mark.parametrize("value", [0, -1, 2**64, "first"])
def test_list_inboxes_rejects_bad_store_filter(get, value):
    assert_error(get("", {"store": value}), 422, "validation_error", "query.store")


def test_get_inbox_never_exposes_its_secrets(get, inboxes):
    api_inbox = inboxes["api"]
    secret = api_inbox.config["webhook_secret"]
    response = get(f"/{api_inbox.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": api_inbox.pk,
        "store_id": api_inbox.store_id,
        "kind": "api",
        "name": "API",
        "is_active": True,
        "reopen_window_days": 7,
        "address": None,
        "created_at": body["created_at"],
    }
    assert secret not in response.content.decode()
    assert api_inbox.public_token not in response.content.decode()
    assert secret not in get("").content.decode()


def test_get_inbox_errors(get):
    assert_error(get("/123123"), 404, "not_found")
    assert_error(get("/api"), 422, "validation_error", "path.inbox_id")


def test_disabled_inboxes_are_listed_as_such(get, inboxes):
    inbox_update(inbox=inboxes["webform"], actor=None, is_active=False)
    listed = {i["id"]: i["is_active"] for i in get("").json()}
    assert listed[inboxes["webform"].pk] is False


# --- Public contact form -----------------------------------------------------------------


@pytest.fixture
def webform(store):
    return make_inbox(store, "webform", "Contact form")


def submit(token: str, body: dict, client: Client | None = None):
    return (client or Client()).post(
        f"/api/v1/public/webform/{token}", body, content_type="application/json"
    )


def test_webform_submission_creates_a_conversation(webform):
    body = {
        "name": "Ana Horvat",
        "email": "Ana@Example.com",
        "subject": "Wrong size",
        "message": "I got an M instead of an L.",
        "order_number": "FA-1001",
    }
    response = submit(webform.public_token, body)
    assert response.status_code == 201, response.content
    assert response.json() == {
        "ok": True,
        "message": "Thank you! We have received your message and will reply by email.",
    }
    conversation = Conversation.objects.get()
    assert conversation.inbox == webform and conversation.subject == "Wrong size"
    assert conversation.contact.email == "ana@example.com"
    assert conversation.contact.name == "Ana Horvat"
    assert Message.objects.get().text == "I got an M instead of an L.\n\nOrder number: FA-1001"


def test_webform_uses_the_configured_success_message(webform):
    inbox_update(inbox=webform, actor=None, config={"success_message": "Hvala!"})
    response = submit(webform.public_token, {"email": "a@example.com", "message": "Hi"})
    assert response.json() == {"ok": True, "message": "Hvala!"}


def test_webform_needs_no_session_and_no_csrf_token(webform):
    strict = Client(enforce_csrf_checks=True)
    response = submit(webform.public_token, {"email": "a@example.com", "message": "Hi"}, strict)
    assert response.status_code == 201, response.content


def test_webform_ignores_credentials(webform, restricted_agent, other_store):
    # Public: an agent's token neither helps nor hurts, whatever the agent may see.
    other_form = make_inbox(other_store, "webform", "Other form")
    response = Client().post(
        f"/api/v1/public/webform/{other_form.public_token}",
        {"email": "a@example.com", "message": "Hi"},
        content_type="application/json",
        **bearer(restricted_agent),
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not an email", "message": "Hi"}, "body.email"),
        ({"email": "", "message": "Hi"}, "body.email"),
        ({"message": "Hi"}, "body.email"),
        ({"email": "a@example.com", "message": "   "}, "body.message"),
        ({"email": "a@example.com"}, "body.message"),
        ({"email": "a@example.com", "message": "x" * 20_001}, "body.message"),
        ({"email": "a@example.com", "message": "Hi", "name": "x" * 201}, "body.name"),
        ({"email": "a@example.com", "message": "Hi\x00"}, "body.message"),
        ({"email": "a@example.com", "message": "Hi", "order_number": "9" * 61}, None),
    ],
)
def test_webform_validation_names_the_field(webform, body, field):
    field = field or "body.order_number"
    assert_error(submit(webform.public_token, body), 422, "validation_error", field)
    assert not Contact.objects.exists() and not Message.objects.exists()


def test_webform_unknown_token_is_404(webform):
    body = {"email": "a@example.com", "message": "Hi"}
    assert_error(submit("no-such-token", body), 404, "not_found")
    assert_error(submit("bad\x00token", body), 404, "not_found")
    assert not Message.objects.exists()


def test_webform_token_of_another_kind_or_a_disabled_form_is_404(webform, api_inbox):
    body = {"email": "a@example.com", "message": "Hi"}
    assert_error(submit(api_inbox.public_token, body), 404, "not_found")
    inbox_update(inbox=webform, actor=None, is_active=False)
    assert_error(submit(webform.public_token, body), 404, "not_found")
    assert not Message.objects.exists()


def test_webform_rotated_token_stops_working(webform):
    old = webform.public_token
    inbox_rotate_public_token(inbox=webform, actor=None)
    body = {"email": "a@example.com", "message": "Hi"}
    assert_error(submit(old, body), 404, "not_found")
    assert submit(webform.public_token, body).status_code == 201
