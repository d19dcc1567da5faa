"""``/api/v1/contacts``: list, filters, read, create, update, merge and orders over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from storedesk.accounts.enums import Role
from storedesk.commerce.models import Order
from storedesk.contacts.models import Contact, ContactIdentity
from storedesk.conversations.models import Conversation, Message
from storedesk.conversations.services import message_receive
from storedesk.core.testing import (
    AgentFactory,
    ContactFactory,
    JsonApi,
    assert_api_error,
    inbound,
)

pytestmark = pytest.mark.django_db

BASE = "/api/v1/contacts"


assert_error = assert_api_error


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


@pytest.fixture
def api(agent):
    return JsonApi(agent, BASE)


def order(store, number: str, *, day: int, contact=None, email: str = "", **fields) -> Order:
    return Order.objects.create(
        store=store,
        contact=contact,
        external_id=f"ext-{number}",
        number=number,
        customer_email=email,
        status=fields.pop("status", "paid"),
        total=Decimal("59.90"),
        currency="EUR",
        line_items=[{"sku": "TS-1", "name": "T-shirt", "quantity": 2, "price": "29.95"}],
        placed_at=datetime(2024, 3, day, 12, 0, tzinfo=UTC),
        **fields,
    )


# --- List and filters --------------------------------------------------------------------


@pytest.fixture
def people(store, other_store):
    ana = ContactFactory(store=store, name="Ana Horvat", email="ana@example.com", phone="+385 91")
    ivo = ContactFactory(store=store, name="Ivo Ivić", email="ivo@shop.example")
    ContactIdentity.objects.create(
        store=store, contact=ivo, kind="email", external_id="ivo.private@example.net"
    )
    mia = ContactFactory(store=other_store, name="Mia Novak", email="ana@example.com")
    return {"ana": ana, "ivo": ivo, "mia": mia}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["mia", "ivo", "ana"]),  # newest first
        ({"store": "<store>"}, ["ivo", "ana"]),
        ({"store": "<other_store>"}, ["mia"]),
        ({"q": "horvat"}, ["ana"]),
        ({"q": "SHOP.EXAMPLE"}, ["ivo"]),
        ({"q": "+385"}, ["ana"]),
        ({"q": "nobody"}, []),
        ({"email": "ANA@example.com"}, ["mia", "ana"]),
        ({"email": "ivo.private@example.net"}, ["ivo"]),  # a secondary identity
        ({"email": "ana@example.com", "store": "<store>"}, ["ana"]),
        ({"email": "ana@"}, []),  # exact, not a search
    ],
)
def test_list_filters(api, people, store, other_store, query, expected):
    refs = {"<store>": store.pk, "<other_store>": other_store.pk}
    params = {key: refs.get(value, value) for key, value in query.items()}
    by_id = {contact.pk: name for name, contact in people.items()}
    assert [by_id[i] for i in ids(api.get("", params))] == expected


def test_email_filter_lists_a_contact_once_whatever_its_identities(api, store):
    # The email matches both the profile and an identity, and the contact has more
    # identities: the filter must still yield one row.
    contact = ContactFactory(store=store, email="same@example.com")
    ContactIdentity.objects.create(store=store, contact=contact, kind="phone", external_id="+1")
    ContactIdentity.objects.create(store=store, contact=contact, kind="api", external_id="c-1")
    assert ids(api.get("", {"email": "Same@Example.com"})) == [contact.pk]


def test_list_item_shape(api, store, agent):
    contact = ContactFactory(
        store=store, name="Ana", email="ana@example.com", locale="hr", notes="Likes calls"
    )
    contact.dedicated_agent = agent
    contact.attributes = {"tier": "gold"}
    contact.save()
    item = api.get().json()["items"][0]
    assert item["id"] == contact.pk and item["store_id"] == store.pk
    assert (item["name"], item["email"], item["locale"]) == ("Ana", "ana@example.com", "hr")
    assert item["notes"] == "Likes calls"
    assert item["dedicated_agent"] == {"id": agent.pk, "name": str(agent)}
    assert item["attributes"] == {"tier": "gold"}
    assert item["identities"] == [{"kind": "email", "external_id": "ana@example.com"}]


def test_cursor_pages_cover_every_contact_once(api, store):
    created = [ContactFactory(store=store).pk for _ in range(11)]
    seen, cursor = [], None
    for _ in range(20):
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = api.get("", params).json()
        seen.extend(item["id"] for item in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(created, reverse=True)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "%%%"}, "query.cursor"),
        ({"limit": 0}, "query.limit"),
        ({"limit": 201}, "query.limit"),
        ({"store": 0}, "query.store"),
        ({"store": 2**64}, "query.store"),
        ({"q": "x" * 201}, "query.q"),
        ({"email": "a\x00@example.com"}, "query.email"),
    ],
)
def test_list_rejects_bad_parameters(api, params, field):
    assert_error(api.get("", params), 422, "validation_error", field)


# --- Get ---------------------------------------------------------------------------------


def test_get_contact(api, store):
    contact = ContactFactory(store=store, name="Ana", email="ana@example.com")
    response = api.get(f"/{contact.pk}")
    assert response.status_code == 200
    assert response.json()["name"] == "Ana"
    assert response.json()["identities"] == [{"kind": "email", "external_id": "ana@example.com"}]


def test_get_unknown_contact(api):
    assert_error(api.get("/404404"), 404, "not_found")
    assert_error(api.get("/ana"), 422, "validation_error", "path.contact_id")


# --- Create ------------------------------------------------------------------------------


def test_create_contact(api, store, agent):
    body = {
        "store_id": store.pk,
        "name": "Ana Horvat",
        "email": " Ana@Example.COM ",
        "phone": "+385 91 111 2222",
        "locale": "hr",
        "notes": "Prefers email",
        "dedicated_agent_id": agent.pk,
        "attributes": {"tier": "gold", "tags": ["a", "b"]},
    }
    response = api.post("", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["email"] == "ana@example.com"
    assert created["dedicated_agent"] == {"id": agent.pk, "name": str(agent)}
    assert created["attributes"] == {"tier": "gold", "tags": ["a", "b"]}
    assert sorted((i["kind"], i["external_id"]) for i in created["identities"]) == [
        ("email", "ana@example.com"),
        ("phone", "+385 91 111 2222"),
    ]
    contact = Contact.objects.get(pk=created["id"])
    assert contact.store == store and contact.notes == "Prefers email"


def test_create_with_only_a_store(api, store):
    response = api.post("", {"store_id": store.pk})
    assert response.status_code == 201
    assert response.json()["identities"] == []


def test_create_duplicate_email_is_refused(api, store, other_store):
    ContactFactory(store=store, email="ana@example.com")
    response = api.post("", {"store_id": store.pk, "email": "ANA@example.com"})
    assert_error(response, 422, "validation_error", "body.email")
    assert Contact.objects.filter(store=store).count() == 1
    # Another store may have a contact with the same email.
    assert api.post("", {"store_id": other_store.pk, "email": "ana@example.com"}).status_code == 201


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"email": "not-an-email"}, 422, "validation_error", "body.email"),
        ({"store_id": 999_999}, 404, "not_found", None),
        ({"store_id": "main"}, 422, "validation_error", "body.store_id"),
        ({"dedicated_agent_id": 999_999}, 422, "validation_error", "body.dedicated_agent_id"),
        ({"dedicated_agent_id": "<outsider>"}, 422, "validation_error", "body.dedicated_agent_id"),
        ({"dedicated_agent_id": "<inactive>"}, 422, "validation_error", "body.dedicated_agent_id"),
        ({"name": "x" * 201}, 422, "validation_error", "body.name"),
        ({"attributes": {"note": "a\x00"}}, 422, "validation_error", "body.attributes"),
        ({"attributes": ["not", "a", "dict"]}, 422, "validation_error", "body.attributes"),
    ],
)
def test_create_errors(api, store, other_store, change, status, code, field):
    refs = {
        "<outsider>": AgentFactory(role=Role.RESTRICTED, stores=[other_store]).pk,
        "<inactive>": AgentFactory(is_active=False).pk,
    }
    body = {"store_id": store.pk, "name": "Ana"}
    body.update({k: refs.get(v, v) if isinstance(v, str) else v for k, v in change.items()})
    assert_error(api.post("", body), status, code, field)
    assert not Contact.objects.exists()


# --- Update ------------------------------------------------------------------------------


def test_patch_changes_only_the_given_fields(api, store, agent):
    contact = ContactFactory(store=store, name="Ana", email="ana@example.com", phone="+1 555")
    response = api.patch(f"/{contact.pk}", {"name": "Ana H.", "email": "ana.h@example.com"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["email"], body["phone"]) == ("Ana H.", "ana.h@example.com", "+1 555")
    # The old address stays an identity, so the customer is still recognised by it.
    assert {i["external_id"] for i in body["identities"]} == {
        "ana@example.com",
        "ana.h@example.com",
    }
    # null for a plain field means "not given".
    assert api.patch(f"/{contact.pk}", {"name": None}).json()["name"] == "Ana H."


def test_patch_dedicated_agent_set_and_clear(api, store, agent):
    contact = ContactFactory(store=store)
    set_ = api.patch(f"/{contact.pk}", {"dedicated_agent_id": agent.pk}).json()
    assert set_["dedicated_agent"] == {"id": agent.pk, "name": str(agent)}
    unchanged = api.patch(f"/{contact.pk}", {"notes": "VIP"}).json()
    assert unchanged["dedicated_agent"] == {"id": agent.pk, "name": str(agent)}
    cleared = api.patch(f"/{contact.pk}", {"dedicated_agent_id": None}).json()
    assert cleared["dedicated_agent"] is None and cleared["notes"] == "VIP"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "taken@example.com"}, "body.email"),
        ({"email": "nope"}, "body.email"),
        ({"dedicated_agent_id": "<outsider>"}, "body.dedicated_agent_id"),
        ({"dedicated_agent_id": 999_999}, "body.dedicated_agent_id"),
        ({"locale": "x" * 17}, "body.locale"),
        ({"notes": "\x00"}, "body.notes"),
    ],
)
def test_patch_errors_name_the_field(api, store, other_store, body, field):
    ContactFactory(store=store, email="taken@example.com")
    contact = ContactFactory(store=store, name="Ana", email="ana@example.com")
    outsider = AgentFactory(role=Role.RESTRICTED, stores=[other_store])
    body = {k: outsider.pk if v == "<outsider>" else v for k, v in body.items()}
    assert_error(api.patch(f"/{contact.pk}", body), 422, "validation_error", field)
    contact.refresh_from_db()
    assert (contact.email, contact.dedicated_agent_id) == ("ana@example.com", None)


@pytest.mark.parametrize("raw", [b"[null]", b"false", b"null", b"3", b'"name"'])
def test_patch_with_a_body_that_is_not_an_object_is_refused(api, store, raw):
    contact = ContactFactory(store=store, name="Ana")
    response = api.client.generic(
        "PATCH", f"{BASE}/{contact.pk}", raw, content_type="application/json", **api.headers
    )
    assert_error(response, 422, "validation_error", "body")


def test_patch_unknown_contact(api):
    assert_error(api.patch("/404404", {"name": "x"}), 404, "not_found")


# --- Merge -------------------------------------------------------------------------------


def test_merge_moves_everything_and_deletes_the_source(api, store, api_inbox):
    target = ContactFactory(store=store, name="Ana", email="ana@example.com", notes="first")
    message = message_receive(
        inbox=api_inbox, inbound=inbound("Order?", email="ana.work@example.com", name="A. H.")
    )
    source = message.conversation.contact
    source.notes = "second"
    source.attributes = {"tier": "gold"}
    source.save()
    order(store, "1001", day=1, contact=source)

    response = api.post(f"/{target.pk}/merge", {"source_id": source.pk})
    assert response.status_code == 200, response.content
    merged = response.json()
    assert merged["id"] == target.pk
    assert {i["external_id"] for i in merged["identities"]} == {
        "ana@example.com",
        "ana.work@example.com",
    }
    assert merged["notes"] == "first\n\nsecond"
    assert merged["attributes"] == {"tier": "gold"}
    assert not Contact.objects.filter(pk=source.pk).exists()
    assert Conversation.objects.get().contact_id == target.pk
    assert Message.objects.get().sender_contact_id == target.pk
    assert [o["number"] for o in api.get(f"/{target.pk}/orders").json()] == ["1001"]
    assert_error(api.get(f"/{source.pk}"), 404, "not_found")


def test_merge_across_stores_is_refused(api, store, other_store):
    target = ContactFactory(store=store)
    source = ContactFactory(store=other_store)
    response = api.post(f"/{target.pk}/merge", {"source_id": source.pk})
    assert_error(response, 422, "validation_error", "body.source_id")
    assert Contact.objects.filter(pk__in=[target.pk, source.pk]).count() == 2


def test_merge_into_itself_is_refused(api, store):
    contact = ContactFactory(store=store)
    response = api.post(f"/{contact.pk}/merge", {"source_id": contact.pk})
    assert_error(response, 422, "validation_error", "body.source_id")
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_merge_with_unknown_contacts(api, store):
    contact = ContactFactory(store=store)
    assert_error(api.post(f"/{contact.pk}/merge", {"source_id": 909090}), 404, "not_found")
    assert_error(api.post("/909090/merge", {"source_id": contact.pk}), 404, "not_found")
    assert_error(api.post(f"/{contact.pk}/merge", {}), 422, "validation_error", "body.source_id")
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_restricted_agent_cannot_merge_in_a_contact_of_another_store(
    restricted_agent, store, other_store
):
    target = ContactFactory(store=store)
    source = ContactFactory(store=other_store, name="Hidden")
    response = JsonApi(restricted_agent, BASE).post(f"/{target.pk}/merge", {"source_id": source.pk})
    assert_error(response, 404, "not_found")
    assert b"Hidden" not in response.content
    assert Contact.objects.filter(pk=source.pk).exists()


# --- Orders ------------------------------------------------------------------------------


def test_orders_newest_first_by_link_and_by_email(api, store, other_store):
    contact = ContactFactory(store=store, email="ana@example.com")
    ContactIdentity.objects.create(
        store=store, contact=contact, kind="email", external_id="ana.old@example.com"
    )
    order(store, "1001", day=1, contact=contact)
    order(store, "1003", day=3, email="ana@example.com")
    order(store, "1002", day=2, email="ana.old@example.com", tracking_number="TRK-9")
    order(store, "2001", day=4, email="someone@example.com")
    order(other_store, "3001", day=5, email="ana@example.com")

    response = api.get(f"/{contact.pk}/orders")
    assert response.status_code == 200
    orders = response.json()
    assert [o["number"] for o in orders] == ["1003", "1002", "1001"]
    first = orders[1]
    assert first["tracking_number"] == "TRK-9"
    assert Decimal(first["total"]) == Decimal("59.90") and first["currency"] == "EUR"
    assert first["line_items"] == [
        {"sku": "TS-1", "name": "T-shirt", "quantity": 2, "price": first["line_items"][0]["price"]}
    ]
    assert Decimal(first["line_items"][0]["price"]) == Decimal("29.95")
    assert datetime.fromisoformat(first["placed_at"]) == datetime(2024, 3, 2, 12, tzinfo=UTC)


def test_orders_of_a_contact_without_orders(api, store):
    contact = ContactFactory(store=store, email="")
    response = api.get(f"/{contact.pk}/orders")
    assert response.status_code == 200 and response.json() == []
    assert_error(api.get("/777777/orders"), 404, "not_found")
