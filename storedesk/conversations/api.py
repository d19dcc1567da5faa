"""``/api/v1/conversations``: list, read, create (through the ``api`` inbox), messages,
assignment, status and tags. Entry points only: parse, authorise, call one service."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from storedesk.accounts.models import Team
from storedesk.accounts.selectors import agent_list
from storedesk.conversations import selectors, services
from storedesk.conversations.enums import ConversationStatus
from storedesk.conversations.models import Conversation, Message
from storedesk.core.errors import ValidationError
from storedesk.core.schemas import (
    ERROR_RESPONSES,
    MAX_ID,
    InputSchema,
    Ref,
    id_filter,
    input_fields,
)
from storedesk.inboxes.adapters import adapter_for
from storedesk.inboxes.adapters.base import InboundAttachment, InboundRejected
from storedesk.inboxes.selectors import access_inbox

router = Router(tags=["conversations"])

StatusName = Literal["open", "pending", "snoozed", "resolved"]


class InboxRef(Schema):
    id: int
    name: str
    kind: str


class ContactRef(Schema):
    id: int
    name: str
    email: str


class ConversationOut(Schema):
    id: int
    store_id: int
    inbox: InboxRef
    contact: ContactRef
    subject: str
    status: str
    priority: int
    assignee: Ref | None
    team: Ref | None
    tags: list[str]
    language: str
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    reopened_count: int
    last_customer_message_at: datetime | None
    last_message_at: datetime | None
    waiting_since: datetime | None
    snoozed_until: datetime | None
    message_count: int


class ConversationPage(Schema):
    items: list[ConversationOut]
    next_cursor: str | None


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    download_url: str


class MessageOut(Schema):
    id: int
    conversation_id: int
    kind: str
    sender_type: str
    sender: Ref | None
    text: str
    html: str
    external_id: str | None
    delivery_status: str
    delivery_error: str
    created_at: datetime
    sent_at: datetime | None
    attachments: list[AttachmentOut]


class MessagePage(Schema):
    items: list[MessageOut]
    next_after_id: int | None


class AttachmentIn(InputSchema):
    filename: str = Field(..., min_length=1, max_length=255)
    content_base64: str
    content_type: str = Field("", max_length=120)


class ContactIn(InputSchema):
    external_id: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=40)
    locale: str | None = Field(None, max_length=16)


class ConversationCreateIn(InputSchema):
    inbox_id: int
    contact: ContactIn
    text: str = Field(..., max_length=100_000)
    html: str = Field("", max_length=2_000_000)
    subject: str = Field("", max_length=300)
    external_id: str | None = Field(None, max_length=500)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class MessageCreateIn(InputSchema):
    kind: Literal["reply", "note"] = "reply"
    text: str = Field(..., max_length=100_000)
    html: str = Field("", max_length=2_000_000)
    client_key: str | None = Field(None, min_length=1, max_length=100)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class AssignIn(InputSchema):
    assignee_id: int | None = Field(None, description="Agent id; null unassigns.")
    team_id: int | None = Field(None, description="Team id; null clears the team.")


class StatusIn(InputSchema):
    status: StatusName
    snooze_until: datetime | None = None


class TagsIn(InputSchema):
    add: list[str] = Field(default_factory=list, max_length=50)
    remove: list[str] = Field(default_factory=list, max_length=50)


class TagsOut(Schema):
    tags: list[str]


class ListQuery(InputSchema):
    status: list[StatusName] = Field(default_factory=list)
    assignee: str | None = Field(None, description='Agent id, "me" or "none".')
    team: int | None = id_filter()
    inbox: int | None = id_filter()
    store: int | None = id_filter()
    contact: int | None = id_filter()
    tag: str | None = Field(None, max_length=60)
    language: str | None = Field(None, max_length=16)
    priority: int | None = Field(None, ge=0, le=3)
    q: str | None = Field(None, max_length=200)
    sort: Literal["waiting", "newest", "oldest", "updated", "priority"] = "waiting"
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


def _ref(obj) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": str(obj)}


def conversation_out(conversation: Conversation) -> dict:
    return {
        **{
            field: getattr(conversation, field)
            for field in ConversationOut.model_fields
            if field not in {"inbox", "contact", "assignee", "team", "tags"}
        },
        "inbox": conversation.inbox,
        "contact": conversation.contact,
        "assignee": _ref(conversation.assignee),
        "team": _ref(conversation.team),
        "tags": sorted(tag.name for tag in conversation.tags.all()),
    }


def message_out(message: Message, attachments=None) -> dict:
    """The API shape of a message. ``attachments`` may be given when the caller knows them
    (a message it just stored), saving a query."""
    sender = message.sender_agent or message.sender_contact
    if attachments is None:
        attachments = message.attachments.all()
    return {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "kind": message.kind,
        "sender_type": message.sender_type,
        "sender": _ref(sender),
        "text": message.text,
        "html": message.html,
        "external_id": message.external_id,
        "delivery_status": message.delivery_status,
        "delivery_error": message.delivery_error,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
        "attachments": [
            {
                "id": a.pk,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "download_url": f"/attachments/{a.pk}/download",
            }
            for a in attachments
        ],
    }


def _storable_time(value: datetime, *, field: str) -> datetime:
    """``value`` as an aware UTC time (naive means UTC), refusing times the database cannot
    store and give back (beyond the year 9998 in any time zone)."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    try:
        value = value.astimezone(UTC)
        storable = value.year <= 9998
    except OverflowError:
        storable = False
    if not storable:
        raise ValidationError("Give a time before the year 9999.", field=field)
    return value


