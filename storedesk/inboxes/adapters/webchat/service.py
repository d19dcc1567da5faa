"""Chat visitors: who they are (an opaque token in their browser), what they write, what
they may read, and whether a person is there to answer.

A visitor sees only the customer-visible messages (their own and the replies) of the one
conversation their token leads to; internal notes never leave the workspace.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core import signing
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from storedesk.conversations.enums import MessageKind
from storedesk.conversations.models import Message
from storedesk.conversations.services import message_receive
from storedesk.core.errors import ValidationError
from storedesk.core.realtime import publish, store_group
from storedesk.inboxes.adapters.base import InboundAttachment, InboundMessage, SenderRef
from storedesk.inboxes.models import ChatVisitor, Inbox
from storedesk.stores.hours import is_open, next_opening

MAX_TEXT = 5000
# A visitor whose window has not checked in for this long has left (replies go by email).
PRESENT_WINDOW = timedelta(seconds=90)
# An agent counts as available to chat when their workspace checked in this recently.
AGENT_WINDOW = timedelta(minutes=2)
# A token unused for this long stops working (a new visitor starts).
TOKEN_LIFETIME = timedelta(days=180)
FILE_URL_MAX_AGE = 7 * 24 * 3600
_FILE_SALT = "storedesk.chat-file"
VISIBLE_KINDS = (MessageKind.INBOUND, MessageKind.OUTBOUND)


def visitor_group(visitor_id: int) -> str:
    return f"chatv.{visitor_id}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def chat_inbox(public_token: str) -> Inbox | None:
    """The active chat inbox with this public token, with its store."""
    return (
        Inbox.objects.select_related("store")
        .filter(public_token=public_token, kind="webchat", is_active=True)
        .first()
    )


def visitor_authenticate(*, inbox: Inbox, token: str | None) -> ChatVisitor | None:
    """The visitor of ``inbox`` holding ``token``; None for an unknown, foreign or expired
    token (the caller then treats them as a new visitor)."""
    if not token or len(token) > 100:
        return None
    visitor = (
        ChatVisitor.objects.select_related("contact")
        .filter(inbox=inbox, token_hash=_hash(token))
        .first()
    )
    if visitor is None or visitor.last_seen_at < timezone.now() - TOKEN_LIFETIME:
        return None
    return visitor


def visitor_start(*, inbox: Inbox, locale: str = "", ip: str | None = None):
    """A new visitor. Returns ``(visitor, token)``; only a hash of the token is stored."""
    token = secrets.token_urlsafe(32)
    visitor = ChatVisitor.objects.create(
        inbox=inbox,
        key=secrets.token_hex(16),
        token_hash=_hash(token),
        locale=locale[:16],
        ip=ip,
        last_seen_at=timezone.now(),
    )
    return visitor, token


def visitor_set_details(*, visitor: ChatVisitor, fields: dict, required=()) -> ChatVisitor:
    """Name, email and order number from the pre-chat form (validated; errors name the
    field). What the visitor leaves empty keeps its earlier value."""
    cleaned = {}
    for name, limit in (("name", 200), ("email", 254), ("order_number", 60)):
        value = str(fields.get(name) or "").strip()
        if len(value) > limit:
            raise ValidationError(_("At most %(n)d characters.") % {"n": limit}, field=name)
        if name in required and not value and not getattr(visitor, name):
            raise ValidationError(_("This field is required."), field=name)
        cleaned[name] = value
    if cleaned["email"]:
        try:
            validate_email(cleaned["email"])
        except DjangoValidationError:
            raise ValidationError(_("This is not a valid email address."), field="email") from None
        cleaned["email"] = cleaned["email"].lower()
    changed = [name for name, value in cleaned.items() if value]
    for name in changed:
        setattr(visitor, name, cleaned[name])
    if changed:
        visitor.save(update_fields=changed)
    return visitor


def prechat_missing(visitor: ChatVisitor | None, config) -> list[str]:
    """Required pre-chat fields the visitor has not given yet."""
    return [f for f in config.prechat_required if not (visitor and getattr(visitor, f))]


def visitor_message(
    *, visitor: ChatVisitor, text: str, client_key: str, attachments=()
) -> tuple[Message, bool]:
    """The visitor writes: through ``message_receive`` (idempotent on the client key, so a
    resend after a reconnect is stored once). Text only: no HTML is ever taken from a
    visitor. Returns ``(message, new)``."""
    from storedesk.conversations.services import message_receive_outcome

    text = text.strip()
    if len(text) > MAX_TEXT:
        raise ValidationError(_("At most %(n)d characters.") % {"n": MAX_TEXT}, field="text")
    if not client_key or len(client_key) > 64:
        raise ValidationError(
            "A client key of at most 64 characters is required.", field="client_key"
        )
    if visitor.order_number and not visitor.conversation_id:
        text = f"{text}\n\n{_('Order number')}: {visitor.order_number}"
    inbound = InboundMessage(
        sender=SenderRef(
            identity_kind="webchat",
            external_id=visitor.key,
            name=visitor.name,
            email=visitor.email,
            locale=visitor.locale,
            # Typed into the pre-chat form: anyone can type anyone's address.
            email_verified=False,
        ),
        text=text,
        external_id=f"webchat:{visitor.key}:{client_key}",
        attachments=tuple(attachments),
        conversation_id=visitor.conversation_id,
        language=visitor.locale,
    )
    # One transaction: whatever reacts to the new message (the assistant's reply, its
    # delivery to this visitor's window) runs after commit and finds the visitor already
    # pointing at the conversation.
    with transaction.atomic():
        message, new = message_receive_outcome(inbox=visitor.inbox, inbound=inbound)
        if visitor.conversation_id != message.conversation_id or visitor.contact_id is None:
            ChatVisitor.objects.filter(pk=visitor.pk).update(
                conversation_id=message.conversation_id, contact_id=message.sender_contact_id
            )
            visitor.conversation_id = message.conversation_id
            visitor.contact_id = message.sender_contact_id
    return message, new


def visitor_upload(*, visitor: ChatVisitor, upload, client_key: str, max_bytes: int):
    """An image or file from the visitor, as a message of its own."""
    if upload.size > max_bytes:
        raise ValidationError(_("The file is too large."), field="file")
    attachment = InboundAttachment(
        filename=upload.name or "file",
        content=upload.read(),
        content_type=upload.content_type or "",
    )
    return visitor_message(
        visitor=visitor, text="", client_key=client_key, attachments=[attachment]
    )


def visitor_messages(*, visitor: ChatVisitor, after_id: int = 0, limit: int = 200) -> list:
    """What the visitor may read of their conversation after ``after_id``, oldest first."""
    if not visitor.conversation_id:
        return []
    return list(
        Message.objects.filter(
            conversation_id=visitor.conversation_id, kind__in=VISIBLE_KINDS, id__gt=after_id
        )
        .select_related("sender_agent", "inbox", "assistant_answer")
        .prefetch_related("attachments")
        .order_by("id")[:limit]
    )


def file_url(inbox: Inbox, attachment) -> str:
    token = signing.TimestampSigner(salt=_FILE_SALT).sign(str(attachment.pk))
    return reverse("chat-file", args=[inbox.public_token, token])


def file_from_token(inbox: Inbox, token: str):
    """The attachment a signed chat file URL names, if valid, unexpired and of this inbox's
    conversations."""
    from storedesk.conversations.models import Attachment

    try:
        attachment_id = signing.TimestampSigner(salt=_FILE_SALT).unsign(
            token, max_age=FILE_URL_MAX_AGE
        )
    except signing.BadSignature:
        return None
    return (
        Attachment.objects.filter(
            pk=attachment_id,
            message__conversation__inbox=inbox,
            message__kind__in=VISIBLE_KINDS,
        )
        .select_related("message")
        .first()
    )


def chat_item(message: Message) -> dict:
    """A message as the widget shows it: no internal fields, no agent ids."""
    if message.kind == MessageKind.INBOUND:
        sender = ""
    elif message.sender_type == "assistant":
        sender = ""  # the widget names it in the visitor's language ("sender": "assistant")
    elif message.sender_agent is not None:
        sender = message.sender_agent.display_name or message.sender_agent.first_name
        sender = sender or str(message.sender_agent)
    else:
        sender = message.inbox.store.name
    item = {
        "id": message.pk,
        "kind": "inbound" if message.kind == MessageKind.INBOUND else "outbound",
        "text": message.text,
        "created_at": message.created_at.isoformat(),
        "sender_name": sender,
        "sender": message.sender_type if message.kind != MessageKind.INBOUND else "contact",
        "attachments": [
            {"name": a.filename, "size": a.size, "url": file_url(message.inbox, a)}
            for a in message.attachments.all()
        ],
    }
    answer = _assistant_answer(message)
    if answer is not None:
        # The article it answered from, and "Did this answer your question?" (None until
        # the visitor says yes or no).
        item["answer"] = {"title": answer.title, "url": answer.url, "helpful": answer.helpful}
    return item


def _assistant_answer(message: Message):
    if message.sender_type != "assistant":
        return None
    try:
        return message.assistant_answer
    except ObjectDoesNotExist:
        return None


def visitor_seen(*, visitor: ChatVisitor, connections: int = 0) -> None:
    """Record that a window of the visitor checked in (``connections`` +1 on connect, -1 on
    disconnect)."""
    changes = {"last_seen_at": timezone.now()}
    if connections:
        changes["open_connections"] = F("open_connections") + connections
    ChatVisitor.objects.filter(pk=visitor.pk).update(**changes)


def visitor_mark_read(*, visitor: ChatVisitor, message_id: int) -> None:
    """The visitor has read their conversation up to ``message_id``: agents see "seen"."""
    updated = ChatVisitor.objects.filter(
        pk=visitor.pk, seen_message_id__lt=message_id, conversation_id=visitor.conversation_id
    ).update(seen_message_id=message_id)
    if updated:
        publish(
            store_group(visitor.inbox.store_id),
            {
                "event": "visitor_seen",
                "conversation_id": visitor.conversation_id,
                "store_id": visitor.inbox.store_id,
                "message_id": message_id,
            },
        )


def visitor_present(visitor: ChatVisitor) -> bool:
    return visitor.open_connections > 0 and visitor.last_seen_at >= (
        timezone.now() - PRESENT_WINDOW
    )


def push_to_visitors(conversation_id: int, message_id: int) -> bool:
    """Send a reply to the open windows of the conversation's visitors. Returns whether
    one of them is present (so the reply need not go by email)."""
    visitors = list(ChatVisitor.objects.filter(conversation_id=conversation_id))
    if not visitors:
        return False
    message = (
        Message.objects.select_related("sender_agent", "inbox", "inbox__store", "assistant_answer")
        .prefetch_related("attachments")
        .get(pk=message_id)
    )
    item = chat_item(message)
    for visitor in visitors:
        publish(visitor_group(visitor.pk), {"event": "message", "item": item})
    return any(visitor_present(v) for v in visitors)


def reply_sender(store, conversation_id: int) -> tuple[str, dict]:
    """The address chat replies go out from by email, with headers: the store's email
    inbox (its signed per-conversation Reply-To) when it has one, else the default."""
    from storedesk.inboxes.adapters.email.tokens import reply_address

    email_inbox = (
        Inbox.objects.filter(store=store, kind="email", is_active=True).order_by("id").first()
    )
    if email_inbox is None:
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
        return "", {"Message-ID": make_msgid(domain=domain)}
    address = email_inbox.config.get("address", "")
    return address, {
        "Message-ID": make_msgid(domain=address.rpartition("@")[2]),
        "Reply-To": reply_address(address, conversation_id),
    }


def agents_available(store) -> bool:
    """Whether an agent who may see the store has chat availability on and a workspace
    that checked in recently."""
    from storedesk.accounts.enums import Role
    from storedesk.accounts.models import Agent

    recent = timezone.now() - AGENT_WINDOW
    agents = Agent.objects.filter(is_active=True, available=True, last_seen_at__gte=recent)
    unrestricted = agents.exclude(role=Role.RESTRICTED)
    return unrestricted.exists() or agents.filter(stores=store).exists()


def chat_status(inbox: Inbox, *, locale: str = "") -> dict:
    """What the widget shows before anyone writes: whether a person is there, the greeting
    and the away message in ``locale``, and when the team is next in (business hours)."""
    from storedesk.inboxes.adapters import adapter_for

    config = adapter_for(inbox).config
    store = inbox.store
    now = timezone.now()
    open_now = is_open(store, now)
    # With the assistant on, the chat is always open: it answers, and says when a person
    # will be back if it has to hand over.
    assistant = config.assistant.enabled
    online = assistant or (open_now and agents_available(store))
    opening = None if open_now else next_opening(store, now)

    def text(options: dict, default: str) -> str:
        for code in (locale, locale.split("-")[0], store.default_locale):
            if code and options.get(code):
                return options[code]
        return default

    with override(locale or store.default_locale):
        greeting = text(config.greeting, _("Hi! How can we help you?"))
        away = text(
            config.away_message,
            _("We are away right now. Leave your question and we will answer by email."),
        )
    return {
        "online": online,
        "assistant": assistant,
        "greeting": greeting,
        "away_message": away,
        "next_opening": opening.isoformat() if opening else None,
    }


@transaction.atomic
def offline_question(*, inbox: Inbox, fields: dict) -> Message:
    """The offline form: a conversation answered by email (name, email, question)."""
    email = str(fields.get("email") or "").strip().lower()
    name = str(fields.get("name") or "").strip()[:200]
    text = str(fields.get("text") or "").strip()
    locale = str(fields.get("locale") or "")[:16]
    if not email:
        raise ValidationError(_("Your email address is required."), field="email")
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationError(_("This is not a valid email address."), field="email") from None
    if not text:
        raise ValidationError(_("Please write your question."), field="text")
    if len(text) > MAX_TEXT:
        raise ValidationError(_("At most %(n)d characters.") % {"n": MAX_TEXT}, field="text")
    return message_receive(
        inbox=inbox,
        inbound=InboundMessage(
            sender=SenderRef(
                identity_kind="email", external_id=email, name=name, email=email, locale=locale
            ),
            text=text,
            language=locale,
        ),
    )
