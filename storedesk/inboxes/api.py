"""``/api/v1/inboxes`` (agents) and ``/api/v1/public/webform/{token}`` (customers)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from storedesk.conversations.services import message_receive
from storedesk.core.errors import NotFound, ValidationError
from storedesk.core.schemas import ERROR_RESPONSES, MAX_ID, InputSchema, input_fields
from storedesk.inboxes.adapters import adapter_for
from storedesk.inboxes.adapters.base import InboundRejected
from storedesk.inboxes.selectors import access_inbox, inbox_by_public_token, inbox_list

router = Router(tags=["inboxes"])
public_router = Router(tags=["public"], auth=None)


class InboxOut(Schema):
    id: int
    store_id: int
    kind: str
    name: str
    is_active: bool
    reopen_window_days: int
    address: str | None = Field(None, description="The channel address customers write to.")
    created_at: datetime


def inbox_out(inbox) -> dict:
    return {
        "id": inbox.pk,
        "store_id": inbox.store_id,
        "kind": inbox.kind,
        "name": inbox.name,
        "is_active": inbox.is_active,
        "reopen_window_days": inbox.reopen_window_days,
        "address": (inbox.config or {}).get("address"),
        "created_at": inbox.created_at,
    }


@router.get("", response={200: list[InboxOut], **ERROR_RESPONSES})
def list_inboxes(request: HttpRequest, store: int | None = Query(None, ge=1, le=MAX_ID)):
    return [inbox_out(i) for i in inbox_list(actor=request.auth, store_id=store)]


@router.get("/{inbox_id}", response={200: InboxOut, **ERROR_RESPONSES})
def get_inbox(request: HttpRequest, inbox_id: int):
    return inbox_out(access_inbox(actor=request.auth, id=inbox_id))


class WebformIn(InputSchema):
    name: str = Field("", max_length=200)
    email: str = Field(..., max_length=254)
    subject: str = Field("", max_length=300)
    message: str = Field(..., max_length=20_000)
    order_number: str = Field("", max_length=60)


class WebformOut(Schema):
    ok: bool
    message: str


@public_router.post("/webform/{token}", response={201: WebformOut, **ERROR_RESPONSES})
def submit_webform(request: HttpRequest, token: str, payload: WebformIn):
    """A customer's contact-form submission (no authentication: the inbox's public token
    identifies the form)."""
    if "\x00" in token:
        raise NotFound("Inbox not found.")  # no token has one; the database cannot compare it
    inbox = inbox_by_public_token(token, kind="webform")
    adapter = adapter_for(inbox)
    try:
        inbound = adapter.parse(payload.dict())
    except InboundRejected as exc:
        raise ValidationError(exc.message, field=f"body.{exc.field}") from None
    with input_fields("body", text="message"):
        message_receive(inbox=inbox, inbound=inbound)
    return Status(201, {"ok": True, "message": adapter.config.success_message})