def _decode_attachments(items: list[AttachmentIn]) -> tuple[InboundAttachment, ...]:
    decoded = []
    for index, item in enumerate(items):
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except ValueError:
            raise ValidationError(
                "Not valid base64.", field=f"body.attachments.{index}.content_base64"
            ) from None
        decoded.append(
            InboundAttachment(
                filename=item.filename, content=content, content_type=item.content_type
            )
        )
    return tuple(decoded)


@router.get("", response={200: ConversationPage, **ERROR_RESPONSES})
def list_conversations(request: HttpRequest, params: Query[ListQuery]):
    """Conversations the caller may see, waiting longest first by default (cursor pages)."""
    assignee_id, unassigned = None, False
    if params.assignee == "me":
        assignee_id = request.auth.pk
    elif params.assignee == "none":
        unassigned = True
    elif params.assignee:
        digits = params.assignee.isascii() and params.assignee.isdigit()
        if not digits or int(params.assignee) > MAX_ID:
            raise ValidationError('Use an agent id, "me" or "none".', field="query.assignee")
        assignee_id = int(params.assignee)
    filters = selectors.ConversationFilters(
        status=tuple(params.status),
        assignee_id=assignee_id,
        unassigned=unassigned,
        team_id=params.team,
        inbox_id=params.inbox,
        store_id=params.store,
        contact_id=params.contact,
        tag=params.tag or "",
        language=params.language or "",
        priority=params.priority,
        q=(params.q or "").strip(),
    )
    with input_fields("query"):
        rows, next_cursor = selectors.conversation_list(
            actor=request.auth,
            filters=filters,
            sort=params.sort,
            cursor=params.cursor,
            limit=params.limit,
        )
    return {"items": [conversation_out(c) for c in rows], "next_cursor": next_cursor}


@router.post("", response={201: MessageOut, 200: MessageOut, **ERROR_RESPONSES})
def create_conversation(request: HttpRequest, payload: ConversationCreateIn):
    """A customer message posted by an integration into an ``api`` inbox. Threads into the
    contact's open conversation like any channel; repeats of ``external_id`` are ignored
    (200 with the stored message)."""
    inbox = access_inbox(actor=request.auth, id=payload.inbox_id)
    if inbox.kind != "api":
        raise ValidationError("Messages can be posted only to an api inbox.", field="body.inbox_id")
    if not inbox.is_active:
        raise ValidationError("This inbox is disabled.", field="body.inbox_id")
    data = payload.dict()
    data["attachments"] = []  # decoded below with field-accurate errors
    try:
        inbound = adapter_for(inbox).parse(data)
    except InboundRejected as exc:
        raise ValidationError(exc.message, field=f"body.{exc.field}") from None
    attachments = _decode_attachments(payload.attachments)
    if attachments:
        inbound = type(inbound)(**{**inbound.__dict__, "attachments": attachments})
    with input_fields("body"):
        message, created = services.message_receive_outcome(inbox=inbox, inbound=inbound)
    known_attachments = [] if created and not attachments else None
    return Status(201 if created else 200, message_out(message, known_attachments))


