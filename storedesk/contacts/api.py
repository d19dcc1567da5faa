"""``/api/v1/contacts``: list, read, create, update, merge, and a contact's orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from storedesk.accounts.selectors import agent_list
from storedesk.commerce.selectors import order_list_for_contact
from storedesk.contacts import selectors, services
from storedesk.contacts.models import Contact
from storedesk.core.errors import ValidationError
from storedesk.core.pagination import SortKey, paginate
from storedesk.core.schemas import ERROR_RESPONSES, InputSchema, Ref, id_filter, input_fields
from storedesk.stores.selectors import access_store

router = Router(tags=["contacts"])
CONTACT_SORT = (SortKey("id", True),)


class IdentityOut(Schema):
    kind: str
    external_id: str


class ContactOut(Schema):
    id: int
    store_id: int
    name: str
    email: str
    phone: str
    locale: str
    notes: str
    dedicated_agent: Ref | None
    attributes: dict
    identities: list[IdentityOut]
    created_at: datetime
    updated_at: datetime


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class ContactCreateIn(InputSchema):
    store_id: int
    name: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    locale: str = Field("", max_length=16)
    notes: str = Field("", max_length=20_000)
    dedicated_agent_id: int | None = None
    attributes: dict = Field(default_factory=dict)


class ContactUpdateIn(InputSchema):
    name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    locale: str | None = Field(None, max_length=16)
    notes: str | None = Field(None, max_length=20_000)
    dedicated_agent_id: int | None = None
    attributes: dict | None = None


class MergeIn(InputSchema):
    source_id: int = Field(..., description="The contact merged into this one (then deleted).")


class LineItemOut(Schema):
    sku: str = ""
    name: str
    quantity: int
    price: Decimal


class OrderOut(Schema):
    id: int
    external_id: str
    number: str
    status: str
    total: Decimal
    currency: str
    line_items: list[LineItemOut]
    placed_at: datetime
    fulfillment_status: str
    carrier: str
    tracking_number: str
    tracking_url: str


class ContactListQuery(InputSchema):
    store: int | None = id_filter()
    q: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


def contact_out(contact: Contact) -> dict:
    return {
        "id": contact.pk,
        "store_id": contact.store_id,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "locale": contact.locale,
        "notes": contact.notes,
        "dedicated_agent": (
            None
            if contact.dedicated_agent is None
            else {"id": contact.dedicated_agent.pk, "name": str(contact.dedicated_agent)}
        ),
        "attributes": contact.attributes,
        "identities": [
            {"kind": i.kind, "external_id": i.external_id} for i in contact.identities.all()
        ],
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
    }


def _agent(request, agent_id: int | None, field: str):
    if agent_id is None:
        return None
    agent = agent_list(actor=request.auth).filter(pk=agent_id).first()
    if agent is None:
        raise ValidationError("No such agent.", field=field)
    return agent


@router.get("", response={200: ContactPage, **ERROR_RESPONSES})
def list_contacts(request: HttpRequest, params: Query[ContactListQuery]):
    contacts = (
        selectors.contact_list(
            actor=request.auth,
            store_id=params.store,
            q=(params.q or "").strip(),
            email=(params.email or "").strip(),
        )
        .select_related("dedicated_agent")
        .prefetch_related("identities")
    )
    with input_fields("query"):
        rows, next_cursor = paginate(
            contacts, CONTACT_SORT, cursor=params.cursor, limit=params.limit
        )
    return {"items": [contact_out(c) for c in rows], "next_cursor": next_cursor}


@router.post("", response={201: ContactOut, **ERROR_RESPONSES})
def create_contact(request: HttpRequest, payload: ContactCreateIn):
    store = access_store(actor=request.auth, id=payload.store_id)
    data = payload.dict(exclude={"store_id", "dedicated_agent_id"})
    dedicated_agent = _agent(request, payload.dedicated_agent_id, "body.dedicated_agent_id")
    with input_fields("body", dedicated_agent="dedicated_agent_id"):
        contact = services.contact_create(
            store=store, actor=request.auth, dedicated_agent=dedicated_agent, **data
        )
    return Status(201, contact_out(contact))


@router.get("/{contact_id}", response={200: ContactOut, **ERROR_RESPONSES})
def get_contact(request: HttpRequest, contact_id: int):
    return contact_out(selectors.access_contact(actor=request.auth, id=contact_id))


@router.patch("/{contact_id}", response={200: ContactOut, **ERROR_RESPONSES})
def update_contact(request: HttpRequest, contact_id: int, payload: ContactUpdateIn):
    """Change the fields given; ``dedicated_agent_id: null`` clears the dedicated agent."""
    contact = selectors.access_contact(actor=request.auth, id=contact_id)
    changes = {
        field: value
        for field, value in payload.dict(exclude_unset=True).items()
        if field != "dedicated_agent_id" and value is not None
    }
    if "dedicated_agent_id" in payload.model_fields_set:
        changes["dedicated_agent"] = _agent(
            request, payload.dedicated_agent_id, "body.dedicated_agent_id"
        )
    with input_fields("body", dedicated_agent="dedicated_agent_id"):
        services.contact_update(contact=contact, actor=request.auth, **changes)
    return contact_out(selectors.access_contact(actor=request.auth, id=contact_id))


@router.post("/{contact_id}/merge", response={200: ContactOut, **ERROR_RESPONSES})
def merge_contact(request: HttpRequest, contact_id: int, payload: MergeIn):
    """Merge ``source_id`` into this contact: its identities, conversations and orders move
    here and it is deleted."""
    target = selectors.access_contact(actor=request.auth, id=contact_id)
    source = selectors.access_contact(actor=request.auth, id=payload.source_id)
    with input_fields("body"):
        services.contact_merge(target=target, source=source, actor=request.auth)
    return contact_out(selectors.access_contact(actor=request.auth, id=contact_id))


@router.get("/{contact_id}/orders", response={200: list[OrderOut], **ERROR_RESPONSES})
def contact_orders(request: HttpRequest, contact_id: int):
    """The contact's orders from the store's order snapshot, newest first."""
    contact = selectors.access_contact(actor=request.auth, id=contact_id)
    return order_list_for_contact(contact=contact)