@router.get("/{conversation_id}", response={200: ConversationOut, **ERROR_RESPONSES})
def get_conversation(request: HttpRequest, conversation_id: int):
    return conversation_out(selectors.access_conversation(actor=request.auth, id=conversation_id))


@router.get("/{conversation_id}/messages", response={200: MessagePage, **ERROR_RESPONSES})
def list_messages(
    request: HttpRequest,
    conversation_id: int,
    after_id: int | None = None,
    limit: int = Query(100, ge=1, le=500),
):
    """Messages oldest first; pass ``after_id`` to fetch only newer ones."""
    conversation = selectors.access_conversation(actor=request.auth, id=conversation_id)
    rows, next_after = selectors.message_list(
        conversation=conversation, after_id=after_id, limit=limit
    )
    return {"items": [message_out(m) for m in rows], "next_after_id": next_after}


@router.post(
    "/{conversation_id}/messages",
    response={201: MessageOut, **ERROR_RESPONSES},
)
def create_message(request: HttpRequest, conversation_id: int, payload: MessageCreateIn):
    """Reply to the customer (``kind=reply``, delivered by the inbox's channel) or add an
    internal note. ``client_key`` makes retries safe."""
    conversation = selectors.access_conversation(actor=request.auth, id=conversation_id)
    attachments = _decode_attachments(payload.attachments)
    with input_fields("body"):
        if payload.kind == "note":
            message = services.note_add(
                conversation=conversation,
                author=request.auth,
                text=payload.text,
                attachments=attachments,
                client_key=payload.client_key,
            )
        else:
            message = services.message_send(
                conversation=conversation,
                author=request.auth,
                text=payload.text,
                html=payload.html,
                attachments=attachments,
                client_key=payload.client_key,
            )
    message.refresh_from_db()
    return Status(201, message_out(message))


@router.post("/{conversation_id}/assign", response={200: ConversationOut, **ERROR_RESPONSES})
def assign_conversation(request: HttpRequest, conversation_id: int, payload: AssignIn):
    """Set the assignee and the team. Omitted fields stay; ``null`` clears."""
    conversation = selectors.access_conversation(actor=request.auth, id=conversation_id)
    given = payload.model_fields_set
    changes = {}
    if "assignee_id" in given:
        changes["assignee"] = None
        if payload.assignee_id is not None:
            changes["assignee"] = (
                agent_list(actor=request.auth).filter(pk=payload.assignee_id).first()
            )
            if changes["assignee"] is None:
                raise ValidationError("No such agent.", field="body.assignee_id")
    if "team_id" in given:
        changes["team"] = None
        if payload.team_id is not None:
            changes["team"] = Team.objects.filter(pk=payload.team_id).first()
            if changes["team"] is None:
                raise ValidationError("No such team.", field="body.team_id")
    with input_fields("body"):
        services.conversation_assign(conversation=conversation, actor=request.auth, **changes)
    return conversation_out(selectors.access_conversation(actor=request.auth, id=conversation_id))


@router.post("/{conversation_id}/status", response={200: ConversationOut, **ERROR_RESPONSES})
def set_status(request: HttpRequest, conversation_id: int, payload: StatusIn):
    conversation = selectors.access_conversation(actor=request.auth, id=conversation_id)
    snooze_until = payload.snooze_until
    if snooze_until is not None:
        snooze_until = _storable_time(snooze_until, field="body.snooze_until")
    with input_fields("body"):
        services.conversation_set_status(
            conversation=conversation,
            status=ConversationStatus(payload.status),
            actor=request.auth,
            snooze_until=snooze_until,
        )
    return conversation_out(selectors.access_conversation(actor=request.auth, id=conversation_id))


@router.post("/{conversation_id}/tags", response={200: TagsOut, **ERROR_RESPONSES})
def change_tags(request: HttpRequest, conversation_id: int, payload: TagsIn):
    conversation = selectors.access_conversation(actor=request.auth, id=conversation_id)
    with input_fields("body"):
        tags = services.conversation_tag(
            conversation=conversation, actor=request.auth, add=payload.add, remove=payload.remove
        )
    return {"tags": tags}
